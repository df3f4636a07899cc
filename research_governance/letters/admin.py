from django.contrib import admin
from django.http import HttpRequest

from .models import Letter


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    """Read-only: letters are issued and corrected by the services, never edited."""

    list_display = ("reference", "kind", "language", "version", "created_at", "signer_name")
    list_filter = ("kind", "language")
    search_fields = ("reference", "verification_code", "sha256")
    exclude = ("file",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Letter | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Letter | None = None) -> bool:
        return False
