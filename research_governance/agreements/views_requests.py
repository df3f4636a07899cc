"""The requester's pages: the catalogue of datasets, the list of requests, a request's page (with
each area's panels), drafting with live checks, submitting, withdrawing and renewing; and the
provider's page to offer a dataset. Views are thin: every write is a service."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.protocols import permissions as protocol_permissions
from research_governance.protocols.models import Protocol
from research_governance.reviews.services import current_approval
from research_governance.reviews.workflow import TransitionRefused

from . import dac_selectors, permissions, selectors, services
from .assessment import assess, present
from .forms import DataAccessRequestForm, DatasetForm, datasets_open_for_requests
from .models import DataAccessRequest
from .panels import request_panels
from .workflow import RequestStatus, allowed_request_actions

PAGE_SIZE = 25


def get_request_for_viewer(request: AuthenticatedHttpRequest, pk: int) -> DataAccessRequest:
    """The data-access request if the user may see it; 404 otherwise, so its existence is not disclosed."""
    try:
        data_request = selectors.request_for_page(pk)
    except DataAccessRequest.DoesNotExist:
        raise Http404 from None
    if not permissions.can_view_request(request.user, data_request):
        raise Http404
    return data_request


def get_request_for_requester(request: AuthenticatedHttpRequest, pk: int) -> DataAccessRequest:
    data_request = get_request_for_viewer(request, pk)
    if data_request.requester_id != request.user.pk:
        raise PermissionDenied
    return data_request


@login_required
@require_GET
def dataset_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    datasets = datasets_open_for_requests()
    if query:
        datasets = datasets.filter(title__icontains=query)
    page = Paginator(datasets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "agreements/dataset_list.html", {"page": page, "query": query})


@login_required
@require_http_methods(["GET", "POST"])
def dataset_register(request: AuthenticatedHttpRequest, protocol_pk: int) -> HttpResponse:
    protocol = get_object_or_404(Protocol, pk=protocol_pk)
    if not protocol_permissions.can_view(request.user, protocol):
        raise Http404
    if not (
        protocol.principal_investigator_id == request.user.pk or protocol_permissions.can_submit(request.user, protocol)
    ):
        raise PermissionDenied
    form = DatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dataset_register(protocol=protocol, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The dataset is offered for data-access requests."))
            return redirect("agreements:dataset_list")
    return render(
        request,
        "agreements/dataset_form.html",
        {"form": form, "protocol": protocol, "approval": current_approval(protocol)},
    )


@login_required
@require_GET
def request_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in RequestStatus.values:
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.request_list(user=request.user, status=status, query=query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "agreements/request_list.html",
        {"page": page, "status": status, "query": query, "statuses": RequestStatus.choices},
    )


@login_required
@require_GET
def request_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    data_request = get_request_for_viewer(request, pk)
    is_requester = data_request.requester_id == request.user.pk
    context: dict[str, Any] = {
        "data_request": data_request,
        "panels": request_panels(request.user, data_request),
        "can_edit": permissions.can_edit_request(request.user, data_request),
        "is_requester": is_requester,
        "next": dac_selectors.next_step(request.user, data_request),
        "today": timezone.localdate(),
        "actions": allowed_request_actions(data_request, services.actors_for(request.user, data_request))
        if is_requester
        else [],
    }
    if context["can_edit"]:
        context["missing"] = services.missing_for_submission(data_request)
        context["assessment"] = (
            present(assess(data_request, list(data_request.datasets.all()))) if data_request.purpose else None
        )
    else:
        context["assessment"] = present(data_request.assessment)
    return render(request, "agreements/request_detail.html", context)


def _form_page(
    request: AuthenticatedHttpRequest, form: DataAccessRequestForm, data_request: DataAccessRequest | None
) -> HttpResponse:
    return render(request, "agreements/request_form.html", {"form": form, "data_request": data_request})


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    initial = {}
    if dataset_id := request.GET.get("dataset", ""):
        initial["datasets"] = datasets_open_for_requests().filter(pk=dataset_id if dataset_id.isdigit() else 0)
    form = DataAccessRequestForm(request.POST or None, initial=initial, datasets=datasets_open_for_requests())
    if request.method == "POST" and form.is_valid():
        try:
            data_request = services.request_create(
                by=request.user,
                data=form.request_data(),
                datasets=list(form.cleaned_data["datasets"]),
                team=form.cleaned_data["team_emails"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Draft saved. Check it and submit it when the checks pass."))
            return redirect("agreements:request_detail", data_request.pk)
    return _form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    data_request = get_request_for_requester(request, pk)
    if not permissions.can_edit_request(request.user, data_request):
        messages.error(request, _("Only a draft or a returned request can be changed."))
        return redirect("agreements:request_detail", pk)
    form = DataAccessRequestForm(request.POST or None, instance=data_request, datasets=datasets_open_for_requests())
    if request.method == "POST" and form.is_valid():
        try:
            services.request_update(
                data_request=data_request,
                by=request.user,
                data=form.request_data(),
                datasets=list(form.cleaned_data["datasets"]),
                team=form.cleaned_data["team_emails"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("agreements:request_detail", pk)
    return _form_page(request, form, data_request)


@login_required
@require_POST
def request_check(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The checks for what the form holds now, unsaved (htmx, while the requester types)."""
    form = DataAccessRequestForm(request.POST, datasets=datasets_open_for_requests())
    form.is_valid()
    unsaved = DataAccessRequest(requester=request.user)
    for name in form.request_data():
        setattr(unsaved, name, form.cleaned_data[name])
    datasets = list(form.cleaned_data.get("datasets") or [])
    return render(
        request,
        "agreements/partials/checks.html",
        {"assessment": present(assess(unsaved, datasets)) if datasets and unsaved.purpose else None},
    )


@login_required
@require_POST
def request_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    data_request = get_request_for_requester(request, pk)
    try:
        services.request_submit(data_request=data_request, by=request.user)
    except TransitionRefused as refused:
        messages.error(request, str(refused.reason))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Submitted to the data access committee."))
    return redirect("agreements:request_detail", pk)


@login_required
@require_POST
def request_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    data_request = get_request_for_requester(request, pk)
    try:
        services.request_withdraw(data_request=data_request, by=request.user)
    except TransitionRefused as refused:
        messages.error(request, str(refused.reason))
    else:
        messages.success(request, _("The request was withdrawn."))
    return redirect("agreements:request_detail", pk)


@login_required
@require_POST
def request_copy(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    source = get_request_for_requester(request, pk)
    copy = services.request_copy(source=source, by=request.user)
    messages.success(request, _("A new request was started from this one. Set its term, check it and submit it."))
    return redirect("agreements:request_edit", copy.pk)


urlpatterns: list[URLPattern] = [
    path("datasets/", dataset_list, name="dataset_list"),
    path("datasets/offer/<int:protocol_pk>/", dataset_register, name="dataset_register"),
    path("requests/", request_list, name="request_list"),
    path("requests/new/", request_create, name="request_create"),
    path("requests/check/", request_check, name="request_check"),
    path("requests/<int:pk>/", request_detail, name="request_detail"),
    path("requests/<int:pk>/edit/", request_edit, name="request_edit"),
    path("requests/<int:pk>/submit/", request_submit, name="request_submit"),
    path("requests/<int:pk>/withdraw/", request_withdraw, name="request_withdraw"),
    path("requests/<int:pk>/renew/", request_copy, name="request_copy"),
]
