"""Reading stored invocations: replay for reconnecting clients, per-function stats with cost,
the pipeline's health, and one invocation with its log lines. Writes are in store.py."""
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import Invocation, InvocationMinute, LiveCounter, LogCursor, Resource
from ..models.live import DURATION_BUCKETS_MS
from .store import SEQ_COUNTER, invocation_item, ms_to_datetime


def invocations_since(last_id, limit=1000):
    """Completed invocations after ``last_id`` (the ``id`` of the last item a client saw), in
    order, at most ``limit``. Ids are handed out in commit order, so nothing committed later
    can carry a smaller id than one a client has already seen."""
    rows = (Invocation.objects.filter(seq__gt=int(last_id)).order_by("seq")
            .only("seq", "function_arn", "request_id", "started_at", "duration_ms", "billed_ms",
                  "memory_mb", "max_memory_mb", "init_ms", "status", "error_type")[:max(0, int(limit))])
    return [invocation_item(row) for row in rows]


def latest_invocation_id():
    counter = LiveCounter.objects.filter(name=SEQ_COUNTER).first()
    return counter.value if counter else 0


def percentile_from_histogram(histogram, fraction):
    """Upper bound of the bucket holding the given fraction of the counts (None if empty)."""
    total = sum(histogram)
    if not total:
        return None
    threshold = fraction * total
    running = 0
    for index, count in enumerate(histogram):
        running += count
        if running >= threshold:
            return DURATION_BUCKETS_MS[index] if index < len(DURATION_BUCKETS_MS) else None
    return None


def price_per_gb_second(architectures):
    key = "PRICE_PER_GB_SECOND_ARM" if "arm64" in (architectures or []) else "PRICE_PER_GB_SECOND_X86"
    return float(settings.FLOWSCOPE[key])


def covered_minutes(node, minutes, now):
    """Minutes of the window since Flowscope began reading the function's log group (at least
    one): its log cursor's creation."""
    if node is None:
        return minutes
    group = (node.attributes or {}).get("log_group") or f"/aws/lambda/{node.name}"
    started = (LogCursor.objects.filter(account_id=node.account_id, region=node.region, log_group=group)
               .values_list("created_at", flat=True).first())
    if started is None:
        return minutes
    watched = (now - started).total_seconds() / 60
    return max(1.0, min(float(minutes), round(watched, 2)))


def function_stats(function_arn, minutes=60, now=None):
    """Per-function figures for the inspector: per-minute series and totals over the window,
    with p50/p95 duration (bucket upper bounds), cold-start ratio, memory headroom and cost."""
    now = now or timezone.now()
    since = (now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    rows = list(InvocationMinute.objects.filter(function_arn=function_arn, minute__gte=since)
                .order_by("minute"))
    histogram = [0] * (len(DURATION_BUCKETS_MS) + 1)
    for row in rows:
        for index, count in enumerate(row.duration_histogram or []):
            histogram[index] += count
    count = sum(r.count for r in rows)
    node = Resource.objects.filter(arn=function_arn).only("attributes", "name", "region", "account_id").first()
    attributes = node.attributes if node else {}
    covered = covered_minutes(node, minutes, now)
    configured = attributes.get("memory_size") or next((r.memory_mb for r in reversed(rows) if r.memory_mb), None)
    peak = max((r.max_memory_used_mb or 0 for r in rows), default=0) or None
    gb_s = sum(r.gb_seconds for r in rows)
    return {
        "function": function_arn,
        "minutes": minutes,
        # The part of the window Flowscope has been watching the function's logs: rates are
        # over that, not over a window most of which predates it.
        "covered_minutes": covered,
        "series": [{"minute": r.minute.isoformat().replace("+00:00", "Z"), "count": r.count,
                    "errors": r.errors + r.timeouts, "cold_starts": r.cold_starts,
                    "avg_duration_ms": r.duration_sum_ms / r.count if r.count else None,
                    "p95_duration_ms": percentile_from_histogram(r.duration_histogram or [], 0.95)}
                   for r in rows],
        "invocations": count,
        "invocations_per_minute": count / covered if covered else None,
        "error_rate": (sum(r.errors + r.timeouts for r in rows) / count) if count else None,
        "cold_start_ratio": (sum(r.cold_starts for r in rows) / count) if count else None,
        "p50_duration_ms": percentile_from_histogram(histogram, 0.50),
        "p95_duration_ms": percentile_from_histogram(histogram, 0.95),
        "memory_size_mb": configured,
        "max_memory_used_mb": peak,
        # Right-sizing hint: under half the configured memory ever used.
        "oversized": bool(configured and peak and peak < configured / 2),
        "gb_seconds": gb_s,
        "estimated_cost_usd": gb_s * price_per_gb_second(attributes.get("architectures")),
    }


# Lambda's longest timeout is 15 minutes: a START older than that (plus the ingestion lag)
# without its REPORT will not be completed any more.
UNFINISHED_AFTER = timedelta(minutes=15)


def live_health(now=None):
    """What the live pipeline has counted, for the status page and the API: per log group
    problems (missing group, throttling, malformed/huge/orphan lines, errors) and the
    invocations that started but never reported."""
    now = now or timezone.now()
    lag = timedelta(seconds=settings.FLOWSCOPE["LOG_INGESTION_LAG_SECONDS"])
    totals = {}
    problems = []
    for cursor in LogCursor.objects.filter(enabled=True).order_by("log_group"):
        for key, value in cursor.stats.items():
            if key != "behind_ms":
                totals[key] = totals.get(key, 0) + value
        if cursor.last_error:
            problems.append({"log_group": cursor.log_group, "region": cursor.region,
                             "error": cursor.last_error})
    unfinished = Invocation.objects.filter(completed_at__isnull=True,
                                           started_at__lt=now - UNFINISHED_AFTER - lag).count()
    return {"totals": totals, "problems": problems, "unfinished_invocations": unfinished,
            "latest_invocation_id": latest_invocation_id()}


def invocation_detail(function_arn, request_id):
    """One invocation with its log lines (plain text: the page must render them as text), or
    None. For the feed's "show log lines"."""
    row = Invocation.objects.filter(function_arn=function_arn, request_id=request_id).first()
    if row is None:
        return None
    detail = invocation_item(row) if row.seq is not None else {
        **invocation_item(row), "status": row.status or None}
    detail.update({
        "log_group": row.log_group, "log_stream": row.log_stream, "trace_id": row.trace_id or None,
        "completed": row.completed_at is not None,
        "log_lines": [{"timestamp": ms_to_datetime(ts).isoformat().replace("+00:00", "Z"), "text": text}
                      for ts, text in row.log_lines],
        "lines_dropped": row.lines_dropped,
    })
    return detail
