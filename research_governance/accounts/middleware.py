"""Sign-in rules applied to every request: idle sessions end (SEC-03), and privileged users
set up a second factor before they reach anything else (SEC-02)."""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect

from .mfa import must_set_up_second_factor

# When the session was last used (seconds since the epoch); set at sign-in.
LAST_ACTIVITY_KEY = "last_activity"
# The stamp is rewritten at most this often, so a busy user does not save the session each request.
STAMP_EVERY_SECONDS = 60


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    # An htmx request would swap the target page into a fragment; have the browser go there.
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def stamp_activity(request: HttpRequest) -> None:
    request.session[LAST_ACTIVITY_KEY] = int(time.time())


class IdleSessionTimeoutMiddleware:
    """SEC-03: a session unused for SESSION_IDLE_TIMEOUT minutes ends (no long idle sessions)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            minutes = settings.SESSION_IDLE_TIMEOUT
            if isinstance(last, int) and now - last > minutes * 60:
                logout(request)
                messages.info(
                    request,
                    ngettext(
                        "You were signed out after %(minutes)d minute without activity. Please sign in again.",
                        "You were signed out after %(minutes)d minutes without activity. Please sign in again.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
                login = reverse(settings.LOGIN_URL)
                if request.method == "GET" and not getattr(request, "htmx", False):
                    login = f"{login}?{urlencode({'next': request.get_full_path()})}"
                return _redirect(request, login)
            if not isinstance(last, int) or now - last >= STAMP_EVERY_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


# Reachable without a second factor: setting one up (every allauth.mfa page is named mfa_*),
# confirming the password for it, signing out, the language switch and the health check.
OPEN_URL_NAMES = {"account_logout", "account_reauthenticate", "set_language", "healthz"}


def _open_without_second_factor(request: HttpRequest) -> bool:
    if request.path_info.startswith((settings.STATIC_URL, "/favicon")):
        return True
    try:
        name = resolve(request.path_info).url_name or ""
    except Resolver404:
        return False
    return name.startswith("mfa_") or name in OPEN_URL_NAMES


class MfaRequiredMiddleware:
    """SEC-02: a signed-in privileged user without an authenticator app or security key is sent
    to set one up, from every page but those needed to do so. Once one is set up, allauth asks
    for a code at each sign-in (its mfa_authenticate stage)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not _open_without_second_factor(request) and must_set_up_second_factor(user):
            messages.warning(
                request,
                _(
                    "Your role requires two-factor authentication. Set up an authenticator app "
                    "(or a security key) before you continue; from then on, signing in asks for "
                    "a code from it as well as your password."
                ),
            )
            return _redirect(request, reverse("mfa_activate_totp"))
        return self.get_response(request)
