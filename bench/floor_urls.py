"""The project's URLs plus two reference views for `run.py --floor` (never deployed)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

_LAYOUT = engines["django"].from_string('{% extends "base.html" %}{% block content %}{% endblock %}')


@login_required
def signed_in_noop(request: HttpRequest) -> HttpResponse:
    """Session and user loaded, nothing rendered."""
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def signed_in_layout(request: HttpRequest) -> HttpResponse:
    """The site layout (base.html) with an empty page: navigation, roles, CSRF token."""
    return HttpResponse(_LAYOUT.render({}, request))


urlpatterns = [
    path("bench-floor/noop", signed_in_noop),
    path("bench-floor/layout", signed_in_layout),
    path("", include("research_governance.urls")),
]
