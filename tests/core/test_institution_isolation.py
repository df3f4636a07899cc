"""Every role acts at its own institution only (SEC-01; issue 13's security defect).

Institution A is the permission audit's world (tests/core/permission_support.py): protocol A
decided at a meeting, letters, a data-access request and an agreement. Institution B beside it
has every role the demo has: an investigator, the secretariat, an administrator, an ethics
committee with members and a chair, the head, an auditor, and a data access committee with its
officer and a member. Every page and every form of the app is tried by each of them against A's
objects: nothing of A is shown and nothing changes. The one link across institutions the domain
declares, the head of a participating site's institution (JP-ERC-12), is tried last.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from research_governance.accounts.models import Institution, Role, User
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.protocols.models import Site
from tests.conftest import signed_in
from tests.core.test_view_permissions import (
    EXPECTED_GET,
    EXPECTED_POST,
    ROUTE_ARGUMENTS,
    body,
    outcome,
    post_payload,
    state_of,
    url,
)
from tests.factories import UserFactory

from .permission_support import A_COMMENT, A_SUMMARY, A_TITLE, World, build_world

# Route arguments that do not name one of A's objects.
NOT_AN_OBJECT = {"fmt", "report", "year", "kind"}
# Pages anyone may open, signed in or not: what they show is public by design.
PUBLIC = {"letters:verify", "agreements:agreement_verify", "healthz"} | {
    route for route in EXPECTED_GET if route.startswith("notices:")
}
# Forms that act on the user's own things only (a new draft, their own preferences...).
OWN_THINGS_POSTS = {
    "protocols:create",
    "agreements:request_create",
    "agreements:request_check",
    "notifications:read_all",
    "notifications:preferences",
    "letters:verify",
    "notices:detail",
}
OTHER_PERSONAS = (
    "investigator",
    "secretariat",
    "administrator",
    "member",
    "chair",
    "head",
    "auditor",
    "dac_officer",
    "dac_member",
)


def names_an_object_of_a(route: str) -> bool:
    return any(key not in NOT_AN_OBJECT for key in ROUTE_ARGUMENTS.get(route, []))


def institution_b() -> dict[str, User]:
    """Institution B with every role, its own ethics committee and data access committee."""
    other = Institution.objects.create(code="other-university", name_ja="他大学", name_en="Other University")
    since = timezone.localdate() - timedelta(days=30)

    def person(name: str, *roles: str) -> User:
        return UserFactory(email=f"{name}@other.example", institution=other, roles=list(roles) or None)

    people = {
        "investigator": person("investigator"),
        "secretariat": person("secretariat", Role.SECRETARIAT),
        "administrator": person("administrator", Role.ADMINISTRATOR),
        "member": person("member", Role.COMMITTEE_MEMBER),
        "chair": person("chair", Role.CHAIR),
        "head": person("head", Role.HEAD),
        "auditor": person("auditor", Role.AUDITOR),
        "dac_officer": person("dac-officer", Role.DATA_ACCESS_COMMITTEE),
        "dac_member": person("dac-member", Role.DATA_ACCESS_COMMITTEE),
    }
    ethics = Committee.objects.create(
        institution=other, code="erc-b", name_ja="B倫理", name_en="B Ethics", kind=Committee.Kind.ETHICS
    )
    dac = Committee.objects.create(
        institution=other, code="dac-b", name_ja="B DAC", name_en="B DAC", kind=Committee.Kind.DATA_ACCESS
    )
    for committee, persona, role in (
        (ethics, "member", CommitteeMembership.Role.MEMBER),
        (ethics, "chair", CommitteeMembership.Role.CHAIR),
        (ethics, "secretariat", CommitteeMembership.Role.SECRETARIAT),
        (dac, "dac_officer", CommitteeMembership.Role.CHAIR),
        (dac, "dac_member", CommitteeMembership.Role.MEMBER),
    ):
        CommitteeMembership.objects.create(committee=committee, user=people[persona], role=role, valid_from=since)
    return people


@pytest.fixture
def two_institutions(db: None) -> tuple[World, dict[str, User]]:
    from research_governance.letters.services import letter_issue

    world = build_world()
    letter = letter_issue(decision_id=world.decision.pk, kind="decision", language="en")
    world.ids.update({"letter_id": letter.pk, "code": letter.verification_code})
    return world, institution_b()


def secrets_of(world: World) -> tuple[str, ...]:
    """Text that only someone who may see A's records could be shown."""
    return (
        A_TITLE,
        A_SUMMARY,
        A_COMMENT,
        world.protocol_a.reference,
        "Data-request-of-other",
        "DSA-AUDIT-1",
        # A's people: in the audit trail and the access log of A's auditors only.
        world.people["pi"].email,
        world.people["secretariat"].email,
    )


