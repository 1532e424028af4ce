from django.db import models

from .graph import Account

# Fixed log-scale buckets (upper bounds, ms) for per-minute duration histograms: p50/p95 of any
# window are read from summed histograms, which per-minute percentiles could not give.
DURATION_BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000,
                       5000, 7500, 10000, 15000, 30000, 60000, 120000, 300000, 900000)


class Invocation(models.Model):
    """One Lambda invocation, assembled from its log lines (START, errors, END, REPORT), which
    may arrive over several polls. Unique per function and request id."""

    STATUSES = [("", "pending"), ("ok", "ok"), ("error", "error"), ("timeout", "timeout")]

    function_arn = models.CharField(max_length=512)
    request_id = models.CharField(max_length=64)
    # Assigned in commit order when the REPORT arrives: what browsers resume from.
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    log_group = models.CharField(max_length=512)
    log_stream = models.CharField(max_length=512, blank=True)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    billed_ms = models.FloatField(null=True, blank=True)
    memory_mb = models.IntegerField(null=True, blank=True)
    max_memory_mb = models.IntegerField(null=True, blank=True)
    init_ms = models.FloatField(null=True, blank=True)  # null on warm starts
    status = models.CharField(max_length=8, choices=STATUSES, blank=True, default="")
    error_type = models.CharField(max_length=256, blank=True)
    trace_id = models.CharField(max_length=128, blank=True)
    ended = models.BooleanField(default=False)
    # [[timestamp_ms, text], ...] in arrival order, at most LIVE_LOG_LINES_PER_INVOCATION.
    log_lines = models.JSONField(default=list, blank=True)
    lines_dropped = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["function_arn", "request_id"],
                                    name="unique_invocation_per_function")
        ]
        indexes = [
            models.Index(fields=["function_arn", "-started_at"]),
            models.Index(fields=["started_at"]),
        ]

    def __str__(self):
        return f"{self.function_arn} {self.request_id}"

    @property
    def cold_start(self):
        return self.init_ms is not None


class LogCursor(models.Model):
    """Where polling of one log group stands. Saved in the same transaction as the
    invocations it produced, so a killed poller resumes exactly where its data ends."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="log_cursors")
    region = models.CharField(max_length=32)
    log_group = models.CharField(max_length=512)
    # Functions logging here (custom log groups can be shared by several functions).
    function_arns = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    # Highest event timestamp processed; the next poll starts an overlap before it.
    last_event_ms = models.BigIntegerField(default=0)
    # Fingerprints of the events already read are kept per second in SeenEvents rows.
    # {log stream: request id} of requests still open, for lines that carry no request id.
    open_requests = models.JSONField(default=dict, blank=True)
    last_catchup_ms = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    activity = models.FloatField(default=0)     # smoothed invocations per poll
    quiet_polls = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    # Running counters: events, invocations, duplicates, malformed, huge, orphans, throttled,
    # missing (log group gone), errors, api_calls.
    stats = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "region", "log_group"],
                                    name="unique_log_cursor")
        ]
        indexes = [models.Index(fields=["enabled", "next_poll_at"])]

    def __str__(self):
        return f"{self.log_group} ({self.region})"


class SeenEvents(models.Model):
    """Fingerprints of the log events of one cursor whose timestamps fall in one second: what
    overlapping windows read again is skipped by them. One row per second, so a page rewrites
    only the seconds it touched, and a poll loads only the seconds its window covers."""

    cursor = models.ForeignKey(LogCursor, on_delete=models.CASCADE, related_name="seen")
    second = models.BigIntegerField()           # event timestamp // 1000
    fingerprints = models.BinaryField()         # unsigned 64-bit, little-endian, packed

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cursor", "second"],
                                               name="unique_seen_events_second")]


class InvocationMinute(models.Model):
    """Per-function, per-minute aggregate for charts: counts, durations, memory and cost."""

    function_arn = models.CharField(max_length=512)
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    timeouts = models.PositiveIntegerField(default=0)
    cold_starts = models.PositiveIntegerField(default=0)
    duration_sum_ms = models.FloatField(default=0)
    duration_max_ms = models.FloatField(default=0)
    # Counts per DURATION_BUCKETS_MS bucket, plus one overflow bucket.
    duration_histogram = models.JSONField(default=list)
    billed_ms_sum = models.FloatField(default=0)
    gb_seconds = models.FloatField(default=0)
    memory_mb = models.IntegerField(null=True, blank=True)
    max_memory_used_mb = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["function_arn", "minute"], name="unique_invocation_minute")
        ]
        indexes = [models.Index(fields=["minute"])]

    def __str__(self):
        return f"{self.function_arn} @ {self.minute:%H:%M}"


class LiveCounter(models.Model):
    """A named counter bumped under a row lock, so numbers are handed out in commit order."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.value}"


class LogStreamShard(models.Model):
    """Where reading one shard of a Kinesis stream of CloudWatch Logs events stands (stream
    mode). The checkpoint is saved in the same transaction as the invocations it produced, so
    a killed consumer resumes exactly after the last record whose data is in."""

    stream_arn = models.CharField(max_length=512)
    shard_id = models.CharField(max_length=128)
    parent_shard_id = models.CharField(max_length=128, blank=True)
    adjacent_parent_shard_id = models.CharField(max_length=128, blank=True)
    # The last record applied; empty: not started.
    sequence_number = models.CharField(max_length=128, blank=True)
    # Closed by a reshard (ListShards gives its ending sequence number) ...
    ending_sequence_number = models.CharField(max_length=128, blank=True)
    # ... and read to its end: its children may start.
    finished = models.BooleanField(default=False)
    lease_owner = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    # The last GetRecords that answered: how the pollers tell the stream is alive.
    last_read_at = models.DateTimeField(null=True, blank=True)
    millis_behind = models.BigIntegerField(default=0)
    # records, events, control (test messages), malformed, skipped (log groups not in the graph)
    stats = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream_arn", "shard_id"], name="unique_stream_shard")
        ]

    def __str__(self):
        return f"{self.stream_arn} {self.shard_id}"
