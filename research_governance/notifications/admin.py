from django.contrib import admin
from django.http import HttpRequest

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the notify service, and their text comes from messages.py."""

    list_display = ["created_at", "kind", "recipient", "subject", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["kind", "recipient__email"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
