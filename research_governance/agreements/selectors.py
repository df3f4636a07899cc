"""Reads shared by the data-sharing pages."""

from django.db.models import QuerySet

from research_governance.accounts.models import User

from . import permissions
from .models import DataAccessRequest


def request_list(*, user: User, status: str = "", query: str = "") -> QuerySet[DataAccessRequest]:
    """The requests the user may see, newest first, with what a list row shows in the same query."""
    requests = permissions.visible_requests(user).select_related("requester", "institution")
    if status:
        requests = requests.filter(status=status)
    if query:
        requests = requests.filter(title__icontains=query) | requests.filter(reference__icontains=query)
    return requests.order_by("-updated_at", "-id")


def request_for_page(pk: int) -> DataAccessRequest:
    return (
        DataAccessRequest.objects.select_related("requester", "institution", "renewal_of")
        .prefetch_related("datasets__protocol", "datasets__approval", "datasets__institution", "team__user")
        .get(pk=pk)
    )
