from django.contrib import admin
from django.http import HttpRequest

from .models import Document, Protocol, ProtocolVersion


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    """Read-only: protocols change only through the application's services."""

    list_display = ["reference", "title_en", "status", "principal_investigator", "updated_at"]
    list_filter = ["status"]
    search_fields = ["reference", "title_ja", "title_en"]
    list_select_related = ["principal_investigator"]

    def has_add_permission(self, request: HttpRequest, obj: Protocol | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Protocol | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Protocol | None = None) -> bool:
        return False


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(ProtocolAdmin):
    list_display = ["protocol", "number", "created_at", "created_by"]
    list_filter = []
    search_fields = ["protocol__reference"]
    list_select_related = ["protocol", "created_by"]


@admin.register(Document)
class DocumentAdmin(ProtocolAdmin):
    list_display = ["protocol", "kind", "title", "withdrawn_at"]
    list_filter = ["kind"]
    search_fields = ["protocol__reference", "title"]
    list_select_related = ["protocol"]