def test_no_one_at_institution_b_opens_any_page_of_institution_a(two_institutions):
    world, people = two_institutions
    leaks = []
    for persona in OTHER_PERSONAS:
        client = signed_in(people[persona])
        for route in EXPECTED_GET:
            if route in PUBLIC:
                continue
            response = client.get(url(route, world.ids))
            got = outcome(response)
            if names_an_object_of_a(route):
                if got != "404":
                    leaks.append(f"{route} as B's {persona}: {got}, expected 404")
                continue
            text = body(response) if got == "200" else body(client.get(url(route, world.ids), follow=True))
            leaks.extend(f"{route} shows B's {persona} {secret!r}" for secret in secrets_of(world) if secret in text)
    assert not leaks, "\n".join(leaks)


def test_no_one_at_institution_b_changes_anything_of_institution_a(two_institutions):
    world, people = two_institutions
    before = state_of(world)
    refusals = []
    for persona in OTHER_PERSONAS:
        client = signed_in(people[persona])
        for route in EXPECTED_POST:
            if route in OWN_THINGS_POSTS:
                continue
            data, _files = post_payload(route, world)
            got = outcome(client.post(url(route, world.ids), data))
            if got != "404":
                refusals.append(f"POST {route} as B's {persona}: {got}, expected 404")
            after = state_of(world)
            if after != before:
                refusals.append(f"POST {route} as B's {persona} changed something: {before} -> {after}")
                before = after
    assert not refusals, "\n".join(refusals)


@pytest.mark.parametrize(
    "route",
    [
        "protocols:detail",
        "protocols:version_detail",
        "protocols:document_download",
        "letters:download",
        "agreements:request_detail",
        "agreements:agreement_document",
        "committees:meeting_detail",
        "audit:protocol_timeline",
    ],
)
def test_b_s_secretariat_gets_404_on_a_s_protocols_submissions_letters_and_requests(two_institutions, route):
    """The regression of issue 13: a secretariat used to act as SECRETARIAT on every protocol of
    every institution."""
    world, people = two_institutions
    assert outcome(signed_in(people["secretariat"]).get(url(route, world.ids))) == "404"


def test_b_s_secretariat_cannot_accept_return_or_assign_on_a_s_submission(two_institutions):
    from research_governance.reviews import services as review_services

    world, people = two_institutions
    with pytest.raises(PermissionDenied):
        review_services.reviewer_assign(
            submission=world.submission,
            by=people["secretariat"],
            reviewer=world.people["member"],
            due_date=timezone.localdate() + timedelta(days=7),
        )
    assert review_services.actors_for(people["secretariat"], world.protocol_a) == set()
    assert review_services.actors_for(world.people["secretariat"], world.protocol_a) != set()


def test_the_head_of_a_participating_site_sees_that_protocol_and_nothing_else_of_a(two_institutions):
    """JP-ERC-12: A's study adds a site at institution B; B's head may now read A's protocol (to
    permit for that site) and its letters, but no other record of A: no committee, meeting, audit
    trail, queue of A's, and no other protocol."""
    world, people = two_institutions
    head = signed_in(people["head"])
    Site.objects.create(protocol=world.protocol_a, name="B Hospital", institution=people["head"].institution)
    assert outcome(head.get(url("protocols:detail", world.ids))) == "200"
    assert outcome(head.get(url("letters:download", world.ids))) == "200"
    for route in ("committees:detail", "committees:meeting_detail", "committees:minutes", "audit:protocol_timeline"):
        assert outcome(head.get(url(route, world.ids))) == "404", route
    # The site links B's head to A only: B's other officers still see nothing of it.
    for persona in ("secretariat", "chair", "auditor"):
        assert outcome(signed_in(people[persona]).get(url("protocols:detail", world.ids))) == "404", persona
