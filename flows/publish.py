"""The one publisher: the only module that sends to the channel layer.

Everything pushed to browsers goes through ``publish``; group names come from ``group_name``.
Consumers join groups and forward; they never write to the database.
"""
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

LIVE_GROUP = "flowscope.live"


def group_name(topic="all"):
    """Channels group for a topic ("all", or e.g. an account id); names allow [a-zA-Z0-9._-]."""
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in str(topic))
    return f"{LIVE_GROUP}.{safe}"[:99]


def publish(message_type, payload, topic="all"):
    """Send {"type": message_type, **payload} to every browser listening on ``topic``.

    Never raises: a broken channel layer must not fail a sync or a poll.
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group_name(topic), {"type": "push", "message": {"type": message_type, **payload}})
        return True
    except Exception:
        log.exception("could not publish %s", message_type)
        return False


async def apublish(message_type, payload, topic="all"):
    """``publish`` for async callers (the live poller's event loop)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        await layer.group_send(group_name(topic), {"type": "push", "message": {"type": message_type, **payload}})
        return True
    except Exception:
        log.exception("could not publish %s", message_type)
        return False
