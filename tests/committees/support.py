"""A committee with a roster, and the people around it."""

from datetime import timedelta

from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.committees.models import Committee, CommitteeMembership
from tests.factories import InstitutionFactory, UserFactory

Category = CommitteeMembership.Category

# Meets JP-ERC-01..05: three categories, two external members, both sexes, five members.
VALID_ROSTER = [
    (Category.NATURAL_SCIENCE, False, "male"),
    (Category.NATURAL_SCIENCE, False, "female"),
    (Category.HUMANITIES_SOCIAL, True, "female"),
    (Category.GENERAL_PUBLIC, True, "male"),
    (Category.HUMANITIES_SOCIAL, False, "female"),
]


def make_committee(roster, *, code="erc"):
    """Each member has sat for a year, so a term can be ended in the past."""
    since = timezone.localdate() - timedelta(days=365)
    committee = Committee.objects.create(
        institution=InstitutionFactory(),
        code=code,
        name_ja="倫理審査委員会",
        name_en="Ethics Committee",
        kind="ethics",
    )
    members = []
    for category, external, sex in roster:
        user = UserFactory(roles=[Role.COMMITTEE_MEMBER])
        members.append(
            CommitteeMembership.objects.create(
                committee=committee,
                user=user,
                category=category,
                is_external=external,
                sex=sex,
                valid_from=since,
            )
        )
    return committee, members
