"""Oversight pages: the approvals register, the reports and the committee report (JP-ERC-11).
Every route is GET only and writes nothing, but the auditor's check of an approval (POST to
``approval_check``, through ``services.approval_check_record``); who may read is in permissions.py."""

import csv
import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.accounts.models import Role
from research_governance.accounts.selectors import institutions_with_role
from research_governance.committees.models import Committee
from research_governance.reviews.models import Meeting
from research_governance.reviews.workflow import ApprovalStatus, ConditionState

from . import committee_report as committee_reports
from . import permissions, reports, selectors
from .charts import bar_chart
from .forms import ApprovalCheckForm
from .services import approval_check_record

PAGE_SIZE = 25
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A file-like object whose write returns the line, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


def _csv_response(rows: Any, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    # A byte-order mark, so spreadsheet programs read the Japanese as UTF-8.
    body = (("\ufeff" if index == 0 else "") + writer.writerow(row) for index, row in enumerate(rows))
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _register_filters(request: HttpRequest) -> tuple[selectors.RegisterFilters, dict[str, Any]]:
    status = request.GET.get("status", "")
    if status not in ApprovalStatus.values:
        status = ""
    committee = request.GET.get("committee", "")
    committee_id = int(committee) if committee.isdigit() else None
    query = request.GET.get("q", "").strip()[:100]
    raw_day = request.GET.get("active_on", "").strip()
    try:
        active_on = parse_date(raw_day) if raw_day else None
    except ValueError:
        active_on = None
    error = bool(raw_day) and active_on is None
    filters = selectors.RegisterFilters(status=status, committee_id=committee_id, query=query, active_on=active_on)
    shown = {"status": status, "committee": committee_id, "q": query, "active_on": raw_day, "date_error": error}
    return filters, shown


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    institutions = permissions.require_institutions(request.user)
    reporters = set(permissions.institutions_for(request.user, permissions.COMMITTEE_REPORT_ROLES))
    committees = [c for c in selectors.committees_of(institutions) if c.institution_id in reporters]
    this_year = timezone.localdate().year
    return render(
        request,
        "oversight/index.html",
        {"committees": committees, "years": list(range(this_year, this_year - 5, -1))},
    )


@login_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    institutions = permissions.require_institutions(request.user)
    filters, shown = _register_filters(request)
    committees = selectors.committees_of(institutions)
    page = Paginator(selectors.approval_register(institutions, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.register_rows(page.object_list, {c.pk: c for c in committees})
    return render(
        request,
        "oversight/approvals.html",
        {
            "page": page,
            "rows": rows,
            "filters": shown,
            "statuses": ApprovalStatus.choices,
            "committees": committees,
            "query_string": request.GET.urlencode(),
            # Where the reader is an auditor: those rows link to the approval's check page.
            "auditor_of": institutions_with_role(request.user, Role.AUDITOR),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def approval_check(request: AuthenticatedHttpRequest, approval_id: int) -> HttpResponse:
    """The auditor checks an approval: its decision, conditions, permission and letters, and
    records the check. For the auditors of the approval's institution only; anyone else 404."""
    institutions = permissions.require_institutions(request.user, (Role.AUDITOR,))
    approval = selectors.approval_for_check(approval_id, institutions)
    if approval is None:
        raise Http404
    check = getattr(approval, "audit_check", None)
    form = ApprovalCheckForm(request.POST if request.method == "POST" and check is None else None)
    if request.method == "POST" and check is None and form.is_valid():
        try:
            approval_check_record(
                approval=approval,
                by=request.user,
                findings=form.cleaned_data["findings"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(request, _("Your check of %(reference)s is recorded.") % {"reference": approval.reference})
            return redirect("oversight:approvals")
    elif request.method == "POST" and check is not None:
        messages.info(request, _("An auditor has already checked this approval."))
        return redirect("oversight:approval_check", approval_id=approval.pk)
    return render(
        request,
        "oversight/approval_check.html",
        {
            "approval": approval,
            "decision": approval.decision,
            "conditions": [(c, ConditionState(c.state).label) for c in approval.decision.conditions.all()],
            "permission": getattr(approval.decision, "permission", None),
            "letters": getattr(approval.decision, "current_letters", []),
            "check": check,
            "form": form,
        },
    )


def _export_rows(request: HttpRequest) -> tuple[Any, dict[int, Committee]]:
    institutions = permissions.require_institutions(request.user)
    filters, _shown = _register_filters(request)
    committees = {c.pk: c for c in selectors.committees_of(institutions)}
    return selectors.approval_register(institutions, filters), committees


def _chunks(approvals: Any, committees: dict[int, Committee], size: int = 500) -> Any:
    """Register rows a chunk at a time, so a large register is never all in memory."""
    for row in selectors.register_rows(approvals.iterator(chunk_size=size), committees):
        yield selectors.export_values(row)


@login_required
@require_GET
def approvals_csv(request: HttpRequest) -> StreamingHttpResponse:
    approvals, committees = _export_rows(request)
    rows = _iter_with_header(selectors.export_header(), _chunks(approvals, committees))
    return _csv_response(rows, f"approvals-{timezone.localdate().isoformat()}.csv")


def _iter_with_header(header: list[str], rows: Any) -> Any:
    yield header
    yield from rows


@login_required
@require_GET
def approvals_xlsx(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    approvals, committees = _export_rows(request)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Approvals")
    sheet.append(selectors.export_header())
    for values in _chunks(approvals, committees):
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="approvals-{timezone.localdate().isoformat()}.xlsx"'
    return response


@login_required
@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    institutions = permissions.require_institutions(request.user)
    built = reports.all_reports(institutions)
    shown = [
        {
            "report": report,
            "chart": bar_chart(
                f"chart-{report.slug}",
                report.title,
                report.description,
                report.categories,
                report.series,
                report.values,
            ),
        }
        for report in built
    ]
    return render(request, "oversight/reports.html", {"reports": shown})


@login_required
@require_GET
def report_csv(request: HttpRequest, report: str) -> StreamingHttpResponse:
    institutions = permissions.require_institutions(request.user)
    build = reports.REPORTS.get(report)
    if build is None:
        raise Http404
    built = build(institutions, timezone.localdate())
    return _csv_response(
        _iter_with_header(built.header, built.rows), f"{report}-{timezone.localdate().isoformat()}.csv"
    )


def _committee_for_report(request: HttpRequest, pk: int, year: int) -> Committee:
    institutions = permissions.require_institutions(request.user, permissions.COMMITTEE_REPORT_ROLES)
    committee = get_object_or_404(
        Committee.objects.select_related("institution"), pk=pk, institution_id__in=institutions
    )
    if not 2000 <= year <= date.today().year + 1:
        raise Http404
    return committee


@login_required
@require_GET
def committee_report(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    committee = _committee_for_report(request, pk, year)
    report = committee_reports.build(committee, year)
    years = sorted(
        {d.year for d in Meeting.objects.filter(committee=committee).dates("scheduled_at", "year")} | {year},
        reverse=True,
    )
    return render(
        request,
        "oversight/committee_report.html",
        {"report": report, "years": years, "roster_columns": committee_reports.ROSTER_COLUMNS},
    )


@login_required
@require_GET
def committee_report_pdf(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    # Imported here: only this view renders PDFs in the web process (see letters.rendering).
    from research_governance.letters.rendering import html_to_pdf

    committee = _committee_for_report(request, pk, year)
    report = committee_reports.build(committee, year)
    html = render_to_string(
        "oversight/committee_report_pdf.html",
        {"report": report, "roster_columns": committee_reports.ROSTER_COLUMNS, "LANGUAGE_CODE": get_language()},
    )
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="committee-report-{committee.code}-{year}.pdf"'
    return response


@login_required
@require_GET
def committee_report_csv(request: HttpRequest, pk: int, year: int) -> StreamingHttpResponse:
    committee = _committee_for_report(request, pk, year)
    report = committee_reports.build(committee, year)
    return _csv_response(committee_reports.csv_rows(report), f"committee-report-{committee.code}-{year}.csv")
