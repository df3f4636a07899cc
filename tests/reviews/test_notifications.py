"""Each step tells the people who act next, in-app and by email after the change commits."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.notifications.models import Notification
from research_governance.reviews import services
from tests.factories import InstitutionFactory, UserFactory, make_complete


@pytest.mark.django_db
def test_a_submission_tells_the_secretariat(
    pi, secretariat, other_investigator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.protocol_submit(protocol=make_complete(pi), by=pi)
    notification = Notification.objects.get()
    assert notification.recipient == secretariat
    assert notification.kind == "work.waiting"
    assert "Pre-screen the submission" in notification.subject or "予備審査" in notification.subject
    assert [mail.to for mail in mailoutbox] == [[secretariat.email]]


@pytest.mark.django_db
def test_a_return_and_an_acceptance_tell_the_applicants(pi, secretariat, django_capture_on_commit_callbacks):
    first = services.protocol_submit(protocol=make_complete(pi), by=pi)
    services.submission_return(submission=first, by=secretariat, requests=["Explain."])
    returned = Notification.objects.get(recipient=pi)
    assert returned.kind == "work.waiting"
    assert "Answer the committee's requests" in returned.subject
    assert returned.link == reverse("protocols:detail", args=[first.protocol_id]) + f"?submission={first.pk}"


@pytest.mark.django_db
def test_an_assignment_tells_the_reviewer_with_a_link_to_the_workspace(pi, secretariat):
    committee = Committee.objects.create(
        institution=InstitutionFactory(), code="erc", name_ja="委員会", name_en="Committee", kind="ethics"
    )
    member = UserFactory(roles=[Role.COMMITTEE_MEMBER])
    CommitteeMembership.objects.create(committee=committee, user=member, category="humanities_social", sex="male")
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    services.submission_accept(submission=submission, by=secretariat, route="full_board")
    assert Notification.objects.filter(kind="submission.accepted", recipient=pi).exists()
    assignment = services.reviewer_assign(
        submission=submission, by=secretariat, reviewer=member, due_date=timezone.localdate() + timedelta(days=7)
    )
    notification = Notification.objects.get(recipient=member)
    assert notification.kind == "work.waiting"
    assert "Declare any conflict of interest and review" in notification.subject
    assert notification.link == reverse("reviews:workspace", args=[assignment.pk])
