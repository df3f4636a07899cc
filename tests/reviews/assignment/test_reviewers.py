"""Reviewers: assignment by the secretariat grants access, unassignment revokes it; conflicted
members cannot be assigned or see anything (JP-ERC-07, JP-ERC-08, US-IRB-03); the
checklist and recommendation (US-IRB-05 for expedited reviewers under the US rule set)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.protocols.access_services import grant_team_access
from research_governance.reviews import services
from research_governance.reviews.models import ReviewerAssignment
from research_governance.reviews.permissions import can_review
from research_governance.reviews.workflow import TransitionRefused
from tests.factories import InstitutionFactory, UserFactory, make_complete

DUE = timezone.localdate() + timedelta(days=14)
FULL_CHECKLIST = {
    key: {"rating": "adequate", "comment": ""}
    for key in ("scientific_validity", "risk_benefit", "consent", "privacy", "ai", "conflicts")
}


@pytest.fixture
def committee(db):
    return Committee.objects.create(
        institution=InstitutionFactory(), code="erc", name_ja="委員会", name_en="Committee", kind="ethics"
    )


def seat(committee, user=None):
    user = user or UserFactory(roles=[Role.COMMITTEE_MEMBER])
    CommitteeMembership.objects.create(committee=committee, user=user, category="natural_science", sex="female")
    return user


@pytest.fixture
def accepted(pi, secretariat, committee):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    return services.submission_accept(submission=submission, by=secretariat, route="full_board")


@pytest.mark.django_db
def test_assigning_grants_access_and_unassigning_revokes_it(accepted, secretariat, committee):
    member = seat(committee)
    assert not can_review(member, accepted)
    assignment = services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)
    assert can_review(member, accepted)
    services.reviewer_unassign(assignment=assignment, by=secretariat)
    assert not can_review(member, accepted)
    assignment.refresh_from_db()
    assert assignment.status == ReviewerAssignment.Status.WITHDRAWN


@pytest.mark.django_db
def test_a_member_on_the_study_team_cannot_be_assigned_jp_erc_07(accepted, secretariat, committee, pi):
    member = seat(committee)
    protocol = accepted.protocol
    # Joining the team of a study under review is a data fix here; the team is frozen by then.
    grant_team_access(user=member, protocol=protocol, can_edit=False)
    with pytest.raises(ValidationError, match="JP-ERC-07"):
        services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)


@pytest.mark.django_db
def test_the_pi_on_the_committee_cannot_review_their_own_study_jp_erc_08(accepted, secretariat, committee, pi):
    seat(committee, pi)
    with pytest.raises(ValidationError, match="JP-ERC-07"):
        services.reviewer_assign(submission=accepted, by=secretariat, reviewer=pi, due_date=DUE)


@pytest.mark.django_db
def test_declaring_a_conflict_ends_the_assignment_and_the_access_us_irb_03(accepted, secretariat, committee):
    member = seat(committee)
    services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)
    services.conflict_declare(submission=accepted, member=member, has_conflict=True, reason="I co-authored it.")
    assert not can_review(member, accepted)
    assert accepted.assignments.get().status == ReviewerAssignment.Status.WITHDRAWN
    with pytest.raises(ValidationError, match="US-IRB-03"):
        services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)


@pytest.mark.django_db
def test_only_accepted_submissions_get_reviewers_and_only_from_the_committee(pi, secretariat, committee):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    member = seat(committee)
    with pytest.raises(TransitionRefused):
        services.reviewer_assign(submission=submission, by=secretariat, reviewer=member, due_date=DUE)
    services.submission_accept(submission=submission, by=secretariat, route="expedited")
    outsider = UserFactory()
    with pytest.raises(ValidationError, match="not a current member"):
        services.reviewer_assign(submission=submission, by=secretariat, reviewer=outsider, due_date=DUE)


@pytest.mark.django_db
def test_a_review_needs_every_section_rated_and_a_recommendation(accepted, secretariat, committee):
    member = seat(committee)
    assignment = services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)
    services.conflict_declare(submission=accepted, member=member, has_conflict=False, reason="")
    services.review_save(
        assignment=assignment, by=member, checklist={"consent": {"rating": "concern"}}, recommendation="", summary=""
    )
    with pytest.raises(ValidationError) as error:
        services.review_submit(assignment=assignment, by=member)
    assert "Scientific validity" in error.value.messages[0]
    assert "Give your recommendation." in error.value.messages
    services.review_save(
        assignment=assignment, by=member, checklist=FULL_CHECKLIST, recommendation="approve", summary="Fine."
    )
    done = services.review_submit(assignment=assignment, by=member)
    assert done.status == ReviewerAssignment.Status.COMPLETED
    with pytest.raises(TransitionRefused):
        services.review_save(assignment=done, by=member, checklist={}, recommendation="revise", summary="")


@pytest.mark.django_db
def test_an_expedited_reviewer_cannot_disapprove_under_the_us_rule_set_us_irb_05(pi, secretariat, committee):
    committee.rule_set = "US"
    committee.save()
    member = seat(committee)
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    services.submission_accept(submission=submission, by=secretariat, route="expedited")
    assignment = services.reviewer_assign(submission=submission, by=secretariat, reviewer=member, due_date=DUE)
    services.conflict_declare(submission=submission, member=member, has_conflict=False, reason="")
    services.review_save(
        assignment=assignment, by=member, checklist=FULL_CHECKLIST, recommendation="not_approved", summary=""
    )
    with pytest.raises(ValidationError, match="US-IRB-05"):
        services.review_submit(assignment=assignment, by=member)


# ---- pages ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_secretariat_assigns_from_the_protocol_page(client_for, accepted, secretariat, committee, pi):
    member = seat(committee)
    seat(committee, pi)  # on the committee and the team: listed as conflicted
    page = client_for(secretariat).get(reverse("protocols:detail", args=[accepted.protocol_id])).content.decode()
    assert "Conflicted, cannot be assigned" in page
    assert "JP-ERC-07" in page
    client_for(secretariat).post(
        reverse("protocols:reviewer_assign", args=[accepted.protocol_id, accepted.pk]),
        {"assign-reviewer": member.pk, "assign-due_date": DUE.isoformat()},
    )
    assert accepted.assignments.get().reviewer == member
    response = client_for(secretariat).post(
        reverse("protocols:reviewer_assign", args=[accepted.protocol_id, accepted.pk]),
        {"assign-reviewer": pi.pk, "assign-due_date": DUE.isoformat()},
    )
    assert "Select a valid choice." in response.content.decode()


@pytest.mark.django_db
def test_the_reviewer_declares_first_then_sees_the_frozen_version(client_for, accepted, secretariat, committee, pi):
    member = seat(committee)
    assignment = services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)
    client = client_for(member)
    assert accepted.protocol.title_en in client.get(reverse("reviews:my_assignments")).content.decode()
    url = reverse("reviews:workspace", args=[assignment.pk])
    first = client.get(url).content.decode()
    assert "Before you review: conflicts of interest" in first
    assert "What we study and why." not in first
    client.post(url, {"has_conflict": "false"})
    page = client.get(url).content.decode()
    assert "What we study and why." in page
    version = accepted.version.document_versions.first()
    download = client.get(reverse("reviews:document", args=[assignment.pk, version.pk]))
    assert download.status_code == 200


@pytest.mark.django_db
def test_a_reviewer_who_declares_a_conflict_sees_nothing_afterwards(client_for, accepted, secretariat, committee):
    member = seat(committee)
    assignment = services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)
    client = client_for(member)
    url = reverse("reviews:workspace", args=[assignment.pk])
    client.post(url, {"has_conflict": "true", "reason": "My spouse is the sponsor."})
    assert client.get(url).status_code == 404
    version = accepted.version.document_versions.first()
    assert client.get(reverse("reviews:document", args=[assignment.pk, version.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["reviewer", "other_investigator", "pi", "secretariat"])
def test_nobody_else_opens_a_reviewers_workspace(client_for, accepted, secretariat, committee, persona, request):
    member = seat(committee)
    assignment = services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)
    assert (
        client_for(request.getfixturevalue(persona)).get(reverse("reviews:workspace", args=[assignment.pk])).status_code
        == 404
    )


@pytest.mark.django_db
def test_an_unassigned_reviewer_loses_the_workspace(client_for, accepted, secretariat, committee):
    member = seat(committee)
    assignment = services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)
    services.conflict_declare(submission=accepted, member=member, has_conflict=False, reason="")
    client_for(secretariat).post(reverse("protocols:reviewer_unassign", args=[accepted.protocol_id, assignment.pk]))
    assert client_for(member).get(reverse("reviews:workspace", args=[assignment.pk])).status_code == 404


@pytest.mark.django_db
def test_the_reviewer_saves_and_submits_from_the_workspace(client_for, accepted, secretariat, committee):
    member = seat(committee)
    assignment = services.reviewer_assign(submission=accepted, by=secretariat, reviewer=member, due_date=DUE)
    services.conflict_declare(submission=accepted, member=member, has_conflict=False, reason="")
    url = reverse("reviews:workspace", args=[assignment.pk])
    data = {f"{key}_rating": "adequate" for key in FULL_CHECKLIST}
    partial = client_for(member).post(url, {**data, "consent_rating": "", "submit": "1"})
    assert "Rate every section of the checklist: Consent and its documents." in partial.content.decode()
    client_for(member).post(url, {**data, "recommendation": "approve_with_conditions", "submit": "1"})
    assignment.refresh_from_db()
    assert assignment.status == ReviewerAssignment.Status.COMPLETED
    assert assignment.recommendation == "approve_with_conditions"


@pytest.mark.django_db
def test_the_reviewer_queue_query_count_does_not_grow(client_for, pi, secretariat, committee):
    member = seat(committee)
    client = client_for(member)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("reviews:my_assignments"))
        return len(captured)

    def assign_one():
        submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
        services.submission_accept(submission=submission, by=secretariat, route="full_board")
        services.reviewer_assign(submission=submission, by=secretariat, reviewer=member, due_date=DUE)

    assign_one()
    few = queries()
    for _ in range(5):
        assign_one()
    assert queries() == few
