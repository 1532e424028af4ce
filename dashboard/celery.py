import os

from celery import Celery

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
