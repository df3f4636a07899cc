from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are provisioned by the institution's administrators: no self sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
