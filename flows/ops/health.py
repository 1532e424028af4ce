"""What is working and what is not, in one report: for /healthz (load balancers, monitoring)
and the graph page's status line (people).

Each check is "ok", "warn" (working, but look) or "fail" (broken). /healthz answers 503 when
any check fails: the database or Redis unreachable, no worker seen for a while (with Celery),
or log polling far behind.
"""
import time

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from ..models import LogCursor, SyncRun
from ..vocabulary import SyncStatus
from . import heartbeat


def _check(status, **details):
    return {"status": status, **details}


def check_database():
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database error means the same thing to a load balancer
        return _check("fail", error=type(exc).__name__,
                      advice="The database does not answer: check DATABASE_URL and the server.")
    return _check("ok", ms=round((time.monotonic() - started) * 1000, 1))


def check_redis():
    if not settings.REDIS_URL:
        return _check("ok", mode="in-process (no REDIS_URL)")
    started = time.monotonic()
    try:
        heartbeat.client().ping()
    except redis.RedisError as exc:
        return _check("fail", error=type(exc).__name__,
                      advice="Redis does not answer: live updates, Celery and locks stop. "
                             "Check REDIS_URL and the Redis server.")
    return _check("ok", ms=round((time.monotonic() - started) * 1000, 1))


def check_workers():
    """Celery workers seen recently (only where Celery does the work: with REDIS_URL)."""
    if not settings.REDIS_URL:
        return _check("ok", mode="in-process (no Celery)")
    try:
        seen = heartbeat.workers_seen()
    except redis.RedisError as exc:
        return _check("fail", error=type(exc).__name__, workers=0,
                      advice="Cannot tell whether workers run: Redis does not answer.")
    if not seen:
        return _check("fail", workers=0, advice=(
            f"No Celery worker started a task in the last {heartbeat.SEEN_WITHIN_SECONDS} s: "
            "start `celery -A dashboard worker` and exactly one `celery -A dashboard beat`."))
    return _check("ok", workers=len(seen), last_seen_seconds=round(min(seen.values()), 1))


def poll_lag_by_region(now=None):
    """{region: seconds the most overdue log group of the region is behind its schedule}."""
    now = now or timezone.now()
    rows = (LogCursor.objects.filter(enabled=True, next_poll_at__lte=now)
            .values("region").annotate(oldest=Min("next_poll_at")))
    lag = {region: 0.0 for region in
           LogCursor.objects.filter(enabled=True).values_list("region", flat=True).distinct()}
    for row in rows:
        lag[row["region"]] = max(0.0, (now - row["oldest"]).total_seconds())
    return lag


def check_polling(now=None):
    """Log polling keeps to its schedule: how far behind the most overdue group is."""
    now = now or timezone.now()
    lag = poll_lag_by_region(now)
    if not lag:
        return _check("ok", groups=0, lag_seconds=0, mode="nothing to poll yet (no synced function)")
    worst = max(lag.values())
    last = LogCursor.objects.filter(enabled=True).order_by("-last_polled_at").values_list(
        "last_polled_at", flat=True).first()
    details = {"lag_seconds": round(worst, 1), "lag_by_region": lag,
               "last_poll_seconds_ago": round((now - last).total_seconds(), 1) if last else None}
    limits = settings.FLOWSCOPE
    if worst > limits["HEALTH_POLL_LAG_FAIL"]:
        return _check("fail", **details, advice=(
            "Log polling has stopped or fallen far behind: live invocations are stale. "
            + _polling_advice()))
    if worst > limits["HEALTH_POLL_LAG_WARN"]:
        return _check("warn", **details, advice=(
            "Log polling is behind schedule: live invocations arrive late. " + _polling_advice()))
    return _check("ok", **details)


def _polling_advice():
    if settings.REDIS_URL:
        return ("Check that `celery -A dashboard beat` runs (exactly one) and that workers are "
                "up; add workers if they are all busy.")
    return "Check the server's log: the poller runs in the `manage.py demo`/`poll_logs` process."


def check_last_sync():
    run = SyncRun.objects.exclude(status=SyncStatus.RUNNING).select_related("account").first()
    if run is None:
        return _check("ok", mode="no sync yet")
    details = {"run": run.pk, "account": run.account.account_id, "result": run.status,
               "finished_at": run.finished_at.isoformat() if run.finished_at else None}
    if run.status == SyncStatus.FAILED:
        return _check("warn", **details, advice=(
            "The last sync failed, so the graph may be out of date: its errors are on the "
            "History page; fix the credentials or permissions it names, then sync again."))
    return _check("ok", **details)


def report(include_sync=False):
    """(overall status, {check: result}). Overall: "fail" if any check fails, else "warn" if
    any warns, else "ok"."""
    checks = {"database": check_database(), "redis": check_redis(), "workers": check_workers()}
    if checks["database"]["status"] == "ok":
        checks["polling"] = check_polling()
        if include_sync:
            checks["last_sync"] = check_last_sync()
    statuses = {check["status"] for check in checks.values()}
    overall = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "ok"
    return overall, checks
