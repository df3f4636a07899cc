"""The secretariat's queue and pre-screening; the applicants' answers to its requests."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.accounts.selectors import secretariat_institutions
from research_governance.protocols import permissions
from research_governance.protocols.views import get_protocol_for_viewer
from research_governance.reviews.models import PrescreenRequest, Submission
from research_governance.reviews.prescreen.forms import AcceptForm, AnswerForm, ReturnForm
from research_governance.reviews.protocol_page import (
    PAGE_SIZE,
    back_to_protocol,
    detail_response,
    submission_for_secretariat,
)
from research_governance.reviews.workflow import SubmissionStatus, TransitionRefused

from . import services


@login_required
@require_POST
def submission_accept(request: AuthenticatedHttpRequest, pk: int, submission_id: int) -> HttpResponse:
    submission = submission_for_secretariat(request, pk, submission_id)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return detail_response(request, submission.protocol, accept_form=form, focus=submission)
    try:
        services.submission_accept(submission=submission, by=request.user, route=form.cleaned_data["route"])
    except TransitionRefused as error:
        messages.error(request, str(error.reason))
    else:
        messages.success(request, _("Accepted for review."))
    return back_to_protocol(submission)


@login_required
@require_POST
def submission_return(request: AuthenticatedHttpRequest, pk: int, submission_id: int) -> HttpResponse:
    """Return to the investigator with itemised requests (pre-screening)."""
    submission = submission_for_secretariat(request, pk, submission_id)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return detail_response(request, submission.protocol, return_form=form, focus=submission)
    try:
        services.submission_return(submission=submission, by=request.user, requests=form.request_lines())
    except TransitionRefused as error:
        messages.error(request, str(error.reason))
    else:
        messages.success(request, _("Returned to the investigator with your requests."))
    return back_to_protocol(submission)


@login_required
@require_POST
def request_answer(request: AuthenticatedHttpRequest, pk: int, request_id: int) -> HttpResponse:
    """The applicant answers one pre-screening request."""
    protocol = get_protocol_for_viewer(request, pk)
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    prescreen_request = get_object_or_404(PrescreenRequest, pk=request_id, submission__protocol=protocol)
    form = AnswerForm(request.POST, prefix=f"answer-{request_id}")
    if form.is_valid():
        try:
            services.request_answer(request=prescreen_request, by=request.user, response=form.cleaned_data["response"])
        except TransitionRefused as refused:
            messages.error(request, str(refused.reason))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Answer saved."))
            return redirect(reverse("protocols:detail", args=[pk]) + f"#request-{request_id}")
        return redirect("protocols:detail", pk=pk)
    return detail_response(request, protocol, answer_errors={prescreen_request.pk: form})


@login_required
@require_GET
def secretariat_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    institutions = secretariat_institutions(request.user)
    if not institutions:
        raise Http404
    status = request.GET.get("status", SubmissionStatus.SUBMITTED)
    if status not in SubmissionStatus.values:
        status = SubmissionStatus.SUBMITTED
    submissions = (
        Submission.objects.filter(status=status, protocol__institution_id__in=institutions)
        .select_related("protocol", "protocol__principal_investigator", "version")
        # A serious adverse event first (JP-R-02), then the oldest.
        .order_by("-urgent", "submitted_at", "id")
    )
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/secretariat_queue.html",
        {"page": page, "status": status, "statuses": SubmissionStatus.choices},
    )
