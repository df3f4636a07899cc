"""The in-app notification list. Views check access and call services; nothing is written here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from research_governance.accounts.http import AuthenticatedHttpRequest

from . import selectors, services
from .forms import PreferencesForm
from .models import Notification

PAGE_SIZE = 25


@login_required
@require_GET
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread": selectors.unread_count(request.user)},
    )


@login_required
@require_POST
def notification_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark read, then open the notification's link. Another user's notification is a 404 (not disclosed)."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.mark_read(notification=notification, by=request.user)
    link = notification.link
    # The link is stored by our own code, but a redirect target is checked where it is used:
    # only a path on this site, never an absolute or scheme-relative URL (no open redirect).
    if services.is_local_path(link) and url_has_allowed_host_and_scheme(link, allowed_hosts=set()):
        return redirect(link)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    if services.mark_all_read(user=request.user):
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in user's own choice of immediate emails or a daily digest, in general and kind
    by kind; nobody else's. A refused form comes back as typed, with the reasons."""
    initial = PreferencesForm.initial_for(request.user.notification_mode, selectors.preferences_of(request.user))
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_update(
                user=request.user, mode=form.cleaned_data["notification_mode"], kinds=form.kind_choices()
            )
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
