"""The request of a view that only a signed-in user reaches."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """What a view behind ``login_required`` receives: its user is a signed-in User, never
    AnonymousUser. An annotation only: Django still passes a plain HttpRequest."""

    user: User
    # Set on every request by django_htmx's HtmxMiddleware (settings.MIDDLEWARE).
    htmx: HtmxDetails
