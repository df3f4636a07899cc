"""The request of a view that only a signed-in user reaches."""

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """What a view behind ``login_required`` receives: its user is a signed-in User, never
    AnonymousUser. An annotation only: Django still passes a plain HttpRequest."""

    user: User
