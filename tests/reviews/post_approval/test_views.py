"""The pages after approval: the approval panel with its next report due and the actions the
team may take, the report forms, amendments from the browser, and the queues that flag urgent
reports (JP-R-01, JP-R-02, JP-R-04, JP-R-07)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research_governance.reviews import services
from research_governance.reviews.models import Submission
from tests.factories import UserFactory

from ..post_approval_support import TODAY, amend, sae_data


def detail(protocol, **query):
    url = reverse("protocols:detail", args=[protocol.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def report_url(protocol, kind):
    return reverse("reviews:report_new", args=[protocol.pk, kind])


@pytest.mark.django_db
def test_the_pi_sees_the_approval_the_next_progress_report_due_and_what_can_be_reported(client_for, approval, pi):
    page = client_for(pi).get(detail(approval.protocol)).content.decode()
    assert approval.reference in page
    assert 'id="progress-due"' in page
    assert "Start an amendment" in page
    for kind in ("progress_report", "safety_report", "deviation", "final_report"):
        assert report_url(approval.protocol, kind) in page


@pytest.mark.django_db
def test_the_secretariat_sees_the_approval_but_not_the_team_s_report_buttons(client_for, approval, secretariat):
    page = client_for(secretariat).get(detail(approval.protocol)).content.decode()
    assert approval.reference in page
    assert "Start an amendment" not in page
    assert report_url(approval.protocol, "safety_report") not in page
    assert "Suspend or close the approval" in page


@pytest.mark.django_db
def test_an_overdue_progress_report_is_flagged_on_the_protocol_page_jp_r_01(client_for, approval, pi):
    approval.valid_from = TODAY() - timedelta(days=400)
    approval.save()
    page = client_for(pi).get(detail(approval.protocol)).content.decode()
    assert "Overdue" in page


@pytest.mark.django_db
def test_a_serious_adverse_event_submitted_in_the_browser_is_flagged_urgent(client_for, approval, pi, secretariat):
    client = client_for(pi)
    form = client.get(report_url(approval.protocol, "safety_report")).content.decode()
    assert "JP-R-02" in form
    data = {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in sae_data().items()}
    data["unexpected"] = "on"
    response = client.post(report_url(approval.protocol, "safety_report"), data)
    submission = Submission.objects.get(kind="safety_report")
    assert response.status_code == 302
    assert response.url.endswith(f"?submission={submission.pk}")
    assert submission.urgent
    assert submission.report.unexpected
    page = client.get(response.url).content.decode()
    assert "Anaphylaxis after the second dose." in page
    queue = client_for(secretariat).get(reverse("reviews:secretariat_queue")).content.decode()
    assert "Urgent" in queue


@pytest.mark.django_db
def test_a_report_with_mistakes_shows_each_and_keeps_what_was_typed(client_for, approval, pi):
    response = client_for(pi).post(
        report_url(approval.protocol, "progress_report"),
        {
            "period_from": TODAY().isoformat(),
            "period_to": (TODAY() - timedelta(days=10)).isoformat(),
            "participants_enrolled": "",
            "summary": "Typed with care, kept on error.",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The period ends before it starts." in page
    assert "This field is required." in page
    assert "Typed with care, kept on error." in page
    assert not Submission.objects.filter(kind="progress_report").exists()


@pytest.mark.django_db
def test_an_unknown_kind_of_report_is_not_found(client_for, approval, pi):
    assert client_for(pi).get(report_url(approval.protocol, "initial")).status_code == 404


@pytest.mark.django_db
def test_another_investigator_cannot_see_or_report_on_the_study(client_for, approval, other_investigator):
    client = client_for(other_investigator)
    assert client.get(report_url(approval.protocol, "deviation")).status_code == 404
    assert client.post(reverse("reviews:amendment_start", args=[approval.protocol.pk])).status_code == 404
    assert not Submission.objects.exclude(kind="initial").exists()


@pytest.mark.django_db
def test_the_pi_starts_an_amendment_edits_and_submits_it_with_a_summary(client_for, approval, pi):
    client = client_for(pi)
    response = client.post(reverse("reviews:amendment_start", args=[approval.protocol.pk]))
    assert response.url == reverse("protocols:edit", args=[approval.protocol.pk])
    submit_url = reverse("protocols:submit", args=[approval.protocol.pk])
    page = client.get(submit_url).content.decode()
    assert "This is an amendment of the approved application." in page
    refused = client.post(submit_url, {"changes_summary": ""}).content.decode()
    assert "Summarise what the amendment changes." in refused
    response = client.post(submit_url, {"changes_summary": "New contact person.", "minor_change": "on"})
    amendment = Submission.objects.get(kind="amendment")
    assert response.url.endswith(f"?submission={amendment.pk}")
    assert amendment.report.summary == "New contact person."
    page = client.get(response.url).content.decode()
    assert "New contact person." in page
    assert "Start an amendment" not in page  # one at a time


@pytest.mark.django_db
def test_the_secretariat_is_offered_the_expedited_route_for_a_minor_amendment_jp_erc_10(
    client_for, approval, pi, secretariat
):
    amendment = amend(approval, pi, target_participants=90)
    page = client_for(secretariat).get(detail(approval.protocol, submission=amendment.pk)).content.decode()
    assert 'value="expedited" id="id_accept-route_0" checked' in page


@pytest.mark.django_db
def test_a_report_is_acknowledged_from_the_protocol_page_without_conditions_or_a_period(
    client_for, approval, pi, secretariat
):
    report = services.report_submit(protocol=approval.protocol, by=pi, kind="safety_report", data=sae_data())
    services.submission_accept(submission=report, by=secretariat, route="expedited")
    client = client_for(secretariat)
    page = client.get(detail(approval.protocol, submission=report.pk)).content.decode()
    assert "Acknowledged" in page
    assert "decision-conditions" not in page
    assert "Approve with conditions" not in page
    url = reverse("reviews:decision_record", args=[approval.protocol.pk, report.pk])
    response = client.post(url, {"decision-outcome": "acknowledge", "decision-reasons": "Handled well."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.decision.outcome == "acknowledge"


@pytest.mark.django_db
def test_the_head_s_queue_lists_an_approved_amendment_awaiting_permission_jp_erc_13(
    client_for, approval, pi, secretariat, head, members
):
    from ..test_lifecycle import review

    amendment = amend(approval, pi, target_participants=90)
    services.submission_accept(submission=amendment, by=secretariat, route="expedited")
    assignment = services.reviewer_assign(
        submission=amendment, by=secretariat, reviewer=members[1].user, due_date=TODAY()
    )
    review(assignment, members[1].user, "approve")
    services.decision_record(submission=amendment, by=secretariat, outcome="approve", reasons="Fine.")
    queue = client_for(head).get(reverse("reviews:head_queue")).content.decode()
    assert "Amendment" in queue
    assert f"?submission={amendment.pk}" in queue
    page = client_for(head).get(detail(approval.protocol, submission=amendment.pk)).content.decode()
    assert 'id="head-form"' in page


@pytest.mark.django_db
def test_the_chair_sees_serious_adverse_events_first_with_the_time_reported_and_a_constant_query_count(
    client_for, approval, pi, chair
):
    url = reverse("reviews:chair_queue")
    client = client_for(chair)
    services.report_submit(protocol=approval.protocol, by=pi, kind="safety_report", data=sae_data())
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert "Serious adverse events awaiting the committee" in page
    for _ in range(3):
        services.report_submit(protocol=approval.protocol, by=pi, kind="safety_report", data=sae_data())
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


@pytest.mark.django_db
def test_a_chair_elsewhere_does_not_see_another_institution_s_adverse_events(client_for, approval, pi):
    from research_governance.accounts.models import Role
    from tests.factories import InstitutionFactory

    elsewhere = UserFactory(institution=InstitutionFactory(code="other-inst"), roles=[Role.CHAIR])
    services.report_submit(protocol=approval.protocol, by=pi, kind="safety_report", data=sae_data())
    page = client_for(elsewhere).get(reverse("reviews:chair_queue")).content.decode()
    assert approval.protocol.reference not in page


@pytest.mark.django_db
def test_a_chair_on_the_study_team_sees_neither_the_reviews_nor_the_decision_form_jp_erc_07(
    client_for, pi, secretariat, members
):
    """The chair is an investigator on the study: conflicted whatever they declare (JP-ERC-07)."""
    from research_governance.accounts.models import Role, RoleMembership
    from research_governance.protocols import services as protocol_services
    from research_governance.reviews.workflow import TransitionRefused
    from tests.factories import make_complete

    from ..test_lifecycle import review

    chair = members[2].user
    RoleMembership.objects.create(user=chair, institution=chair.institution, role=Role.CHAIR)
    protocol = make_complete(pi)
    protocol_services.team_member_add(protocol=protocol, by=pi, user=chair, role="staff", can_edit=False)
    submission = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_accept(submission=submission, by=secretariat, route="expedited")
    assignment = services.reviewer_assign(
        submission=submission, by=secretariat, reviewer=members[0].user, due_date=TODAY()
    )
    review(assignment, members[0].user, "approve")

    page = client_for(chair).get(detail(protocol, submission=submission.pk)).content.decode()
    assert 'id="decide-conflict"' in page
    assert "Reviews submitted" not in page
    assert "Sound." not in page  # the review's summary
    with pytest.raises(TransitionRefused, match="JP-ERC-07"):
        services.decision_record(submission=submission, by=chair, outcome="approve", reasons="Mine.")
    office = client_for(secretariat).get(detail(protocol, submission=submission.pk)).content.decode()
    assert "Reviews submitted" in office
    assert "Checklist" in office
