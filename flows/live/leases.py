"""Who polls which log group: leases on LogCursor rows.

- Workers *lease* due cursors: on Postgres one statement takes the most overdue free row
  (``FOR UPDATE SKIP LOCKED``) and a session advisory lock on it, which vanishes the moment a
  SIGKILLed worker's connection drops; elsewhere (SQLite, one machine) the lease is a time on
  the row, and leases of dead local processes are freed. Adding workers adds capacity, and no
  group is polled twice at once.
- The poller writes only while it holds the lease (``LeaseLost`` otherwise).
"""
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import LogCursor

LEASE_SECONDS = 60


class LeaseLost(Exception):
    """Another worker took the cursor over (our lease expired): stop without writing."""


def owner_id():
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_cursors(owner, limit, now=None):
    """Lease up to ``limit`` due cursors for ``owner``; returns their ids, most overdue first.

    On Postgres the lease is a session advisory lock: it vanishes the moment a SIGKILLed
    worker's connection drops, so its groups are picked up again at once. Elsewhere (SQLite,
    one machine) it is a lease time on the row, and leases of dead local processes are freed.
    """
    now = now or timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    due = Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
    lease = {"lease_owner": owner, "leased_until": now + timedelta(seconds=LEASE_SECONDS)}
    candidates = LogCursor.objects.filter(due, enabled=True).order_by("next_poll_at", "pk")
    ids = []
    if _advisory_locks():
        while len(ids) < limit:
            pk = _claim_one(owner, now, lease["leased_until"])
            if pk is None:
                break
            ids.append(pk)
        if len(ids) < limit:
            ids += _claim_stale(owner, now, lease["leased_until"], limit - len(ids))
        return ids
    with transaction.atomic():
        for pk in candidates.filter(free).values_list("pk", flat=True)[:limit]:
            if LogCursor.objects.filter(free, pk=pk).update(**lease):
                ids.append(pk)
    return ids


# One statement (one round trip) per claim: the most overdue free group whose row no other
# worker is claiming this instant (SKIP LOCKED) and whose lease lock can be had. A leased
# group's lock is held by its poller, so the lock test only fails in a race, and then the
# row is simply not claimed this time.
CLAIM_SQL = """
WITH candidate AS MATERIALIZED (
    SELECT id FROM {table}
    WHERE enabled AND (next_poll_at IS NULL OR next_poll_at <= %(now)s)
      AND (leased_until IS NULL OR leased_until < %(now)s)
      AND NOT (id = ANY(%(held)s::bigint[]))
    ORDER BY next_poll_at NULLS FIRST, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), locked AS MATERIALIZED (
    SELECT id FROM candidate WHERE pg_try_advisory_lock(%(namespace)s::int, id::int)
)
UPDATE {table} SET lease_owner = %(owner)s, leased_until = %(until)s
FROM locked WHERE {table}.id = locked.id
RETURNING {table}.id
"""


def _claim_one(owner, now, until):
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL.format(table=LogCursor._meta.db_table), {
            "owner": owner, "until": until, "now": now, "held": sorted(_locks.held),
            "namespace": ADVISORY_NAMESPACE})
        row = cursor.fetchone()
    if row is None:
        return None
    _locks.held.add(row[0])
    return row[0]


def release(cursor_id):
    if _advisory_locks():
        _locks.drop(cursor_id)


def lease_cursor(owner, cursor_id, wait=1.0):
    """Lease one given cursor whether due or not (waiting up to ``wait`` seconds while a poll
    holds it). True when leased; give it back with ``end_lease``."""
    deadline = time.monotonic() + wait
    while True:
        now = timezone.now()
        free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
        lease = {"lease_owner": owner, "leased_until": now + timedelta(seconds=LEASE_SECONDS)}
        if _advisory_locks():
            if _try_lock(cursor_id):
                if LogCursor.objects.filter(free, pk=cursor_id, enabled=True).update(**lease):
                    return True
                _locks.drop(cursor_id)
        elif LogCursor.objects.filter(free, pk=cursor_id, enabled=True).update(**lease):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def end_lease(owner, cursor_id):
    """Give back a lease taken with ``lease_cursor`` (the poll schedule is left as it was)."""
    LogCursor.objects.filter(pk=cursor_id, lease_owner=owner).update(lease_owner="",
                                                                     leased_until=None)
    release(cursor_id)


