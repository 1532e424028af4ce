"""Live Tail mode: StartLiveTail sessions on the log groups of the functions users focus on.

Polling stays the source of truth; a session only brings a focused function's invocations in
sooner. What a session delivers goes through ``apply_events_under_lease``: under the cursor's
lease, skipping what a poll already read and marking the rest read, without moving the poll
position, so a tail that samples or drops events costs nothing but speed.

- AWS allows 15 sessions per account and region, 10 log groups each; Flowscope keeps at most
  LIVE_TAIL_MAX_SESSIONS per account and region, and bills are per session-minute, so the
  mode is off unless FLOWSCOPE_LIVE_TAIL is set.
- One thread per session reads its event stream and queues the events; the manager's own
  thread applies them (one database connection, one publisher batch) and retries a group a
  poll is holding ("Busy") on the next tick: events are never dropped for that.
- A session restarts when its group set changes, when it ends (after RESTART_DELAYS: the
  emulator replays and ends at once; AWS ends sessions after 3 hours) and after errors;
  AccessDenied pauses an account and region for DENIED_PAUSE_S, logged once.
"""
import logging
import queue
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import connection

from ..aws.base import error_code
from ..aws.session import client_config, make_session
from ..models import LogCursor
from ..resilience import Backoff as LoopBackoff
from . import focus
from .clients import CLIENT_MAX_AGE_S
from .leases import owner_id
from .poller import apply_events_under_lease
from .push import PushBatcher

log = logging.getLogger(__name__)

MAX_GROUPS_PER_SESSION = 10     # AWS's limit
RESTART_DELAYS = (5.0, 30.0)    # after a session ends: the first restart, then the rest
STABLE_SESSION_S = 60.0         # a session that ran this long restarts at the first delay again
DENIED_PAUSE_S = 600.0
CURSOR_MAP_MAX_AGE_S = 30.0
CURSOR_MAP_MISS_AGE_S = 3.0
TAIL_READ_TIMEOUT_S = 300       # sessions can be quiet for long; AWS closes them after 3 hours
DENIED_CODES = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation",
                "UnrecognizedClientException"}
# Errors that only mean the session is over (AWS's 3-hour limit, a stream cut): restart.
ENDED_CODES = {"SessionTimeoutException", "SessionStreamingException"}

# What this process's tail manager has done, for logs, the status API and tests.
status = {"sessions_started": 0, "sessions_ended": 0, "events": 0, "invocations": 0,
          "busy_retries": 0, "errors": 0, "denied": 0, "active_sessions": 0,
          "sampled_updates": 0}


def log_group_arn(region, account_id, log_group, partition="aws"):
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group}"


def log_group_name(identifier):
    """The name in a sessionUpdate's logGroupIdentifier (an ARN, with or without ":*")."""
    identifier = str(identifier or "")
    identifier = identifier.removesuffix(":*")
    _, found, name = identifier.partition(":log-group:")
    return name if found else identifier


def unqualified(function_arn):
    parts = function_arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 else function_arn


@dataclass(frozen=True)
class Chunk:
    """One session's worth of log groups of one account and region."""
    account_id: str
    region: str
    log_groups: tuple           # sorted names, at most MAX_GROUPS_PER_SESSION


def plan_sessions(groups, max_sessions):
    """[Chunk] for focused log groups, (AWS account id, region, log group) each: grouped by
    account and region, ≤ 10 groups per session, ≤ ``max_sessions`` sessions per account and
    region (the groups left over are only polled)."""
    by_place = {}
    for account_id, region, log_group in groups:
        by_place.setdefault((account_id, region), set()).add(log_group)
    chunks = []
    for (account_id, region), names in sorted(by_place.items()):
        names = sorted(names)
        for start in range(0, min(len(names), max_sessions * MAX_GROUPS_PER_SESSION),
                           MAX_GROUPS_PER_SESSION):
            chunks.append(Chunk(account_id, region, tuple(names[start:start + MAX_GROUPS_PER_SESSION])))
    return chunks


