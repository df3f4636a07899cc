"""Amendments, post-approval reports, and suspending or closing an approval."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from research_governance.protocols import permissions
from research_governance.protocols.views import get_protocol_for_viewer
from research_governance.reviews.models import Approval
from research_governance.reviews.participants import actors_for
from research_governance.reviews.post_approval.approval_services import approval_close, approval_suspend
from research_governance.reviews.post_approval.forms import ApprovalChangeForm, ReportForm
from research_governance.reviews.post_approval.services import report_submit
from research_governance.reviews.protocol_page import back_to_protocol, detail_response, error_text
from research_governance.reviews.submission.services import IncompleteApplication, returned_submission
from research_governance.reviews.workflow import KIND_RULES, REPORT_KINDS, Actor, SubmissionKind, TransitionRefused

from . import services


@login_required
@require_POST
def amendment_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the approved application for an amendment; the approval stays in force meanwhile."""
    protocol = get_protocol_for_viewer(request, pk)
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    try:
        services.amendment_start(protocol=protocol, by=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error.reason))
        return redirect("protocols:detail", pk=pk)
    messages.success(
        request,
        _("Amendment started. Change the application, then check and submit it; the approved version stays in force."),
    )
    return redirect("protocols:edit", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A post-approval report: progress (JP-R-01), serious adverse event (JP-R-02), deviation or
    non-compliance (JP-R-04), final report (JP-R-07). A later round starts from the returned one."""
    protocol = get_protocol_for_viewer(request, pk)
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    if kind not in REPORT_KINDS:
        raise Http404
    returned = returned_submission(protocol, kind)
    previous = getattr(returned, "report", None)
    form = ReportForm(request.POST or None, kind=kind, instance=None)
    if previous is not None and request.method != "POST":
        form = ReportForm(kind=kind, initial={name: getattr(previous, name) for name in form.fields})
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            submission = report_submit(protocol=protocol, by=request.user, kind=kind, data=form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, field_errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, field_errors)
            else:
                form.add_error(None, error)
        except IncompleteApplication as incomplete:
            form.add_error(None, [item.message for item in incomplete.missing])
        except TransitionRefused as error:
            refused = str(error.reason)
        else:
            messages.success(request, _("Report submitted. The secretariat has been notified."))
            return back_to_protocol(submission)
    return render(
        request,
        "reviews/report_form.html",
        {
            "protocol": protocol,
            "form": form,
            "kind": kind,
            "kind_label": SubmissionKind(kind).label,
            "rule": KIND_RULES[kind].rule,
            "urgent": KIND_RULES[kind].urgent,
            "returned": returned,
            "refused": refused,
        },
    )


@login_required
@require_POST
def approval_change(request: HttpRequest, pk: int, approval_id: int) -> HttpResponse:
    """The secretariat or the chair suspends or closes an approval, with reasons."""
    protocol = get_protocol_for_viewer(request, pk)
    if not actors_for(request.user, protocol) & {Actor.SECRETARIAT, Actor.CHAIR}:
        raise PermissionDenied
    approval = get_object_or_404(Approval, pk=approval_id, protocol=protocol)
    form = ApprovalChangeForm(request.POST)
    if form.is_valid():
        change = approval_suspend if form.cleaned_data["action"] == "suspend" else approval_close
        try:
            change(approval=approval, by=request.user, reasons=form.cleaned_data["reasons"])
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("The approval was changed. The investigators have been notified."))
            return redirect(reverse("protocols:detail", args=[pk]) + "#approval")
    return detail_response(request, protocol, approval_form=form)
