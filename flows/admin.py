"""The Django admin: findings can be suppressed (with a reason); the synced graph is read-only,
because the next sync would overwrite any hand edit."""
from django import forms
from django.contrib import admin

from .models import Account, Edge, Finding, Resource, SyncRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, search and delete; no adding or editing of what a sync writes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FindingForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = ("suppressed", "suppressed_reason")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("suppressed") and not str(cleaned.get("suppressed_reason") or "").strip():
            self.add_error("suppressed_reason", "Say why this finding is suppressed.")
        return cleaned


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    form = FindingForm
    list_display = ("title", "severity", "category", "principal", "suppressed", "account", "updated_at")
    list_filter = ("severity", "category", "suppressed", "confidence", "account")
    search_fields = ("title", "principal", "detail", "policy", "suppressed_reason")
    ordering = ("-severity_rank", "category", "principal")
    fields = ("suppressed", "suppressed_reason", "severity", "category", "title", "detail", "principal",
              "functions", "policy", "actions", "resources", "confidence", "account", "action_data",
              "first_seen_at", "updated_at")
    readonly_fields = tuple(f for f in fields if f not in ("suppressed", "suppressed_reason"))

    def has_add_permission(self, request):
        # Findings come from the audit; an administrator only decides about suppression.
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("account_id", "name", "role_arn", "last_synced_at")
    search_fields = ("account_id", "name", "role_arn")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "status", "started_at", "duration_ms", "api_calls", "node_count",
                    "edge_count")
    list_filter = ("status", "account")
    date_hierarchy = "started_at"


@admin.register(Resource)
class ResourceAdmin(ReadOnlyAdmin):
    list_display = ("name", "type", "region", "account", "origin", "discovered", "updated_at")
    list_filter = ("type", "region", "discovered", "account")
    search_fields = ("arn", "name")


@admin.register(Edge)
class EdgeAdmin(ReadOnlyAdmin):
    list_display = ("source_arn", "kind", "target_arn", "key", "account")
    list_filter = ("kind", "account")
    search_fields = ("source_arn", "target_arn", "key")
