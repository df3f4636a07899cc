from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Committee, CommitteeMembership


class CommitteeMembershipInline(admin.TabularInline):
    """Read-only: seats change on the committee page, through the services that validate
    them (one seat per person, one chair) and write the audit event. Seats are never deleted."""

    model = CommitteeMembership
    extra = 0
    fields = ("user", "role", "category", "is_external", "sex", "valid_from", "valid_to")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "kind", "rule_set", "decision_rule"]
    inlines = [CommitteeMembershipInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Committee | None = None) -> list[str]:
        # Once the committee exists, its rule set and decision rule change on the committee
        # page (committee_update_settings), which audits the change.
        return ["rule_set", "decision_rule"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Committee | None = None) -> bool:
        # Deleting a committee would delete its seats, and with them past meetings' quorum.
        return False
