from django.db import models

from ..audit.findings import Category, Severity
from .graph import Account


class Finding(models.Model):
    """One IAM audit finding about a role, user or function of a synced account.

    Re-auditing replaces an account's findings; a finding keeps its identity (fingerprint),
    first-seen time and suppression across runs while it is still reported."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="findings")
    fingerprint = models.CharField(max_length=64)  # sha256 of principal, category, title, policy
    principal = models.CharField(max_length=2048)  # role/user ARN, or function ARN
    functions = models.JSONField(default=list, blank=True)  # Lambda functions it concerns
    severity = models.CharField(max_length=16, choices=[(s.value, s.value) for s in Severity])
    severity_rank = models.PositiveSmallIntegerField(default=0)  # 4 critical .. 0 info, for sorting
    category = models.CharField(max_length=32, choices=[(c.value, c.value) for c in Category])
    title = models.CharField(max_length=512)
    detail = models.TextField()
    policy = models.CharField(max_length=1024, null=True, blank=True)
    actions = models.JSONField(default=list, blank=True)
    resources = models.JSONField(default=list, blank=True)
    confidence = models.CharField(max_length=16, default="high")
    suppressed = models.BooleanField(default=False)
    suppressed_reason = models.TextField(blank=True)
    action_data = models.CharField(max_length=128, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-severity_rank", "category", "principal"]
        constraints = [
            models.UniqueConstraint(fields=["account", "fingerprint"], name="unique_finding_per_account")
        ]
        indexes = [models.Index(fields=["account", "-severity_rank"]),
                   models.Index(fields=["account", "category"]), models.Index(fields=["principal"])]

    def __str__(self):
        return f"{self.severity} {self.category}: {self.title}"