# Due groups whose rows say they are leased but whose lease lock can be had: a live lease
# always holds its lock, so these are a SIGKILLed worker's, taken over at once rather than
# after its lease time. Candidates are read first (MATERIALIZED) so that the lock is tried
# only on them.
STALE_SQL = """
WITH candidate AS MATERIALIZED (
    SELECT id FROM {table}
    WHERE enabled AND (next_poll_at IS NULL OR next_poll_at <= %(now)s)
      AND leased_until >= %(now)s
      AND NOT (id = ANY(%(held)s::bigint[]))
    ORDER BY next_poll_at NULLS FIRST, id
    LIMIT 256
    FOR UPDATE SKIP LOCKED
)
SELECT id FROM candidate WHERE pg_try_advisory_lock(%(namespace)s::int, id::int) ORDER BY id
"""


def _claim_stale(owner, now, until, limit):
    with connection.cursor() as cursor:
        cursor.execute(STALE_SQL.format(table=LogCursor._meta.db_table), {
            "now": now, "held": sorted(_locks.held), "namespace": ADVISORY_NAMESPACE})
        locked = [row[0] for row in cursor.fetchall()]
    _locks.held.update(locked)
    keep, extra = locked[:limit], locked[limit:]
    for pk in extra:
        _locks.drop(pk)
    if keep:
        LogCursor.objects.filter(pk__in=keep).update(lease_owner=owner, leased_until=until)
    return keep


def release_dead_local_leases():
    """Free leases held by processes of this host that no longer exist (SIGKILLed pollers)."""
    host = socket.gethostname()[:30]
    freed = 0
    for pk, owner in LogCursor.objects.exclude(lease_owner="").values_list("pk", "lease_owner"):
        owner_host, _, rest = owner.partition(":")
        pid = rest.split(":", 1)[0]
        if owner_host != host or not pid.isdigit() or _alive(int(pid)):
            continue
        freed += LogCursor.objects.filter(pk=pk, lease_owner=owner).update(
            lease_owner="", leased_until=None)
    return freed


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


ADVISORY_NAMESPACE = 0x4C4F47  # "LOG": keeps these locks apart from other advisory locks


def _advisory_locks():
    return connection.vendor == "postgresql"


class AdvisoryLocks:
    """Session advisory locks (Postgres) in one namespace, and which of them this thread's
    connection holds (each thread has its own connection, so its own locks). Session locks are
    re-entrant, so callers check ``held`` before taking one they may already have."""

    def __init__(self, namespace):
        self.namespace = namespace
        self._local = threading.local()

    @property
    def held(self):
        if not hasattr(self._local, "held"):
            self._local.held = set()
        return self._local.held

    def take(self, key):
        """Take the lock now or not at all; True when taken."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [self.namespace, key])
            locked = cursor.fetchone()[0]
        if locked:
            self.held.add(key)
        return locked

    def drop(self, key):
        if key in self.held:
            self.held.discard(key)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [self.namespace, key])


# A second claim from the connection that polls a group must not take that group again.
_locks = AdvisoryLocks(ADVISORY_NAMESPACE)


def _try_lock(pk):
    return pk not in _locks.held and _locks.take(pk)


def stale_leases(cursor_ids):
    """Of these cursors (whose rows say another worker leases them), the ones whose worker is
    gone: on Postgres a live lease always holds its advisory lock, so a lock that can be had
    is a dead worker's (SIGKILLed before its lease ran out). Their locks are taken for the
    caller, who gives them back with ``release``. Elsewhere: none (release_dead_local_leases
    frees those)."""
    if not cursor_ids or not _advisory_locks():
        return []
    ids = [pk for pk in cursor_ids if pk not in _locks.held]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_lock(%s, id::int)",
                       [ids, ADVISORY_NAMESPACE])
        taken = [row[0] for row in cursor.fetchall()]
    _locks.held.update(taken)
    return taken


def release_all():
    """Drop every lease lock this process holds (tests; shutting down)."""
    if _advisory_locks():
        for pk in list(_locks.held):
            _locks.drop(pk)
