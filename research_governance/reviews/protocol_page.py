"""The protocol page with the state of its review, and what every review page shares to get back to it."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.accounts.selectors import is_secretariat
from research_governance.audit import access
from research_governance.protocols import permissions, selectors
from research_governance.protocols.assessment import present
from research_governance.protocols.models import Protocol
from research_governance.protocols.views import get_protocol_for_viewer
from research_governance.reviews import selectors as review_selectors
from research_governance.reviews.assignment.forms import AssignForm
from research_governance.reviews.completeness import application_missing_items
from research_governance.reviews.correspondence import correspondence, protocol_decisions
from research_governance.reviews.models import Submission
from research_governance.reviews.panels import (
    OPEN_STATUSES,
    decision_panels,
    focus_submission,
    next_steps,
    protocol_submissions,
)
from research_governance.reviews.participants import actors_for
from research_governance.reviews.prescreen.forms import AcceptForm, ReturnForm
from research_governance.reviews.workflow import (
    REPORT_KINDS,
    ReviewRoute,
    SubmissionKind,
    SubmissionStatus,
    TransitionRefused,
    allowed_actions,
)

# Default time a reviewer is given; the secretariat changes it per assignment.
REVIEW_DAYS = 14


@login_required
@require_GET
def protocol_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    protocol = get_protocol_for_viewer(request, pk)
    access.protocol_viewed(request, protocol)  # SEC-04: views from outside the team are logged
    return detail_response(request, protocol)


def detail_response(request: AuthenticatedHttpRequest, protocol: Protocol, **forms: Any) -> HttpResponse:
    """The protocol page; ``forms`` carry bound forms with errors back to the page, and ``focus``
    the submission they were about (otherwise ?submission= or the one needing action)."""
    submissions = protocol_submissions(protocol)
    focus = focus_submission(submissions, getattr(forms.get("focus"), "pk", None) or request.GET.get("submission"))
    open_submission = focus if focus is not None and focus.status in OPEN_STATUSES else None
    # A returned round whose requests the applicants answer before they resubmit.
    returned = (
        Submission.objects.filter(pk=focus.pk, next_round__isnull=True).prefetch_related("requests").first()
        if focus is not None and focus.status == SubmissionStatus.RETURNED
        else None
    )
    actors = actors_for(request.user, protocol)
    actions = allowed_actions(open_submission.status, actors) if open_submission else []
    assessment = selectors.protocol_assessment(protocol)
    reviewers = None
    assign_form = None
    if (
        open_submission
        and open_submission.status == SubmissionStatus.ACCEPTED
        and is_secretariat(request.user, protocol.institution_id)
    ):
        reviewers = review_selectors.reviewers_context(open_submission)
        assign_form = forms.get("assign_form") or AssignForm(
            members=review_selectors.eligible_reviewers(open_submission),
            initial={"due_date": timezone.localdate() + timedelta(days=REVIEW_DAYS)},
        )
    expedited_suggested = (
        getattr(getattr(open_submission, "report", None), "minor_change", False)
        or (open_submission is not None and open_submission.kind in REPORT_KINDS)
        if open_submission is not None and open_submission.kind != SubmissionKind.INITIAL
        else assessment.verdict is not None and assessment.verdict["review"]["expedited_eligible"]
    )
    decisions = decision_panels(protocol, actors, focus, submissions, forms, user=request.user)
    steps = next_steps(
        protocol,
        request.user,
        legacy={
            "prescreen": any(a.action == "accept" for a in actions),
            "assign": reviewers is not None,
            "decide": decisions["decide"] is not None,
            "answer_conditions": decisions["can_answer_conditions"],
            "sign_off": decisions["can_sign_off"],
            "permit": decisions["head_form"] is not None,
        },
        decisions=decisions,
    )
    # Each form is shown to the actors of its step (reviews.panels.FORM_STEPS), by no other rule;
    # but the reviewers' panel, which the secretariat may use at any time during review (a full-
    # board study gets reviewers before its meeting), shows whenever the secretariat may assign;
    # and the decision card, with the reviews submitted so far, whenever the officer may decide.
    decisions["can_answer_conditions"] = steps.forms["answer_conditions"]
    decisions["can_sign_off"] = steps.forms["sign_off"]
    if not steps.forms["permit"]:
        decisions["head_form"] = None
    return render(
        request,
        "protocols/detail.html",
        {
            "next_steps": steps,
            "correspondence": correspondence(protocol),
            "protocol_decisions": protocol_decisions(submissions),
            "returned": returned,
            "reviewers": reviewers,
            "assign_form": assign_form,
            "accept_form": forms.get("accept_form")
            or AcceptForm(initial={"route": ReviewRoute.EXPEDITED if expedited_suggested else ReviewRoute.FULL_BOARD}),
            "return_form": forms.get("return_form") or ReturnForm(),
            "answer_errors": forms.get("answer_errors") or {},
            "protocol": protocol,
            "on_team": permissions.is_on_team(request.user, protocol),
            "can_edit": protocol.is_editable and permissions.can_edit(request.user, protocol),
            "can_submit": protocol.is_editable and permissions.can_submit(request.user, protocol),
            "open_submission": open_submission,
            "actions": [a for a in actions if a.action != "submit"],
            "team": selectors.team(protocol),
            "sites": list(protocol.sites.select_related("institution")),
            "recipients": selectors.recipients(protocol),
            "documents": selectors.current_documents(protocol),
            "submissions": submissions,
            "also_open": [s for s in submissions if s.status in OPEN_STATUSES and s != open_submission],
            "amendment_pending": protocol.amendment_open
            or any(s.kind == SubmissionKind.AMENDMENT and s.status in OPEN_STATUSES for s in submissions),
            "history": selectors.history(protocol),
            # The same check the submit service refuses with (reviews.completeness).
            "missing": application_missing_items(protocol, assessment) if protocol.is_editable else [],
            "assessment": present(assessment, chosen=protocol.consent_procedure),
            "decisions": decisions,
        },
    )


# Rows per page of the review queues.
PAGE_SIZE = 25


def submission_for_viewer(request: AuthenticatedHttpRequest, pk: int, submission_id: int) -> Submission:
    protocol = get_protocol_for_viewer(request, pk)
    return get_object_or_404(
        Submission.objects.select_related("version", "protocol"), pk=submission_id, protocol=protocol
    )


def back_to_protocol(submission: Submission, anchor: str = "") -> HttpResponse:
    """Back to the protocol page, about this submission."""
    url = reverse("protocols:detail", args=[submission.protocol_id])
    return redirect(f"{url}?submission={submission.pk}{'#' + anchor if anchor else ''}")


def submission_for_secretariat(request: AuthenticatedHttpRequest, pk: int, submission_id: int) -> Submission:
    submission = submission_for_viewer(request, pk, submission_id)
    if not is_secretariat(request.user, submission.protocol.institution_id):
        raise Http404
    return submission


def error_text(error: Exception) -> str:
    if isinstance(error, TransitionRefused):
        return str(error.reason)
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
