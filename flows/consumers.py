"""The one WebSocket endpoint, /ws/live/: everything pushed to the browser goes through it.

Messages come from ``flows.publish`` (the one publisher) through the channel layer; this
consumer only forwards them, paced so that a busy account cannot flood a browser. It reads
the database for a resume (replay) and never writes to it.
"""

import asyncio
import hashlib
import importlib
import inspect
import logging
import re
import weakref
from collections import deque

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .live.focus import clean_functions, set_focus
from .ops.metrics import websocket_clients
from .publish import group_name
from .resilience import Backoff

log = logging.getLogger(__name__)

# At most one frame per interval: ≤ 10 frames per second per client.
FRAME_INTERVAL = 0.1
# Invocations waiting to be sent beyond this are dropped oldest first (a stalled client must
# not make the server hold an unbounded backlog); the next frame says how many were dropped.
MAX_PENDING_INVOCATIONS = 2000
REPLAY_LIMIT = 1000
# Channel layers drop group members after a day (group_expiry); a dashboard left open longer
# would go quiet without a word. Joining again well before that keeps it subscribed.
GROUP_REJOIN_SECONDS = 3600
UNAUTHENTICATED = 4401
SESSION_ENDED = "session_ended"
PAGE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def session_topic(session_key):
    """The topic of one login session: logging out closes that session's live connections."""
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()[:32]


class Outbox:
    """Messages waiting for their frame, merged where a later one can stand for earlier ones.

    Live invocations that arrive while a frame is pending join that frame's items; a sync
    progress report replaces the queued report of the same run (it carries the whole state).
    Everything else keeps its place in line.
    """

    def __init__(self, max_invocations=MAX_PENDING_INVOCATIONS):
        self.queue = deque()
        self.max_invocations = max_invocations
        self.pending_invocations = 0

    def __bool__(self):
        return bool(self.queue)

    def add(self, message):
        kind = message.get("type")
        if kind == "invocations":
            self._add_invocations(message)
            return
        if kind == "sync" and isinstance(message.get("run"), dict):
            run_id = message["run"].get("id")
            for i, queued in enumerate(self.queue):
                if queued.get("type") == "sync" and (queued.get("run") or {}).get("id") == run_id:
                    self.queue[i] = message
                    return
        self.queue.append(message)

    def _add_invocations(self, message):
        items = list(message.get("items") or [])
        replay = bool(message.get("replay"))
        target = next(
            (
                q
                for q in self.queue
                if q.get("type") == "invocations" and bool(q.get("replay")) == replay
            ),
            None,
        )
        if target is None:
            target = {**message, "items": []}
            self.queue.append(target)
        target["items"].extend(items)
        if replay:
            return
        self.pending_invocations += len(items)
        overflow = self.pending_invocations - self.max_invocations
        if overflow > 0:
            dropped = min(overflow, len(target["items"]))
            del target["items"][:dropped]
            target["dropped"] = target.get("dropped", 0) + dropped
            self.pending_invocations -= dropped

    def pop(self):
        message = self.queue.popleft()
        if message.get("type") == "invocations" and not message.get("replay"):
            self.pending_invocations -= len(message.get("items") or [])
        return message


class Hub:
    """The live group's one subscription in this web process, shared by its consumers.

    Were each consumer a member of the group itself, every published frame would cross the
    channel layer once per open page: 200 dashboards at 10 frames a second made 2,000 Redis
    messages a second, which one process could not drain (bench/fanout_bench.py). Here it
    crosses once per process and is handed to each consumer in memory.
    """

    def __init__(self, layer):
        self.layer = layer
        self.consumers = set()
        self.channel = None
        self.tasks = ()
        self.lock = asyncio.Lock()

    async def join(self, consumer):
        async with self.lock:
            self.consumers.add(consumer)
            if not self.tasks:
                # The layer's default prefix: channels_redis reads one process-wide channel for
                # all of a process's own channels, named by that prefix.
                self.channel = await self.layer.new_channel()
                await self.layer.group_add(group_name(), self.channel)
                self.tasks = (asyncio.create_task(self._receive()),
                              asyncio.create_task(self._stay_in_group()))

    async def leave(self, consumer):
        async with self.lock:
            self.consumers.discard(consumer)
            if self.consumers or not self.tasks:
                return
            for task in self.tasks:
                task.cancel()
            self.tasks = ()
            try:
                await self.layer.group_discard(group_name(), self.channel)
            except Exception:  # Redis away: the membership expires on its own
                log.warning("could not leave the live group", exc_info=True)

    async def _receive(self):
        backoff = Backoff("live hub", log)
        while True:
            try:
                event = await self.layer.receive(self.channel)
            except Exception as exc:  # Redis away: wait, then listen again
                await asyncio.sleep(backoff.failed(exc))
                continue
            backoff.succeeded()
            message = event.get("message")
            if event.get("type") == "push" and isinstance(message, dict):
                for consumer in list(self.consumers):
                    consumer.deliver(message)

    async def _stay_in_group(self):
        while True:
            await asyncio.sleep(GROUP_REJOIN_SECONDS)
            try:
                await self.layer.group_add(group_name(), self.channel)
            except Exception:
                log.warning("could not renew the live group membership", exc_info=True)