class TailSession:
    """One StartLiveTail stream, read in its own thread; its events go to ``sink``."""

    def __init__(self, chunk, client, partition, sink):
        self.chunk = chunk
        self.client = client
        self.partition = partition
        self.sink = sink
        self.started = time.monotonic()
        self.error = ""
        self.error_code = ""
        self.stopped = threading.Event()
        self.done = threading.Event()
        self._stream = None
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"live-tail-{chunk.account_id}-{chunk.region}")

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopped.set()
        stream = self._stream
        if stream is not None:
            try:
                stream.close()  # ends the read in the session's thread; no StopLiveTail needed
            except Exception:
                log.debug("closing a Live Tail stream failed", exc_info=True)

    def _run(self):
        try:
            arns = [log_group_arn(self.chunk.region, self.chunk.account_id, group, self.partition)
                    for group in self.chunk.log_groups]
            response = self.client.start_live_tail(logGroupIdentifiers=arns)
            self._stream = response["responseStream"]
            if self.stopped.is_set():
                self._stream.close()
                return
            for event in self._stream:
                if self.stopped.is_set():
                    break
                update = event.get("sessionUpdate")
                if update:
                    if (update.get("sessionMetadata") or {}).get("sampled"):
                        # Over 500 events in a second: AWS sent a sample, polls get the rest.
                        status["sampled_updates"] += 1
                    self._deliver(update.get("sessionResults") or [])
        except ClientError as exc:
            if not self.stopped.is_set():
                self.error_code = error_code(exc)
                self.error = f"{self.error_code}: {exc}"
        except (BotoCoreError, OSError, ValueError) as exc:
            if not self.stopped.is_set():
                self.error_code = type(exc).__name__
                self.error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a closed stream read from another thread, or a bug: never crash
            if not self.stopped.is_set():
                log.exception("Live Tail session on %s failed", self.chunk.log_groups)
                self.error_code = type(exc).__name__
                self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.done.set()

    def _deliver(self, results):
        wanted = set(self.chunk.log_groups)
        by_group = {}
        for result in results:
            if not isinstance(result, dict):
                continue
            group = log_group_name(result.get("logGroupIdentifier"))
            # The emulator tails every group whatever was asked: keep only this session's.
            if group not in wanted:
                continue
            by_group.setdefault(group, []).append({
                "logStreamName": result.get("logStreamName") or "",
                "timestamp": result.get("timestamp") or 0,
                "message": result.get("message") or ""})
        for group, events in by_group.items():
            self.sink.put((self.chunk.account_id, self.chunk.region, group, events))


class TailClients:
    """Logs clients per (account, role, region) for Live Tail. With an endpoint URL that is
    not AWS's (the emulator) the "streaming-" host prefix is not put before it."""

    def __init__(self, session_factory=None):
        self.session_factory = session_factory or make_session
        self._clients = {}

    def get(self, account_id, role_arn, region):
        key = (account_id, role_arn, region)
        client, created = self._clients.get(key, (None, 0))
        if client is None or time.monotonic() - created > CLIENT_MAX_AGE_S:
            session = self.session_factory(role_arn or None)
            config = client_config().merge(Config(read_timeout=TAIL_READ_TIMEOUT_S))
            client = session.client("logs", region_name=region, config=config)
            host = urlparse(client.meta.endpoint_url).hostname or ""
            if not host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
                client = session.client("logs", region_name=region,
                                        config=config.merge(Config(inject_host_prefix=False)))
            self._clients[key] = (client, time.monotonic())
        return client


@dataclass
class Backoff:
    attempts: int = 0
    until: float = 0.0
    failed: bool = False


@dataclass
class Pending:
    cursor_id: int
    events: list
    tries: int = 0


