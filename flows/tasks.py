"""Thin Celery tasks: they take plain values and call the plain functions that tests call."""
import logging
import threading

from celery import shared_task
from django.conf import settings

from .locks import SyncInProgress
from .publish import publish
from .resilience import retry_transient
from .sync import sync_account
from .vocabulary import SyncStatus

log = logging.getLogger(__name__)


def publish_progress(run):
    from .api import run_summary

    publish("sync", {"run": run_summary(run)})


def run_sync(regions=None, role_arn=None):
    """The one sync entry point behind the beat schedule, the on-demand task and the CLI."""
    regions = regions or settings.FLOWSCOPE["REGIONS"]
    try:
        run = sync_account(regions, role_arn=role_arn, progress=publish_progress)
    except SyncInProgress as exc:
        publish("sync", {"error": str(exc)})
        log.info("%s", exc)
        return None
    audit_after_sync(run)
    return run


def audit_after_sync(run):
    """Re-audit the account a sync just read. Returns the audit result, or None.

    Skipped when the sync failed, or when the roles or functions could not be read (the
    audit would then report on a partial picture). An audit failure is logged and never
    turns a finished sync into a failed one."""
    if run is None or run.status == SyncStatus.FAILED:
        return None
    unread = {str(e.get("service")) for e in run.errors or []
              if isinstance(e, dict) and e.get("fatal")} & {"iam", "lambda"}
    if unread:
        log.warning("sync %s could not read %s: audit skipped", run.pk, ", ".join(sorted(unread)))
        return None
    from .auditing import audit_account

    try:
        # Beside the live poller on SQLite, or with Postgres restarting, the database can be
        # busy for a moment: worth a few tries before giving up on this audit.
        result = retry_transient(lambda: audit_account(run.account),
                                 name=f"audit after sync {run.pk}", logger=log)
    except Exception:  # the sync's outcome must not depend on the audit
        log.exception("audit after sync %s failed", run.pk)
        return None
    publish("audit", {"account": run.account.account_id, "findings": len(result.findings)})
    return result


@shared_task(name="flows.tasks.sync_account", ignore_result=True)
def sync_account_task(regions=None, role_arn=None):
    run = run_sync(regions, role_arn)
    return run.pk if run else None


@shared_task(name="flows.tasks.sync_all_accounts", ignore_result=True)
def sync_all_accounts():
    """The periodic job: the default credentials, then each configured role."""
    for role_arn in [None, *settings.FLOWSCOPE["ROLE_ARNS"]]:
        sync_account_task.delay(role_arn=role_arn)


def start_sync(regions=None, role_arn=None):
    """Start a sync in the background: on a Celery worker when a broker is configured, else
    (laptop mode, no Redis) in a thread of this process. Returns how it was started."""
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        thread = threading.Thread(target=_sync_in_thread, args=(regions, role_arn), daemon=True,
                                  name="flowscope-sync")
        thread.start()
        return "thread"
    sync_account_task.delay(regions=regions, role_arn=role_arn)
    return "celery"


def _sync_in_thread(regions, role_arn):
    from django.db import connection

    try:
        run_sync(regions, role_arn)
    finally:
        connection.close()

from .live.tasks import consume_log_streams, poll_live_logs, prune_live_data  # noqa: E402,F401
