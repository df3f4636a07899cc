from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are provisioned by the institution's administrators: no self sign-up.

    Signing in lands on the user's home, "Waiting for you" (settings.LOGIN_REDIRECT_URL), whatever
    their roles: it lists the work of each role they hold."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
