"""The audit pages, for auditors and administrators only (read-only; SEC-04, SEC-05, US-R-02).

Everyone else gets 404, like the other role pages: the pages' existence is not disclosed. A
protocol's timeline, being about a domain object, is served from above the domain
(oversight/timeline.py) under the same ``audit:`` names."""

import csv
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import selectors
from .display import action_label
from .forms import AccessLogFilterForm, EventFilterForm
from .services import canonical_json


def require_auditor(request: HttpRequest) -> None:
    if not selectors.audited_institutions(request.user):
        raise Http404


def keyset_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _filters(form: EventFilterForm | AccessLogFilterForm) -> dict[str, Any]:
    # Invalid filters (a date typed wrong) are shown as errors and ignored, never half-applied.
    return form.cleaned_data if form.is_valid() else {}


@login_required
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    require_auditor(request)
    form = EventFilterForm(request.GET or None)
    events = selectors.events_filtered(_filters(form), selectors.events_visible_to(request.user))
    page = selectors.keyset_page(events, before=keyset_param(request, "before"), after=keyset_param(request, "after"))
    return render(request, "audit/events.html", {"form": form, "page": page})


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields CSV text."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    # A cell a spreadsheet would run as a formula is quoted (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


CSV_HEADER = (
    "id",
    "occurred_at_local",
    "occurred_at_utc",
    "actor_id",
    "actor",
    "action",
    "action_label",
    "target_type",
    "target_id",
    "protocol_id",
    "data",
    "previous_hash",
    "hash",
)


def _csv_lines(rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_HEADER)  # a BOM, so spreadsheet programs read UTF-8
    for pk, at, actor_id, actor_label, action, target_type, target_id, protocol_id, data, previous, digest in rows:
        # occurred_at_utc and data are exactly what the hash covers, so the export can be re-verified.
        yield writer.writerow(
            (
                pk,
                timezone.localtime(at).isoformat(),
                at.astimezone(UTC).isoformat(),
                actor_id,
                _cell(actor_label),
                _cell(action),
                _cell(action_label(action)),
                _cell(target_type),
                _cell(target_id),
                protocol_id,
                _cell(canonical_json(data)),
                previous,
                digest,
            )
        )


@login_required
@require_GET
def event_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered events as CSV, streamed in keyset chunks: a million events never sit in memory."""
    require_auditor(request)
    events = selectors.events_filtered(
        _filters(EventFilterForm(request.GET or None)), selectors.events_visible_to(request.user)
    )
    response = StreamingHttpResponse(_csv_lines(selectors.events_for_export(events)), content_type="text/csv")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    require_auditor(request)
    form = AccessLogFilterForm(request.GET or None)
    entries = selectors.access_log_filtered(_filters(form), selectors.access_log_visible_to(request.user))
    page = selectors.keyset_page(entries, before=keyset_param(request, "before"), after=keyset_param(request, "after"))
    return render(request, "audit/access_log.html", {"form": form, "page": page})
