from django.contrib import admin

from .models import Letter


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    """Read-only: letters are issued and corrected by the services, never edited."""

    list_display = ("reference", "kind", "language", "version", "created_at", "signer_name")
    list_filter = ("kind", "language")
    search_fields = ("reference", "verification_code", "sha256")
    exclude = ("file",)

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
