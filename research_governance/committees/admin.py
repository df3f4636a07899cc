from django.contrib import admin

from .models import Committee, CommitteeMembership


class CommitteeMembershipInline(admin.TabularInline):
    model = CommitteeMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "kind", "rule_set", "decision_rule"]
    inlines = [CommitteeMembershipInline]
