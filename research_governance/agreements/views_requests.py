"""The requester's pages: the list of requests, a request's page (with each area's panels),
drafting, submitting, withdrawing and renewing. Views are thin: every write is a service."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from . import permissions, selectors
from .models import DataAccessRequest
from .panels import request_panels
from .workflow import RequestStatus

PAGE_SIZE = 25


def get_request_for_viewer(request: HttpRequest, pk: int) -> DataAccessRequest:
    """The data-access request if the user may see it; 404 otherwise, so its existence is not disclosed."""
    try:
        data_request = selectors.request_for_page(pk)
    except DataAccessRequest.DoesNotExist:
        raise Http404 from None
    if not permissions.can_view_request(request.user, data_request):
        raise Http404
    return data_request


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
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
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    data_request = get_request_for_viewer(request, pk)
    return render(
        request,
        "agreements/request_detail.html",
        {
            "data_request": data_request,
            "panels": request_panels(request.user, data_request),
            "can_edit": permissions.can_edit_request(request.user, data_request),
            "is_requester": data_request.requester_id == request.user.pk,
        },
    )


urlpatterns: list[URLPattern] = [
    path("requests/", request_list, name="request_list"),
    path("requests/<int:pk>/", request_detail, name="request_detail"),
]
