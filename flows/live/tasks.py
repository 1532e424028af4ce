"""Celery tasks for live invocations: thin, they call the plain functions in poller/store."""
import time

from celery import current_app, shared_task
from django.conf import settings

from ..publish import publish
from . import store
from .poller import Clients, PushBatcher, owner_id, run_cycle

# One client set and owner id per worker process: clients keep their connection pools.
_worker = {}


def _state():
    if not _worker:
        _worker["owner"] = owner_id()
        _worker["clients"] = Clients()
    return _worker["owner"], _worker["clients"]


@shared_task(name="flows.tasks.poll_live_logs", ignore_result=True)
def poll_live_logs(max_seconds=None):
    """Poll the log groups that are due, for up to ``max_seconds``. Beat enqueues one every
    LOG_POLL_INTERVAL; several workers running it at once share the groups through leases."""
    owner, clients = _state()
    deadline = time.monotonic() + (max_seconds or settings.FLOWSCOPE["LOG_POLL_INTERVAL"])
    batcher = PushBatcher(publish)
    while True:
        report = run_cycle(owner, clients, batcher)
        if not report.claimed or time.monotonic() >= deadline:
            return report.invocations


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
