"""Operator metrics in the Prometheus text format (prometheus-client).

Most figures are read at scrape time from what every process already writes (log cursors,
sync runs, Redis), so one scrape of any web process covers every worker. Only the WebSocket
clients are counted in the process that holds them.
"""
from datetime import timedelta

import redis
from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ..models import Invocation, LogCursor, SyncRun
from ..vocabulary import SyncStatus
from . import counters, health, heartbeat

# Counted where they live: this process's open live connections.
local = CollectorRegistry(auto_describe=True)
websocket_clients = Gauge("flowscope_websocket_clients",
                          "Live WebSocket connections open in this web process", registry=local)

RATE_WINDOW = timedelta(seconds=60)


class FlowscopeCollector:
    """Reads the figures from the database and Redis when Prometheus scrapes."""

    def collect(self):
        yield from self._polling()
        yield from self._syncs()
        yield from self._workers()

    def _polling(self):
        totals = {}
        for stats in LogCursor.objects.values_list("stats", flat=True):
            for name, value in (stats or {}).items():
                if isinstance(value, (int, float)) and name != "behind_ms":
                    totals[name] = totals.get(name, 0) + value
        try:
            polls = counters.read().get("log_polls", 0)
        except redis.RedisError:
            polls = None
        if polls is not None:
            yield _counter("flowscope_log_polls", "Log group polls done (all workers)", polls)
        yield _counter("flowscope_invocations", "Invocations found by log polling",
                       totals.get("invocations", 0))
        calls = CounterMetricFamily("flowscope_aws_api_calls", "AWS API calls made",
                                    labels=["source"])
        calls.add_metric(["log_polling"], totals.get("api_calls", 0))
        calls.add_metric(["sync"], SyncRun.objects.aggregate(n=Sum("api_calls"))["n"] or 0)
        yield calls
        yield _counter("flowscope_aws_throttles",
                       "Log polls that AWS throttled after botocore's retries",
                       totals.get("throttled", 0), labels={"source": "log_polling"})
        lag = GaugeMetricFamily("flowscope_log_poll_lag_seconds",
                                "How far the most overdue log group is behind its schedule",
                                labels=["region"])
        for region, seconds in sorted(health.poll_lag_by_region().items()):
            lag.add_metric([region], seconds)
        yield lag
        recent = Invocation.objects.filter(started_at__gte=timezone.now() - RATE_WINDOW).count()
        yield GaugeMetricFamily("flowscope_invocations_per_second",
                                "Invocations started per second over the last minute",
                                value=recent / RATE_WINDOW.total_seconds())

    def _syncs(self):
        runs = CounterMetricFamily("flowscope_sync_runs", "Sync runs by result",
                                   labels=["result"])
        by_status = dict(SyncRun.objects.order_by().values_list("status").annotate(n=Count("id")))
        for status in SyncStatus:
            runs.add_metric([str(status)], by_status.get(str(status), 0))
        yield runs
        duration = GaugeMetricFamily("flowscope_sync_last_duration_seconds",
                                     "Duration of each account's last finished sync",
                                     labels=["account", "result"])
        seen = set()
        finished = (SyncRun.objects.exclude(status=SyncStatus.RUNNING)
                    .select_related("account").order_by("-started_at")[:500])
        for run in finished:
            if run.account.account_id in seen:
                continue
            seen.add(run.account.account_id)
            duration.add_metric([run.account.account_id, run.status], (run.duration_ms or 0) / 1000)
        yield duration

    def _workers(self):
        if not settings.REDIS_URL:
            return
        try:
            count = len(heartbeat.workers_seen())
        except redis.RedisError:
            return
        yield GaugeMetricFamily("flowscope_celery_workers_seen",
                                f"Celery workers that started a task in the last "
                                f"{heartbeat.SEEN_WITHIN_SECONDS} s", value=count)


def _counter(name, documentation, value, labels=None):
    family = CounterMetricFamily(name, documentation, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    return family


def registry():
    """This process's gauges and the shared figures, for one scrape."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(FlowscopeCollector())
    for collector in (websocket_clients,):
        scrape.register(collector)
    return scrape
