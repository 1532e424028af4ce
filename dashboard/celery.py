import os

from celery import Celery
from celery.signals import task_prerun, worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def schedule_periodic_sync(sender, **kwargs):
    from django.conf import settings

    sender.add_periodic_task(
        settings.FLOWSCOPE["SYNC_INTERVAL_SECONDS"],
        sender.signature("flows.tasks.sync_all_accounts"),
        name="sync all configured accounts",
    )


@worker_ready.connect
@task_prerun.connect
def record_worker_heartbeat(**kwargs):
    """/healthz reports whether workers run: each notes in Redis when it last started a task."""
    from flows.ops import heartbeat

    heartbeat.record()


@worker_ready.connect
@worker_process_init.connect
def freeze_worker_heap(**kwargs):
    """What a worker holds once started is never garbage: keep collections from walking it
    (flows/live/heap.py). worker_ready: the main process (the solo pool runs tasks there);
    worker_process_init: each forked pool process."""
    from flows.live.heap import freeze_startup_heap

    freeze_startup_heap()
