from django.db import models

from ..vocabulary import EdgeKind, NodeType, SyncStatus


class Account(models.Model):
    """An AWS account Flowscope has discovered, reached directly or through an assumed role."""

    account_id = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=200, blank=True)
    role_arn = models.CharField(max_length=2048, blank=True)
    # Who Flowscope was at the last sync (role ARN for an assumed role): never an audit subject.
    identity_arn = models.CharField(max_length=2048, blank=True)
    regions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name or self.account_id


class SyncRun(models.Model):
    """One discovery run over one account: outcome, cost and what it changed in the graph."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sync_runs")
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in SyncStatus], default=SyncStatus.RUNNING
    )
    regions = models.JSONField(default=list)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    api_calls = models.PositiveIntegerField(default=0)
    api_calls_by_service = models.JSONField(default=dict, blank=True)
    api_calls_by_operation = models.JSONField(default=dict, blank=True)  # {"lambda:GetPolicy": 12}
    # [{"service": "lambda", "region": "us-east-1", "code": "AccessDenied", "message": "..."}]
    errors = models.JSONField(default=list, blank=True)
    # {"nodes": {"added": [...], "removed": [...], "changed": [...]}, "edges": {...}}
    diff = models.JSONField(default=dict, blank=True)
    nodes_added = models.PositiveIntegerField(default=0)
    nodes_removed = models.PositiveIntegerField(default=0)
    nodes_changed = models.PositiveIntegerField(default=0)
    edges_added = models.PositiveIntegerField(default=0)
    edges_removed = models.PositiveIntegerField(default=0)
    edges_changed = models.PositiveIntegerField(default=0)
    node_count = models.PositiveIntegerField(default=0)
    edge_count = models.PositiveIntegerField(default=0)
    # {"done": 3, "total": 26, "resources": 120, "current": "sns:us-east-1"}
    progress = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["account", "-started_at"])]

    def __str__(self):
        return f"sync {self.pk} of {self.account} ({self.status})"


class Resource(models.Model):
    """A node of the graph: one AWS resource, identified by its ARN."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="resources")
    arn = models.CharField(max_length=2048)
    type = models.CharField(max_length=32, choices=[(t.value, t.value) for t in NodeType])
    name = models.CharField(max_length=1024)
    region = models.CharField(max_length=32, blank=True)
    # "collector:region" that discovered it, or "stub" for a node only known as an edge endpoint.
    origin = models.CharField(max_length=64)
    discovered = models.BooleanField(default=True)
    attributes = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "arn"], name="unique_resource_per_account")
        ]
        indexes = [models.Index(fields=["account", "origin"]), models.Index(fields=["arn"])]

    def __str__(self):
        return self.arn


class Edge(models.Model):
    """A directed edge source -> target: a trigger, destination, dead-letter queue or role."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="edges")
    source_arn = models.CharField(max_length=2048)
    target_arn = models.CharField(max_length=2048)
    kind = models.CharField(max_length=32, choices=[(k.value, k.value) for k in EdgeKind])
    # Tells apart several edges of one kind between the same pair (e.g. "GET /users").
    key = models.CharField(max_length=1024, blank=True)
    origin = models.CharField(max_length=64)
    attributes = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "source_arn", "target_arn", "kind", "key"],
                name="unique_edge_per_account",
            )
        ]
        indexes = [models.Index(fields=["account", "origin"])]

    def __str__(self):
        return f"{self.source_arn} -{self.kind}-> {self.target_arn}"