class TailManager:
    """Keeps one Live Tail session per planned chunk; ``tick()`` once a second or two."""

    def __init__(self, owner=None, publish=None, clients=None, max_sessions=None):
        from ..publish import publish as default_publish

        self.owner = owner or owner_id()
        self.batcher = PushBatcher(publish or default_publish)
        self.clients = clients or TailClients()
        self.max_sessions = max_sessions or settings.FLOWSCOPE["LIVE_TAIL_MAX_SESSIONS"]
        self.sessions = {}          # Chunk -> TailSession
        self.backoff = {}           # Chunk -> Backoff
        self.denied = {}            # (account, region) -> monotonic time the pause ends
        self.inbox = queue.Queue()
        self.pending = []           # [Pending]: events waiting for a busy group
        self._cursor_map = {"at": -1e9, "by_function": {}, "by_group": {}}

    # ------------------------------------------------------------ which sessions

    def _cursors(self, wanted=()):
        cache = self._cursor_map
        age = time.monotonic() - cache["at"]
        # A function focused but unknown may have got its cursor since: look again sooner.
        unknown = any(unqualified(arn) not in cache["by_function"] for arn in wanted)
        if age > CURSOR_MAP_MAX_AGE_S or (unknown and age > CURSOR_MAP_MISS_AGE_S):
            by_function, by_group = {}, {}
            for cursor in LogCursor.objects.filter(enabled=True).select_related("account").only(
                    "pk", "account_id", "region", "log_group", "function_arns", "account__role_arn"):
                by_group[(cursor.account.account_id, cursor.region, cursor.log_group)] = cursor
                for arn in cursor.function_arns or []:
                    by_function.setdefault(arn, []).append(cursor)
            cache.update(at=time.monotonic(), by_function=by_function, by_group=by_group)
        return cache

    def wanted(self):
        """(chunks to tail, focused function ARNs they cover)."""
        focused = focus.focused_functions()
        cursors = self._cursors(focused)
        chosen = {}
        for arn in focused:
            for cursor in cursors["by_function"].get(unqualified(arn), []):
                chosen[cursor.pk] = cursor
        now = time.monotonic()
        places = sorted((c.account.account_id, c.region, c.log_group) for c in chosen.values())
        places = [p for p in places if self.denied.get(p[:2], 0) <= now]
        chunks = plan_sessions(places, self.max_sessions)
        groups = {(c.account_id, c.region, g) for c in chunks for g in c.log_groups}
        covered = {arn for key in groups for arn in cursors["by_group"][key].function_arns or []}
        return chunks, covered

    def tick(self):
        """Start, stop and restart sessions to match the focus, then apply what arrived."""
        chunks, covered = self.wanted()
        now = time.monotonic()
        for chunk, session in list(self.sessions.items()):
            if chunk not in self.sessions:
                continue    # stopped meanwhile: its account and region were denied
            if session.done.is_set():
                self._ended(chunk, session, now)
            elif chunk not in chunks:
                session.stop()
                del self.sessions[chunk]
                self.backoff.pop(chunk, None)
        for chunk in chunks:
            if chunk in self.sessions or self.backoff.get(chunk, Backoff()).until > now:
                continue
            if self.denied.get((chunk.account_id, chunk.region), 0) > now:
                continue
            self._start(chunk)
        for chunk in list(self.backoff):
            if chunk not in chunks:
                del self.backoff[chunk]
        status["active_sessions"] = len(self.sessions)
        # Followed: a session runs, or ended as sessions do and restarts shortly (the emulator
        # ends each one at once); not while failing or denied.
        tailing = {arn for chunk in chunks
                   if chunk in self.sessions or not self.backoff.get(chunk, Backoff()).failed
                   for arn in self._functions_of(chunk)}
        focus.set_tailing(sorted(tailing & covered))
        self.apply()

    def _functions_of(self, chunk):
        by_group = self._cursor_map["by_group"]
        return {arn for group in chunk.log_groups
                for arn in (getattr(by_group.get((chunk.account_id, chunk.region, group)),
                                    "function_arns", None) or [])}

    def _start(self, chunk):
        cursor = self._cursor_map["by_group"].get((chunk.account_id, chunk.region, chunk.log_groups[0]))
        role_arn = cursor.account.role_arn if cursor is not None else ""
        try:
            client = self.clients.get(chunk.account_id, role_arn, chunk.region)
        except (BotoCoreError, ClientError) as exc:
            self._failed(chunk, error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__,
                         str(exc))
            return
        partition = (role_arn.split(":")[1] if role_arn.startswith("arn:") else "aws")
        self.sessions[chunk] = TailSession(chunk, client, partition, self.inbox).start()
        status["sessions_started"] += 1
        log.info("Live Tail started on %d log group(s) of %s/%s", len(chunk.log_groups),
                 chunk.account_id, chunk.region)

    def _ended(self, chunk, session, now):
        del self.sessions[chunk]
        status["sessions_ended"] += 1
        if session.error and session.error_code not in ENDED_CODES:
            self._failed(chunk, session.error_code, session.error)
            return
        state = self.backoff.setdefault(chunk, Backoff())
        if now - session.started >= STABLE_SESSION_S:
            state.attempts = 0
        state.until = now + RESTART_DELAYS[min(state.attempts, len(RESTART_DELAYS) - 1)]
        state.attempts += 1
        state.failed = False

    def _failed(self, chunk, code, message):
        status["errors"] += 1
        place = (chunk.account_id, chunk.region)
        if code in DENIED_CODES:
            if self.denied.get(place, 0) <= time.monotonic():
                status["denied"] += 1
                log.warning("Live Tail denied in %s/%s, polling only for %d s: %s",
                            chunk.account_id, chunk.region, DENIED_PAUSE_S, message)
            self.denied[place] = time.monotonic() + DENIED_PAUSE_S
            for other, session in list(self.sessions.items()):
                if (other.account_id, other.region) == place:
                    session.stop()
                    del self.sessions[other]
            return
        # A group Lambda has not created yet (no invocation so far) is no cause for alarm.
        level = logging.INFO if code == "ResourceNotFoundException" else logging.WARNING
        log.log(level, "Live Tail on %s/%s stopped: %s", chunk.account_id, chunk.region, message)
        state = self.backoff.setdefault(chunk, Backoff())
        state.until = time.monotonic() + RESTART_DELAYS[-1]
        state.attempts += 1
        state.failed = True

    # ------------------------------------------------------------ what sessions delivered

    def apply(self):
        """Fold queued events into their groups' invocations; busy groups wait for the next
        tick. Returns the number of events applied."""
        by_group = self._cursor_map["by_group"]
        while True:
            try:
                account_id, region, group, events = self.inbox.get_nowait()
            except queue.Empty:
                break
            cursor = by_group.get((account_id, region, group))
            if cursor is not None:
                self.pending.append(Pending(cursor.pk, events))
        applied = 0
        waiting = []
        for item in self.pending:
            try:
                outcome = apply_events_under_lease(item.cursor_id, self.owner, item.events,
                                                   publish_item=self.batcher.add)
            except Exception:  # a database hiccup: keep the events and try again
                log.exception("applying Live Tail events to cursor %s failed", item.cursor_id)
                status["errors"] += 1
                waiting.append(item)
                continue
            if outcome.error == "Gone":  # the function left the graph
                continue
            if outcome.error in ("Busy", "LeaseLost"):
                status["busy_retries"] += 1
                item.tries += 1
                waiting.append(item)
                continue
            applied += outcome.events - outcome.duplicates
            status["events"] += outcome.events - outcome.duplicates
            status["invocations"] += outcome.invocations
        self.pending = waiting
        self.batcher.flush()
        return applied

    def close(self):
        for session in self.sessions.values():
            session.stop()
        self.sessions.clear()
        status["active_sessions"] = 0
        try:
            self.apply()
        finally:
            focus.set_tailing([])


def tail_loop(stop=None, owner=None, publish=None, clients=None, interval=1.0, manager=None):
    """Run the tail manager until ``stop()`` says so (poll_logs, the demo, the Celery task)."""
    manager = manager or TailManager(owner=owner, publish=publish, clients=clients)
    backoff = LoopBackoff("Live Tail", log)
    try:
        while not (stop and stop()):
            try:
                manager.tick()
            except Exception as exc:  # the database or Redis away: back off, then tick again
                status["errors"] += 1
                time.sleep(backoff.failed(exc))
                continue
            backoff.succeeded()
            time.sleep(interval)
    finally:
        try:
            manager.close()
        except Exception:
            log.exception("closing Live Tail sessions failed")
        connection.close()
    return manager
