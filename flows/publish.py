"""The one publisher: the only module that sends to the channel layer.

Everything pushed to browsers goes through ``publish``; group names come from ``group_name``.
Consumers join groups and forward; they never write to the database.
"""
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

LIVE_GROUP = "flowscope.live"


def group_name(topic="all"):
    """Channels group for a topic ("all", or e.g. an account id); names allow [a-zA-Z0-9._-]."""
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in str(topic))
    return f"{LIVE_GROUP}.{safe}"[:99]


class _Outage:
    """Logs the first failed publish and the recovery, and counts what lies between: with
    Redis away, every poll would otherwise log a traceback."""

    def __init__(self):
        self.failures = 0
        self._lock = threading.Lock()

    def failed(self, message_type, exc):
        with self._lock:
            self.failures += 1
            first = self.failures == 1
        if first:
            log.warning("could not publish %s: %s: %s (further failures are counted until "
                        "publishing works again)", message_type, type(exc).__name__, exc,
                        exc_info=exc)

    def worked(self):
        if self.failures:
            with self._lock:
                failures, self.failures = self.failures, 0
            if failures:
                log.warning("publishing works again after %d failed messages", failures)


outage = _Outage()


def _message(message_type, payload):
    return {"type": "push", "message": {"type": message_type, **payload}}


def publish(message_type, payload, topic="all"):
    """Send {"type": message_type, **payload} to every browser listening on ``topic``.

    Never raises: a broken channel layer must not fail a sync or a poll.
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group_name(topic), _message(message_type, payload))
    except Exception as exc:
        outage.failed(message_type, exc)
        return False
    outage.worked()
    return True


async def apublish(message_type, payload, topic="all"):
    """``publish`` for async callers (the live poller's event loop)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        await layer.group_send(group_name(topic), _message(message_type, payload))
    except Exception as exc:
        outage.failed(message_type, exc)
        return False
    outage.worked()
    return True
