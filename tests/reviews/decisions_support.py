"""Builders for decision tests: a committee with a chair and a head at the test institution,
and a submission accepted for review with one review submitted."""

from datetime import timedelta

from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.reviews import services
from tests.factories import InstitutionFactory, UserFactory, make_complete

DUE = timezone.localdate() + timedelta(days=14)
FULL_CHECKLIST = {
    key: {"rating": "adequate", "comment": ""}
    for key in ("scientific_validity", "risk_benefit", "consent", "privacy", "ai", "conflicts")
}


def make_committee(rule_set: str = "JP") -> Committee:
    return Committee.objects.create(
        institution=InstitutionFactory(),
        code="erc",
        name_ja="委員会",
        name_en="Committee",
        kind="ethics",
        rule_set=rule_set,
    )


def seat(committee, user=None, role: str = "member"):
    user = user or UserFactory(roles=[Role.COMMITTEE_MEMBER])
    CommitteeMembership.objects.create(
        committee=committee, user=user, category="natural_science", sex="female", role=role
    )
    return user


def accepted(pi, secretariat, committee, route: str = "expedited", reviewed: bool = True):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    submission = services.submission_accept(submission=submission, by=secretariat, route=route)
    if reviewed:
        member = seat(committee)
        assignment = services.reviewer_assign(submission=submission, by=secretariat, reviewer=member, due_date=DUE)
        services.conflict_declare(submission=submission, member=member, has_conflict=False, reason="")
        services.review_save(
            assignment=assignment, by=member, checklist=FULL_CHECKLIST, recommendation="approve", summary="Fine."
        )
        services.review_submit(assignment=assignment, by=member)
    submission.refresh_from_db()
    return submission
