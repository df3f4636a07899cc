"""The auditor (issue 7): read-only access to everything of their institution, and nothing
they can change. The permission audit's matrices (tests/core/test_view_permissions.py) say
what each route answers the auditor; these tests walk them with the auditor alone."""

import re

import pytest
from django.urls import Resolver404, resolve, reverse

from research_governance.accounts.models import Institution, Role
from research_governance.protocols import permissions
from tests.conftest import signed_in
from tests.core.permission_support import A_SUMMARY, B_TITLE
from tests.core.test_view_permissions import EXPECTED_GET, EXPECTED_POST, body, outcome, post_payload, state_of, url
from tests.factories import UserFactory

# What every signed-in user may do for themself, the auditor included: start their own draft,
# mark their own notifications read, choose their own email preferences, check a letter's hash.
# None of it touches anyone else's record.
SELF_SERVICE = {
    "protocols:create",
    "notifications:read_all",
    "notifications:preferences",
    "letters:verify",
    # A data-access request of their own, like a protocol of their own, and its live checks.
    "agreements:request_create",
    "agreements:request_check",
    # Anyone, signed in or not, may refuse the use of their information through a public notice.
    "notices:detail",
}
# The one write that is the auditor's office, not self-service: "auditors check every approval".
# The check (oversight.ApprovalCheck) records what they found and changes nothing they read:
# not the approval, the decision, the protocol or anything else of anyone's.
AUDITOR_WRITES = {"oversight:approval_check"}
# The only POST forms the auditor's pages may carry: the layout's language switch and sign-out,
# and on a public notice the refusal form that is everyone's.
LAYOUT_FORMS = {"set_language", "account_logout", "notices:detail"}


def test_the_matrix_lets_the_auditor_act_on_nothing_but_their_own_account():
    acting = {route for route, row in EXPECTED_POST.items() if row["auditor"] == "ok"}
    assert acting == SELF_SERVICE | AUDITOR_WRITES


def test_every_post_route_refuses_the_auditor_and_changes_nothing(oversight):
    """Every write URL of the app (all of EXPECTED_POST, which test_the_matrices_cover_every_route
    keeps complete) posted by the auditor with a payload that would work: refused as the
    matrix says, and no state (audit trail, protocol, meeting, votes, comments...) changes."""
    world = oversight.world
    auditor = signed_in(world.people["auditor"])
    before = state_of(world)
    refused = []
    for route, row in EXPECTED_POST.items():
        if route in SELF_SERVICE | AUDITOR_WRITES:
            continue
        data, _files = post_payload(route, world)
        got = outcome(auditor.post(url(route, world.ids), data))
        assert got in ("302", "403", "404"), route
        assert got == row["auditor"], route
        assert state_of(world) == before, f"POST {route} as the auditor changed something"
        refused.append(route)
    assert len(refused) == len(EXPECTED_POST) - len(SELF_SERVICE) - len(AUDITOR_WRITES)


def test_the_auditor_reads_every_page_of_a_submitted_protocol(oversight):
    world = oversight.world
    auditor = signed_in(world.people["auditor"])
    for route in ("protocols:detail", "protocols:version_detail", "protocols:version_diff", "letters:download"):
        assert auditor.get(url(route, world.ids)).status_code == 200, route
    # The application itself, the decision and the approval.
    page = auditor.get(url("protocols:detail", world.ids)).content.decode()
    assert world.decision.reasons in page
    assert oversight.active.reference in page
    version = auditor.get(url("protocols:version_detail", world.ids)).content.decode()
    assert A_SUMMARY in version
    # Minutes with the tally, the meeting's item with the reviews.
    minutes = auditor.get(url("committees:minutes", world.ids)).content.decode()
    assert "For 5 · against 0 · abstain 0" in minutes


def test_no_page_offers_the_auditor_a_form_that_writes(oversight):
    """Templates decide by the same permission functions: the auditor's pages carry no write
    form, only the layout's language switch and sign-out, and on an approval's check page the
    form that records their check (AUDITOR_WRITES), posting to that page alone."""
    world = oversight.world
    auditor = signed_in(world.people["auditor"])
    offered = []
    # (The self-service pages carry their own forms: the auditor's draft, preferences, a letter check.)
    routes = [route for route, row in EXPECTED_GET.items() if row["auditor"] == "200" and route not in SELF_SERVICE]
    routes += ["oversight:approvals", "oversight:reports"]
    for route in routes:
        text = body(auditor.get(url(route, world.ids)))
        for form in re.finditer(r"<form[^>]*>", text):
            tag = form.group(0)
            if 'method="post"' not in tag.lower():
                continue
            action = re.search(r'action="([^"]*)"', tag)
            try:
                name = resolve(re.split(r"[?#]", action.group(1))[0]).view_name if action else "(no action)"
            except Resolver404:
                name = action.group(1) if action else "(no action)"
            # Their own notifications (a hand-off asks them to check an approval) may be marked read.
            if name in {"notifications:read", "notifications:read_all"} and route == "notifications:list":
                continue
            if name not in LAYOUT_FORMS and not (name in AUDITOR_WRITES and name == route):
                offered.append(f"{route}: {name}")
    assert not offered, offered


def test_the_auditor_does_not_see_never_submitted_drafts(oversight):
    world = oversight.world
    auditor = signed_in(world.people["auditor"])
    assert auditor.get(reverse("protocols:detail", args=[world.protocol_b.pk])).status_code == 404
    assert not permissions.can_view(world.people["auditor"], world.protocol_b)
    assert world.protocol_b not in permissions.visible_protocols(world.people["auditor"])
    assert B_TITLE not in auditor.get(reverse("protocols:dashboard"), follow=True).content.decode()


def test_the_auditor_s_dashboard_lists_the_institution_s_submitted_protocols(oversight):
    world = oversight.world
    visible = set(permissions.visible_protocols(world.people["auditor"]).values_list("pk", flat=True))
    assert world.protocol_a.pk in visible
    assert oversight.elsewhere.protocol_id not in visible


@pytest.mark.parametrize("role", [Role.AUDITOR])
def test_an_auditor_of_another_institution_sees_nothing_here(oversight, role):
    elsewhere = Institution.objects.get(code="elsewhere")
    stranger = UserFactory(email="auditor@elsewhere.example", institution=elsewhere, roles=[role])
    client = signed_in(stranger)
    world = oversight.world
    assert client.get(url("protocols:detail", world.ids)).status_code == 404
    assert not permissions.is_oversight_reader(stranger, world.protocol_a.institution_id)
    register = client.get(reverse("oversight:approvals")).content.decode()
    assert "APR-ELSEWHERE" in register
    assert oversight.active.reference not in register
