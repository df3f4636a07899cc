"""A protocol's audit timeline: every event of the protocol, newest first, for auditors and
administrators (US-R-02). An audit page, named ``audit:protocol_timeline`` (the project's urls.py
puts it among the audit pages), served from here because it loads a protocol and audit, in the
kernel, does not import the domain."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from research_governance.audit import selectors as audit_selectors
from research_governance.audit.views import keyset_param, require_auditor
from research_governance.protocols.models import Protocol

TIMELINE_SIZE = 100


@login_required
@require_GET
def protocol_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    require_auditor(request)
    protocol = get_object_or_404(
        Protocol.objects.select_related("principal_investigator"),
        pk=pk,
        institution_id__in=audit_selectors.audited_institutions(request.user),
    )
    events = audit_selectors.events_visible_to(request.user).filter(protocol=protocol)
    page = audit_selectors.keyset_page(
        events, before=keyset_param(request, "before"), after=keyset_param(request, "after"), size=TIMELINE_SIZE
    )
    return render(request, "audit/timeline.html", {"protocol": protocol, "page": page})
