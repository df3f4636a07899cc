"""The head's permission and the participating sites' permission; the head's queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.accounts.models import Role
from research_governance.accounts.selectors import institutions_with_role
from research_governance.protocols.models import Site
from research_governance.protocols.views import get_protocol_for_viewer
from research_governance.reviews import permissions as review_permissions
from research_governance.reviews.models import Decision, SitePermission
from research_governance.reviews.participants import actors_for
from research_governance.reviews.permission.forms import HeadPermissionForm
from research_governance.reviews.permission.services import (
    head_permit,
    head_refuse,
    ready_for_permission,
    site_permission_record,
)
from research_governance.reviews.protocol_page import PAGE_SIZE, back_to_protocol, detail_response, error_text
from research_governance.reviews.workflow import Actor, TransitionRefused


@login_required
@require_POST
def head_decide(request: AuthenticatedHttpRequest, pk: int, decision_id: int) -> HttpResponse:
    """The head of the institution permits, or refuses, the research (JP-ERC-13)."""
    protocol = get_protocol_for_viewer(request, pk)
    if Actor.HEAD not in actors_for(request.user, protocol):
        raise PermissionDenied
    decision = get_object_or_404(Decision, pk=decision_id, submission__protocol=protocol)
    form = HeadPermissionForm(request.POST)
    if form.is_valid():
        reasons = form.cleaned_data["reasons"]
        try:
            if form.cleaned_data["decision"] == "permit":
                head_permit(decision=decision, by=request.user, reasons=reasons)
            else:
                head_refuse(decision=decision, by=request.user, reasons=reasons)
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Your decision is recorded. The investigators have been notified."))
            return back_to_protocol(decision.submission, "decision")
    return detail_response(request, protocol, head_form=form, focus=decision.submission)


@login_required
@require_POST
def site_permission(request: AuthenticatedHttpRequest, pk: int, decision_id: int, site_id: int) -> HttpResponse:
    """A participating site's head permits, or refuses, the research at their site (JP-ERC-12)."""
    protocol = get_protocol_for_viewer(request, pk)
    decision = get_object_or_404(
        Decision.objects.select_related("submission"), pk=decision_id, submission__protocol=protocol
    )
    site = get_object_or_404(Site, pk=site_id, protocol=protocol)
    if not review_permissions.is_site_head(request.user, site):
        raise PermissionDenied
    form = HeadPermissionForm(request.POST, prefix=f"site-{site.pk}")
    if form.is_valid():
        try:
            site_permission_record(
                decision=decision,
                site=site,
                by=request.user,
                granted=form.cleaned_data["decision"] == "permit",
                reasons=form.cleaned_data["reasons"],
            )
        except (TransitionRefused, ValidationError) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(
                request, _("Your decision for the site is recorded. The investigators have been notified.")
            )
            return back_to_protocol(decision.submission, f"site-{site.pk}")
    return detail_response(request, protocol, site_errors={site.pk: form}, focus=decision.submission)


@login_required
@require_GET
def head_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Awaiting my permission: decisions at the head's institutions that need it (JP-ERC-13), the
    initial application's and each approved amendment's."""
    institutions = institutions_with_role(request.user, Role.HEAD)
    if not institutions:
        raise Http404
    # The same filter as the head's "Waiting for you" (next_steps.decision_steps.PermitFinder):
    # awaiting permission with every condition signed off.
    decisions = (
        ready_for_permission()
        .filter(submission__protocol__institution_id__in=institutions)
        .select_related("submission__protocol__principal_investigator", "submission__version")
        .order_by("decided_at", "id")
    )
    page = Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("page"))
    # Sites at my institutions of studies reviewed centrally elsewhere, awaiting my permission (JP-ERC-12).
    awaiting = (
        Decision.objects.filter(submission__protocol=OuterRef("protocol"), needs_permission=True)
        .exclude(permission__granted=False)
        .exclude(Exists(SitePermission.objects.filter(decision=OuterRef("pk"), site=OuterRef(OuterRef("pk")))))
    )
    latest = awaiting.order_by("-decided_at", "-id")
    sites = list(
        Site.objects.filter(institution_id__in=institutions)
        .exclude(protocol__institution_id=F("institution_id"))
        .annotate(
            submission_id=Subquery(latest.values("submission_id")[:1]),
            decided_at=Subquery(latest.values("decided_at")[:1]),
        )
        .filter(submission_id__isnull=False)
        .select_related("protocol__principal_investigator", "institution")
        .order_by("decided_at", "id")[: PAGE_SIZE + 1]
    )
    return render(
        request,
        "reviews/head_queue.html",
        {"page": page, "sites": sites[:PAGE_SIZE], "more_sites": len(sites) > PAGE_SIZE},
    )
