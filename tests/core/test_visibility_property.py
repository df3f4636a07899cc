"""Lists and detail pages agree on who sees what, for any users and any protocols.

The list query (``visible_protocols``) and the detail check (``can_view``) are both derived from
one rule (``protocol_visibility``). Hypothesis builds small worlds of two institutions: users
with random roles at random institutions, on random teams; protocols at random institutions,
drafts or submitted, with participating sites at random institutions. In every world each user's
list holds exactly the protocols whose detail page they may open, and nothing of an institution
where they hold no role unless they are on its team or head a participating site (JP-ERC-12).
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from research_governance.accounts.models import Institution, Role, RoleMembership
from research_governance.protocols.access_services import grant_team_access
from research_governance.protocols.models import Protocol, ProtocolStatus, Site
from research_governance.protocols.permissions import can_view, visible_protocols
from tests.factories import UserFactory, make_draft

ROLES = [Role.INVESTIGATOR, Role.SECRETARIAT, Role.ADMINISTRATOR, Role.CHAIR, Role.HEAD, Role.AUDITOR]
STATUSES = [ProtocolStatus.DRAFT, ProtocolStatus.SUBMITTED, ProtocolStatus.IN_REVIEW, ProtocolStatus.APPROVED]
INSTITUTIONS = 2

users_strategy = st.lists(
    st.lists(st.tuples(st.sampled_from(ROLES), st.integers(0, INSTITUTIONS - 1)), max_size=3),
    min_size=1,
    max_size=4,
)
protocols_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "institution": st.integers(0, INSTITUTIONS - 1),
            "status": st.sampled_from(STATUSES),
            "site": st.one_of(st.none(), st.integers(0, INSTITUTIONS - 1)),
            "team": st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=2),
        }
    ),
    min_size=1,
    max_size=4,
)


class ListAndDetailAgree(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(users=users_strategy, protocols=protocols_strategy)
    def test_every_user_lists_exactly_the_protocols_they_may_open(self, users, protocols) -> None:
        institutions = [
            Institution.objects.create(code=f"inst-{n}", name_ja=f"機関{n}", name_en=f"Institution {n}")
            for n in range(INSTITUTIONS)
        ]
        people = []
        for number, grants in enumerate(users):
            person = UserFactory(email=f"person{number}@prop.example", institution=institutions[0])
            RoleMembership.objects.filter(user=person).delete()
            for role, where in set(grants):
                RoleMembership.objects.create(user=person, institution=institutions[where], role=role)
            people.append(person)
        author = UserFactory(email="author@prop.example", institution=institutions[0])
        made = []
        for spec in protocols:
            protocol = make_draft(author)
            Protocol.objects.filter(pk=protocol.pk).update(
                institution=institutions[spec["institution"]], status=spec["status"]
            )
            if spec["site"] is not None:
                Site.objects.create(protocol=protocol, name="Site", institution=institutions[spec["site"]])
            for member, can_edit in spec["team"]:
                if member < len(people):
                    grant_team_access(user=people[member], protocol=protocol, can_edit=can_edit)
            made.append(Protocol.objects.get(pk=protocol.pk))

        for person in [*people, author]:
            listed = set(visible_protocols(person).values_list("pk", flat=True))
            openable = {protocol.pk for protocol in made if can_view(person, protocol)}
            assert listed == openable, person.email
            # Nothing beyond the declared links: the team, the own institution's readers, a partner site's head.
            grants = set(RoleMembership.objects.filter(user=person).values_list("role", "institution_id"))
            for protocol in made:
                if protocol.pk not in listed:
                    continue
                on_team = protocol.team_members.filter(user=person).exists() or protocol.created_by_id == person.pk
                reader_here = any(
                    institution == protocol.institution_id and role != Role.INVESTIGATOR for role, institution in grants
                )
                partner_head = any(
                    role == Role.HEAD and protocol.sites.filter(institution_id=institution).exists()
                    for role, institution in grants
                )
                granted = person.pk in protocol.protocoluserobjectpermission_set.values_list("user_id", flat=True)
                assert on_team or granted or reader_here or partner_head, (person.email, protocol.pk)
                if not (on_team or granted):
                    assert protocol.status != ProtocolStatus.DRAFT
