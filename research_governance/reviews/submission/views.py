"""Submitting an application and withdrawing a submission."""

from typing import Protocol

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.accounts.models import User
from research_governance.protocols import permissions
from research_governance.protocols.views import get_protocol_for_viewer
from research_governance.reviews.completeness import application_missing_items
from research_governance.reviews.models import Submission
from research_governance.reviews.participants import actors_for
from research_governance.reviews.post_approval.forms import AmendmentForm
from research_governance.reviews.protocol_page import back_to_protocol, submission_for_viewer
from research_governance.reviews.submission.services import IncompleteApplication
from research_governance.reviews.workflow import TransitionRefused, allowed_actions

from . import services


@login_required
def protocol_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Review the completeness check, then submit. Every missing item is listed at once.
    An amendment also says what it changes."""
    protocol = get_protocol_for_viewer(request, pk)
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    if not protocol.is_editable:
        messages.info(request, _("This application is already submitted."))
        return redirect("protocols:detail", pk=protocol.pk)
    missing = application_missing_items(protocol)
    amendment_form = AmendmentForm(request.POST or None) if protocol.amendment_open else None
    refused = ""
    if request.method == "POST":
        amendment = amendment_form.cleaned_data if amendment_form is not None and amendment_form.is_valid() else {}
        try:
            submission = services.protocol_submit(
                protocol=protocol,
                by=request.user,
                changes_summary=amendment.get("changes_summary", ""),
                minor_change=amendment.get("minor_change", False),
            )
        except IncompleteApplication as incomplete:
            missing = incomplete.missing
        except TransitionRefused as error:
            refused = str(error.reason)
        else:
            messages.success(
                request, _("Submitted. The secretariat will pre-screen it; you can withdraw it until they accept it.")
            )
            return back_to_protocol(submission)
    return render(
        request,
        "reviews/submit.html",
        {
            "protocol": protocol,
            "missing": missing,
            "refused": refused,
            "attempted": request.method == "POST",
            "amendment_form": amendment_form,
        },
    )


class _SubmissionStep(Protocol):
    """A service that moves one submission on: ``services.submission_withdraw``."""

    def __call__(self, *, submission: Submission, by: User) -> object: ...


def _transition(
    request: AuthenticatedHttpRequest, pk: int, submission_id: int, service: _SubmissionStep, success: str
) -> HttpResponse:
    submission = submission_for_viewer(request, pk, submission_id)
    try:
        service(submission=submission, by=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error.reason))
    except PermissionDenied:
        raise
    else:
        messages.success(request, success)
    return back_to_protocol(submission)


@login_required
@require_http_methods(["GET", "POST"])
def submission_withdraw(request: AuthenticatedHttpRequest, pk: int, submission_id: int) -> HttpResponse:
    """GET asks for confirmation (withdrawing is audited and cannot be undone); POST withdraws."""
    if request.method == "GET":
        submission = submission_for_viewer(request, pk, submission_id)
        actors = actors_for(request.user, submission.protocol)
        if not any(t.action == "withdraw" for t in allowed_actions(submission.status, actors)):
            messages.error(request, _("This submission cannot be withdrawn now."))
            return redirect("protocols:detail", pk=pk)
        return render(
            request, "reviews/withdraw_confirm.html", {"submission": submission, "protocol": submission.protocol}
        )
    return _transition(
        request,
        pk,
        submission_id,
        services.submission_withdraw,
        _("Submission withdrawn. The application is a draft again; submitting it again makes a new version."),
    )