# One hub per event loop and channel layer (tests run several loops and layers).
_hubs = weakref.WeakKeyDictionary()


def hub_for(layer):
    hubs = _hubs.setdefault(asyncio.get_running_loop(), {})
    if id(layer) not in hubs or hubs[id(layer)].layer is not layer:
        hubs[id(layer)] = Hub(layer)
    return hubs[id(layer)]


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Refused before the handshake completes: the browser sees a failed connection.
            await self.close(code=UNAUTHENTICATED)
            return
        # This consumer's own groups (its login session's); the live group comes via the hub.
        self.live_groups = []
        session = self.scope.get("session")
        if session is not None and session.session_key:
            self.live_groups.append(group_name(session_topic(session.session_key)))
        self.outbox = Outbox()
        self.wake = asyncio.Event()
        for group in self.live_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.hub = hub_for(self.channel_layer)
        await self.hub.join(self)
        await self.accept()
        websocket_clients.inc()
        self.counted = True
        self.sender = asyncio.create_task(self._send_paced())
        self.rejoiner = asyncio.create_task(self._stay_in_group())

    async def disconnect(self, code):
        if getattr(self, "hub", None) is not None:
            await self.hub.leave(self)
        if getattr(self, "counted", False):
            websocket_clients.dec()
            self.counted = False
        for task in (getattr(self, "sender", None), getattr(self, "rejoiner", None)):
            if task is not None:
                task.cancel()
        if getattr(self, "focused", None):
            self.focused = []
            await self._store_focus([])
        for group in getattr(self, "live_groups", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    def deliver(self, message):
        """A message of the live group, handed over by this process's hub."""
        self._queue(message)

    async def push(self, event):
        """A message from ``flows.publish``: queue it for the next frame."""
        if event["message"].get("type") == SESSION_ENDED:
            # Logged out (perhaps in another tab): this connection's login is gone.
            await self.close(code=UNAUTHENTICATED)
            return
        self._queue(event["message"])

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        if content.get("type") == "resume":
            await self._resume(content.get("last_invocation_id"))
        elif content.get("type") == "focus":
            await self._focus(content.get("functions"), content.get("page"))

    async def _focus(self, functions, page=None):
        """The functions this page shows (Live Tail follows them when that mode is on). Kept
        under the page's own id when it sends one, so that a reconnect (or a connection that
        died without a goodbye) does not leave a second entry behind."""
        arns = clean_functions(functions)
        if arns is None:
            return
        if isinstance(page, str) and PAGE_ID.match(page):
            self.focus_key = f"user-{self.scope['user'].pk}-page-{page}"
        self.focused = arns
        await self._store_focus(arns)

    async def _store_focus(self, arns):
        try:
            await sync_to_async(set_focus)(getattr(self, "focus_key", self.channel_name), arns)
        except Exception:  # Redis away: Live Tail is an extra, the feed goes on without it
            log.warning("could not store the live focus", exc_info=True)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # a malformed frame from the browser is ignored, not a crash

    def _queue(self, message):
        self.outbox.add(message)
        self.wake.set()

    async def _send_paced(self):
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while self.outbox:
                    await self.send_json(self.outbox.pop())
                    # Whatever arrives meanwhile is merged into the next frame.
                    await asyncio.sleep(FRAME_INTERVAL)
        except Exception:  # cancellation (a BaseException) passes through
            log.exception("live WebSocket sender stopped")

    async def _stay_in_group(self):
        while True:
            await asyncio.sleep(GROUP_REJOIN_SECONDS)
            try:
                for group in self.live_groups:
                    await self.channel_layer.group_add(group, self.channel_name)
            except Exception:
                log.warning("could not renew the live group membership", exc_info=True)

    async def _resume(self, last_id):
        """Replay the invocations the client missed while it was away."""
        if isinstance(last_id, bool) or not isinstance(last_id, int) or last_id < 0:
            return
        since = invocations_since_function()
        if since is None:
            return
        if inspect.iscoroutinefunction(since):
            items = await since(last_id, REPLAY_LIMIT)
        else:
            items = await database_sync_to_async(since)(last_id, REPLAY_LIMIT)
        items = list(items)
        # A full page means there may be more: the client resumes again from the last item.
        self._queue(
            {
                "type": "invocations",
                "items": items,
                "replay": True,
                "more": len(items) >= REPLAY_LIMIT,
            }
        )


def invocations_since_function():
    """flows.live.invocations_since(last_id, limit), when the live module provides it."""
    try:
        module = importlib.import_module("flows.live")
    except ImportError:
        return None
    return getattr(module, "invocations_since", None)
