"""Assigning reviewers and a reviewer's queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.accounts.selectors import is_secretariat
from research_governance.protocols.views import get_protocol_for_viewer
from research_governance.reviews import selectors as selectors_reviews
from research_governance.reviews.assignment.forms import AssignForm
from research_governance.reviews.models import ReviewerAssignment
from research_governance.reviews.protocol_page import (
    PAGE_SIZE,
    back_to_protocol,
    detail_response,
    submission_for_secretariat,
)
from research_governance.reviews.workflow import TransitionRefused

from . import services


@login_required
@require_POST
def reviewer_assign(request: AuthenticatedHttpRequest, pk: int, submission_id: int) -> HttpResponse:
    submission = submission_for_secretariat(request, pk, submission_id)
    form = AssignForm(request.POST, members=selectors_reviews.eligible_reviewers(submission))
    if form.is_valid():
        try:
            services.reviewer_assign(
                submission=submission,
                by=request.user,
                reviewer=form.cleaned_data["reviewer"],
                due_date=form.cleaned_data["due_date"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except TransitionRefused as error:
            form.add_error(None, str(error.reason))
        else:
            messages.success(request, _("Reviewer assigned."))
            return back_to_protocol(submission, "reviewers")
    return detail_response(request, submission.protocol, assign_form=form, focus=submission)


@login_required
@require_POST
def reviewer_unassign(request: AuthenticatedHttpRequest, pk: int, assignment_id: int) -> HttpResponse:
    protocol = get_protocol_for_viewer(request, pk)
    if not is_secretariat(request.user, protocol.institution_id):
        raise Http404
    assignment = get_object_or_404(ReviewerAssignment, pk=assignment_id, submission__protocol=protocol)
    services.reviewer_unassign(assignment=assignment, by=request.user)
    messages.success(request, _("Reviewer unassigned; their access to the submission has ended."))
    return redirect(reverse("protocols:detail", args=[pk]) + "#reviewers")


@login_required
@require_GET
def my_assignments(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A reviewer's queue: what is assigned to me, by due date."""
    assignments = (
        ReviewerAssignment.objects.filter(reviewer=request.user)
        .exclude(status=ReviewerAssignment.Status.WITHDRAWN)
        .select_related("submission__protocol", "submission__version")
        .order_by("status", "due_date", "id")
    )
    page = Paginator(assignments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/my_assignments.html", {"page": page, "today": timezone.localdate()})
