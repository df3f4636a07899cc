"""Prints the current sign-in code of a demo user's authenticator app (DEBUG only)."""

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from research_governance.accounts.mfa import totp_code
from research_governance.accounts.models import User
from research_governance.demo.management.commands.seed_demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (the demo's stand-in for an authenticator app)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        # A code generator for other people's accounts has no place on a real system.
        if not settings.DEBUG:
            raise CommandError("demo_totp is for the demo only; it refuses to run with DEBUG off.")
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user {email}.")
        authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if authenticator is None or decrypt(authenticator.data["secret"]) != DEMO_TOTP_SECRET:
            raise CommandError(f"{email} has no demo authenticator app (see `python manage.py seed_demo`).")
        self.stdout.write(totp_code(DEMO_TOTP_SECRET))
