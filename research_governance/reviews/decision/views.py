"""Recording an expedited decision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.reviews.decision.forms import DecisionForm
from research_governance.reviews.participants import actors_for
from research_governance.reviews.protocol_page import (
    back_to_protocol,
    detail_response,
    error_text,
    submission_for_viewer,
)
from research_governance.reviews.workflow import Actor, TransitionRefused

from . import services


@login_required
@require_POST
def decision_record(request: AuthenticatedHttpRequest, pk: int, submission_id: int) -> HttpResponse:
    """The secretariat or the chair records an expedited decision (JP-ERC-10, US-IRB-05)."""
    submission = submission_for_viewer(request, pk, submission_id)
    if not actors_for(request.user, submission.protocol) & {Actor.SECRETARIAT, Actor.CHAIR}:
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decision_record(
                submission=submission,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                reasons=form.cleaned_data["reasons"],
                conditions=form.condition_lines(),
                validity_months=form.cleaned_data["validity_months"],
            )
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Decision recorded. The applicants have been notified."))
            return back_to_protocol(submission, "decision")
    return detail_response(request, submission.protocol, decision_form=form, focus=submission)
