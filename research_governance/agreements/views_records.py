"""Pages of what follows an agreement: the recipient records destruction; the provider records
each provision (JP-IC-12); the committee's officers reinstate a suspended agreement and record a
re-review; officers and auditors read the institution's provision register (and export it).

Who may not see the request gets 404 (its existence is not disclosed); who may see it but not act
gets 403. Views are thin: every write is a service in ``records_services`` or ``cascade_services``."""

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.reviews.workflow import TransitionRefused

from . import cascade_services, permissions, records_services
from .forms_records import DestructionForm, ProvisionForm, RegisterFilterForm, ReReviewForm
from .models import Agreement, DataAccessRequest, ProvisionRecord
from .views_requests import get_request_for_viewer

PAGE_SIZE = 25


def _agreement_for_viewer(request: AuthenticatedHttpRequest, pk: int) -> tuple[DataAccessRequest, Agreement]:
    data_request = get_request_for_viewer(request, pk)
    agreement = records_services.agreement_of(data_request)
    if agreement is None:
        raise Http404
    agreement.request = data_request
    return data_request, agreement


def _error_text(error: Exception) -> str:
    if isinstance(error, TransitionRefused):
        return str(error.reason)
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def _add_errors(form: DestructionForm | ProvisionForm | ReReviewForm, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, _error_text(error))


def _back(data_request: DataAccessRequest) -> str:
    return reverse("agreements:request_detail", args=[data_request.pk]) + "#records"


@login_required
@require_http_methods(["GET", "POST"])
def destruction_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The recipient records that the data were destroyed, once the agreement has ended."""
    data_request, agreement = _agreement_for_viewer(request, pk)
    if not records_services.can_record_destruction(request.user, agreement):
        raise PermissionDenied
    refusal = records_services.destruction_refusal(agreement)
    form = DestructionForm(request.POST or None, initial={"destroyed_on": timezone.localdate()})
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            records_services.destruction_record(agreement=agreement, by=request.user, **form.cleaned_data)
        except (TransitionRefused, ValidationError) as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The destruction was recorded. The data access committee has been told."))
            return redirect(_back(data_request))
    return render(
        request,
        "agreements/records/destruction_form.html",
        {"data_request": data_request, "agreement": agreement, "form": form, "refusal": refusal},
    )


@login_required
@require_http_methods(["GET", "POST"])
def provision_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The provider records one provision of data under the active agreement (JP-IC-12)."""
    data_request, agreement = _agreement_for_viewer(request, pk)
    datasets = records_services.providing_datasets(request.user, agreement)
    if not datasets.exists():
        raise PermissionDenied
    refusal = records_services.provision_refusal(agreement)
    initial = {"provided_on": timezone.localdate(), "medium": data_request.medium}
    initial["recipient"] = data_request.recipient_institution or data_request.requester.display_name
    form = ProvisionForm(request.POST or None, initial=initial, datasets=datasets)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            records_services.provision_record(agreement=agreement, by=request.user, **form.cleaned_data)
        except (TransitionRefused, ValidationError) as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The provision was recorded. It is kept for three years (JP-IC-12)."))
            return redirect(reverse("agreements:provision_list", args=[data_request.pk]))
    return render(
        request,
        "agreements/records/provision_form.html",
        {"data_request": data_request, "agreement": agreement, "form": form, "refusal": refusal},
    )


@login_required
@require_GET
def provision_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Every provision of data under the agreement, for whoever may see the request."""
    data_request, agreement = _agreement_for_viewer(request, pk)
    rows = agreement.provisions.select_related("dataset", "provided_by").order_by("-provided_on", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "agreements/records/provision_list.html",
        {
            "data_request": data_request,
            "agreement": agreement,
            "page": page,
            "may_record_provision": records_services.can_record_provision(request.user, agreement),
        },
    )


@login_required
@require_POST
def agreement_reinstate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An officer of the data access committee reinstates a suspended agreement."""
    data_request, agreement = _agreement_for_viewer(request, pk)
    try:
        _agreement, grants = cascade_services.agreement_reinstate(agreement=agreement, by=request.user)
    except TransitionRefused as error:
        messages.error(request, str(error.reason))
    else:
        messages.success(
            request,
            _(
                "The agreement was reinstated; new access was granted to %(count)s team members "
                "until the end of the term."
            )
            % {"count": len(grants)},
        )
    return redirect(_back(data_request))


@login_required
@require_POST
def re_review_clear(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An officer of the data access committee records the re-review and clears the flag."""
    data_request, agreement = _agreement_for_viewer(request, pk)
    if not permissions.can_act_as_officer(request.user, data_request):
        raise PermissionDenied
    form = ReReviewForm(request.POST)
    if form.is_valid():
        try:
            cascade_services.re_review_clear(agreement=agreement, by=request.user, note=form.cleaned_data["note"])
        except (TransitionRefused, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("The re-review was recorded."))
    else:
        messages.error(request, _("Say what the committee concluded."))
    return redirect(_back(data_request))


def _register(request: AuthenticatedHttpRequest) -> tuple[list[int], RegisterFilterForm, QuerySet[ProvisionRecord]]:
    institutions = records_services.register_institutions(request.user)
    if not institutions:
        raise Http404
    form = RegisterFilterForm(request.GET or None)
    since = until = None
    if form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    return (
        institutions,
        form,
        records_services.provision_register(institution_ids=institutions, since=since, until=until),
    )


@login_required
@require_GET
def provision_register(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every provision of data by the institution (JP-IC-12): the committee's officers and auditors."""
    _institutions, form, rows = _register(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "agreements/records/provision_register.html", {"page": page, "form": form})


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = (
    "provided_on",
    "agreement",
    "request",
    "dataset",
    "items",
    "medium",
    "recipient",
    "provided_by",
    "recorded_at",
    "keep_until",
)


def _csv_cell(value: object) -> str:
    # A cell a spreadsheet would read as a formula is quoted (CSV injection).
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rows(rows: QuerySet[ProvisionRecord]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for record in rows.iterator(chunk_size=500):
        yield writer.writerow(
            [
                _csv_cell(value)
                for value in (
                    record.provided_on.isoformat(),
                    record.agreement.reference,
                    record.agreement.request.reference,
                    record.dataset.title,
                    record.items,
                    record.medium,
                    record.recipient,
                    record.provided_by.display_name,
                    timezone.localtime(record.recorded_at).isoformat(),
                    record.keep_until.isoformat(),
                )
            ]
        )


@login_required
@require_GET
def provision_register_csv(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    _institutions, _form, rows = _register(request)
    response = StreamingHttpResponse(_csv_rows(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="provision-records-{timezone.localdate():%Y%m%d}.csv"'
    return response


urlpatterns: list[URLPattern] = [
    path("requests/<int:pk>/destruction/", destruction_new, name="destruction_new"),
    path("requests/<int:pk>/provisions/", provision_list, name="provision_list"),
    path("requests/<int:pk>/provisions/new/", provision_new, name="provision_new"),
    path("requests/<int:pk>/reinstate/", agreement_reinstate, name="agreement_reinstate"),
    path("requests/<int:pk>/re-review/", re_review_clear, name="re_review_clear"),
    path("provisions/", provision_register, name="provision_register"),
    path("provisions/export.csv", provision_register_csv, name="provision_register_csv"),
]
