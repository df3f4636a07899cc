from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Department, Institution, RoleMembership, User


class RoleMembershipInline(admin.TabularInline):
    model = RoleMembership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name_ja", "name_latin", "institution", "is_active"]
    list_filter = ["is_active", "is_staff", "institution"]
    search_fields = ["email", "name_ja", "name_latin"]
    list_select_related = ["institution"]
    inlines = [RoleMembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal info"),
            {"fields": ("name_ja", "name_latin", "institution", "department", "affiliation", "preferred_language")},
        ),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ja", "name_en", "country"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_ja", "institution"]
    list_select_related = ["institution"]
