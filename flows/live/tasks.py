"""Celery tasks for live invocations: thin, they call the plain functions in poller/store."""
import logging
import time

from celery import current_app, shared_task
from django.conf import settings

from ..locks import exclusive
from ..publish import publish
from ..resilience import Backoff
from . import store
from .clients import Clients
from .leases import owner_id
from .poller import run_cycle
from .push import PushBatcher
from .schedule import seconds_until_due

log = logging.getLogger(__name__)

# One client set and owner id per worker process: clients keep their connection pools.
_worker = {}


def _state():
    if not _worker:
        _worker["owner"] = owner_id()
        _worker["clients"] = Clients()
    return _worker["owner"], _worker["clients"]


@shared_task(name="flows.tasks.poll_live_logs", ignore_result=True)
def poll_live_logs(max_seconds=None):
    """Poll due log groups for up to LOG_POLL_TASK_SECONDS. Beat enqueues one every
    LOG_POLL_INTERVAL (expiring unstarted after two); each stays while there is work, sleeping
    until the next group is due, and ends once nothing was due for a whole interval. So a busy
    account keeps as many workers polling as it needs (sharing the groups through leases:
    more workers, more capacity, never the same group twice) and a quiet one frees them."""
    owner, clients = _state()
    interval = float(settings.FLOWSCOPE["LOG_POLL_INTERVAL"])
    deadline = time.monotonic() + (max_seconds or settings.FLOWSCOPE["LOG_POLL_TASK_SECONDS"])
    batcher = PushBatcher(publish)
    backoff = Backoff("live poll task", log)
    invocations = polls = 0
    idle_since = None
    while time.monotonic() < deadline:
        try:
            report = run_cycle(owner, clients, batcher)
        except Exception as exc:  # the database or Redis away: wait, then carry on polling
            time.sleep(max(0.0, min(backoff.failed(exc), deadline - time.monotonic())))
            continue
        backoff.succeeded()
        invocations += report.invocations
        polls += report.claimed
        if report.claimed:
            idle_since = None
            continue
        now = time.monotonic()
        idle_since = idle_since or now
        if now - idle_since >= interval:
            break
        time.sleep(max(0.0, min(seconds_until_due(interval), deadline - now)))
    if polls:
        log.info("live poll task %s: %d polls, %d invocations", owner, polls, invocations)
    return invocations


_stream_clients = {}


@shared_task(name="flows.tasks.consume_log_streams", ignore_result=True)
def consume_log_streams(max_seconds=None):
    """Read the Kinesis streams of stream mode (FLOWSCOPE_LOG_STREAMS) for up to
    LOG_POLL_TASK_SECONDS: each pass leases its share of the free shards (parents before
    children; see stream.fair_share) and reads them in turns; the task ends early once no shard
    is free. Beat enqueues one every second, so the shards are spread over as many readers as
    worker slots allow, never two on one shard."""
    from .stream import StreamClients, consume_cycle

    if not settings.FLOWSCOPE["LOG_STREAMS"]:
        return 0
    owner, _ = _state()
    clients = _stream_clients.setdefault("clients", StreamClients())
    deadline = time.monotonic() + (max_seconds or settings.FLOWSCOPE["LOG_POLL_TASK_SECONDS"])
    batcher = PushBatcher(publish)
    invocations = 0
    while time.monotonic() < deadline:
        report = consume_cycle(owner, clients, batcher.add, max_seconds=max(0.5, deadline - time.monotonic()),
                               flush=batcher.flush)
        batcher.flush()
        if report is None:
            break
        invocations += report.invocations
    return invocations


LIVE_TAIL_RUN_SECONDS = 55     # beat starts one every minute; sessions restart in between
LIVE_TAIL_LOCK_TTL = 30


def only_one_tail_manager():
    """A context yielding True to the one holder of the Live Tail lock, False to everyone
    else (flows.locks: a Redis key with a renewed TTL, or an flock without Redis)."""
    return exclusive("live-tail-lock", "live-tail.lock", LIVE_TAIL_LOCK_TTL)


@shared_task(name="flows.tasks.run_live_tail", ignore_result=True)
def run_live_tail(max_seconds=LIVE_TAIL_RUN_SECONDS):
    """Keep Live Tail sessions for the focused functions for up to ``max_seconds``, in one
    worker at a time (FLOWSCOPE_LIVE_TAIL). Returns the events it applied, None when another
    worker holds the tail or the mode is off."""
    from .tail import status, tail_loop

    if not settings.FLOWSCOPE["LIVE_TAIL"]:
        return None
    with only_one_tail_manager() as mine:
        if not mine:
            return None
        before = status["events"]
        deadline = time.monotonic() + max_seconds
        owner, _ = _state()
        tail_loop(stop=lambda: time.monotonic() >= deadline, owner=owner)
        return status["events"] - before


@shared_task(name="flows.tasks.prune_live_data", ignore_result=True)
def prune_live_data():
    """Apply INVOCATION_RETENTION_HOURS and INVOCATION_AGGREGATE_RETENTION_HOURS."""
    return store.prune()


# Beat reads the schedule after the workers' task modules are imported; these entries sit
# beside the periodic sync registered in dashboard/celery.py. Expiry keeps a backlog of
# poll tasks (workers down) from running all at once later.
current_app.conf.beat_schedule = {
    **(current_app.conf.beat_schedule or {}),
    "poll live logs": {"task": "flows.tasks.poll_live_logs",
                       "schedule": float(settings.FLOWSCOPE["LOG_POLL_INTERVAL"]),
                       "options": {"expires": float(settings.FLOWSCOPE["LOG_POLL_INTERVAL"]) * 2}},
    "prune live data": {"task": "flows.tasks.prune_live_data", "schedule": 300.0},
}
if settings.FLOWSCOPE["LOG_STREAMS"]:
    current_app.conf.beat_schedule["consume log streams"] = {
        "task": "flows.tasks.consume_log_streams", "schedule": 1.0, "options": {"expires": 2.0}}
if settings.FLOWSCOPE["LIVE_TAIL"]:
    current_app.conf.beat_schedule["live tail"] = {
        "task": "flows.tasks.run_live_tail", "schedule": 60.0, "options": {"expires": 60.0}}
