from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from .selectors import is_secretariat_anywhere


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are provisioned by the institution's administrators: no self sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # The secretariat's work starts at its queue, everybody else's at their protocols.
        if is_secretariat_anywhere(request.user):
            return reverse("reviews:secretariat_queue")
        return super().get_login_redirect_url(request)
