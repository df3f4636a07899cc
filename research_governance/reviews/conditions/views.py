"""Answering and signing off conditions; the chair's queue (built on ``core.work``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.accounts.models import Role
from research_governance.accounts.selectors import SECRETARIAT_ROLES, institutions_with_role
from research_governance.protocols import permissions
from research_governance.protocols.views import get_protocol_for_viewer
from research_governance.reviews.conditions.forms import SignOffForm
from research_governance.reviews.models import Condition, Submission
from research_governance.reviews.next_steps import chair_work
from research_governance.reviews.participants import actors_for
from research_governance.reviews.prescreen.forms import AnswerForm
from research_governance.reviews.protocol_page import PAGE_SIZE, back_to_protocol, detail_response, error_text
from research_governance.reviews.workflow import Actor, SubmissionStatus, TransitionRefused

from . import services
from .selectors import as_queue_row, chair_items


def _condition(request: AuthenticatedHttpRequest, pk: int, condition_id: int) -> Condition:
    protocol = get_protocol_for_viewer(request, pk)
    return get_object_or_404(
        Condition.objects.select_related("decision__submission__protocol"),
        pk=condition_id,
        decision__submission__protocol=protocol,
    )


@login_required
@require_POST
def condition_answer(request: AuthenticatedHttpRequest, pk: int, condition_id: int) -> HttpResponse:
    condition = _condition(request, pk, condition_id)
    protocol = condition.decision.submission.protocol
    if not permissions.can_submit(request.user, protocol):
        raise PermissionDenied
    form = AnswerForm(request.POST, prefix=f"condition-{condition_id}")
    if form.is_valid():
        try:
            services.condition_answer(condition=condition, by=request.user, response=form.cleaned_data["response"])
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Answer saved."))
            return back_to_protocol(condition.decision.submission, f"condition-{condition_id}")
    return detail_response(
        request, protocol, condition_errors={condition.pk: form}, focus=condition.decision.submission
    )


@login_required
@require_POST
def condition_sign_off(request: AuthenticatedHttpRequest, pk: int, condition_id: int) -> HttpResponse:
    condition = _condition(request, pk, condition_id)
    protocol = condition.decision.submission.protocol
    if not actors_for(request.user, protocol) & {Actor.SECRETARIAT, Actor.CHAIR}:
        raise PermissionDenied
    form = SignOffForm(request.POST, prefix=f"signoff-{condition_id}")
    if form.is_valid():
        try:
            services.condition_sign_off(
                condition=condition,
                by=request.user,
                meaning=form.cleaned_data["meaning"],
                password=form.cleaned_data["password"],
            )
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Condition signed off."))
            return back_to_protocol(condition.decision.submission, f"condition-{condition_id}")
    return detail_response(
        request, protocol, condition_errors={condition.pk: form}, focus=condition.decision.submission
    )


@login_required
@require_GET
def chair_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What waits for the chair at the institutions the user chairs or runs the secretariat of:
    the chair's steps from ``core.work`` (ready for decision, reports to acknowledge, conditions
    to sign off), each in its own pages, and the serious adverse events not yet decided."""
    user = request.user
    # The chair's own institutions; the secretariat follows the chair's queue of its institutions.
    institutions = institutions_with_role(user, Role.CHAIR, *SECRETARIAT_ROLES)
    if not institutions:
        raise Http404
    today = timezone.localdate()
    items = chair_work(user)
    sections = []
    for section, found in chair_items(items, institutions, today):
        page = Paginator(found, PAGE_SIZE).get_page(request.GET.get(section.page_param))
        rows = [as_queue_row(item, today) for item in page.object_list]
        sections.append({"section": section, "page": page, "rows": rows})
    # Serious adverse events not yet decided, flagged to the chair with the time reported (JP-R-02).
    urgent = Submission.objects.filter(
        urgent=True,
        status__in=[SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED],
        protocol__institution_id__in=institutions,
    ).select_related("protocol", "submitted_by")
    urgent_rows = list(urgent.order_by("submitted_at", "id")[: PAGE_SIZE + 1])
    return render(
        request,
        "reviews/chair_queue.html",
        {
            "sections": sections,
            "urgent": urgent_rows[:PAGE_SIZE],
            "more_urgent": len(urgent_rows) > PAGE_SIZE,
        },
    )
