"""Which log events a cursor has already read: fingerprints kept per second of event time.

A fingerprint is a 64-bit hash of (log stream, timestamp, message), not FilterLogEvents'
event id: Live Tail's events carry no id, and the same event read by a Live Tail session and
by a poll must be recognised as one. Two byte-identical lines logged by one stream in the same
millisecond therefore count as one (the second is a repeat of a line, never an invocation:
START, END and REPORT lines carry their request id).

Each second's fingerprints are one ``SeenEvents`` row, packed 8 bytes each: a page of events
rewrites only the seconds it touched, and a poll loads only the seconds its window reaches
back to (a head poll one or two rows; a catch-up poll the whole lag window). The rows are
written in the transaction that applies the events, so a killed poller skips exactly what it
stored.
"""
import sys
from array import array
from hashlib import blake2b

from django.db import connection, transaction

from ..models import SeenEvents


def fingerprint(event):
    message = event.get("message")
    if not isinstance(message, str):
        message = repr(message)
    data = f"{event.get('logStreamName') or ''}\n{event.get('timestamp') or 0}\n{message}"
    return int.from_bytes(blake2b(data.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                          "little")


def pack(values):
    packed = array("Q", sorted(values))
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def unpack(data):
    values = array("Q")
    values.frombytes(bytes(data))
    if sys.byteorder != "little":
        values.byteswap()
    return set(values)


class SeenWindow:
    """The fingerprints of one cursor from ``start_ms`` on, loaded once per poll (the poller
    holds the cursor's lease, so nobody else changes them meanwhile)."""

    def __init__(self, cursor_id, start_ms, load=True):
        self.cursor_id = cursor_id
        self.seconds = {}
        self.touched = set()
        if load:
            rows = SeenEvents.objects.filter(cursor_id=cursor_id, second__gte=start_ms // 1000)
            for second, data in rows.values_list("second", "fingerprints"):
                self.seconds[second] = unpack(data)

    def add(self, event):
        """True when the event is new (and remember it), False when it was read before."""
        second = (event.get("timestamp") or 0) // 1000
        key = fingerprint(event)
        bucket = self.seconds.setdefault(second, set())
        if key in bucket:
            return False
        bucket.add(key)
        self.touched.add(second)
        return True

    def save(self):
        """Write the seconds changed since the last save (inside the caller's transaction)."""
        save_windows([self])

    def changed_rows(self):
        return [SeenEvents(cursor_id=self.cursor_id, second=second, fingerprints=pack(self.seconds[second]))
                for second in sorted(self.touched)]


def load_windows(starts):
    """SeenWindows of several cursors ({cursor id: start ms}) in one query."""
    windows = {cursor_id: SeenWindow(cursor_id, start_ms, load=False) for cursor_id, start_ms in starts.items()}
    if not starts:
        return windows
    rows = SeenEvents.objects.filter(cursor_id__in=list(starts), second__gte=min(starts.values()) // 1000)
    for cursor_id, second, data in rows.values_list("cursor_id", "second", "fingerprints"):
        if second >= starts[cursor_id] // 1000:
            windows[cursor_id].seconds[second] = unpack(data)
    return windows


def save_windows(windows):
    """Write what changed in these windows, in one statement (rows in key order, so two
    writers never lock each other's rows in a ring)."""
    windows = list(windows)
    rows = [row for window in sorted(windows, key=lambda w: w.cursor_id) for row in window.changed_rows()]
    if rows and connection.vendor == "postgresql":
        # One statement whatever the number of rows: the columns passed as arrays.
        table = SeenEvents._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (cursor_id, second, fingerprints) "
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[]) "
                "ON CONFLICT (cursor_id, second) DO UPDATE SET fingerprints = EXCLUDED.fingerprints",
                [[r.cursor_id for r in rows], [r.second for r in rows], [r.fingerprints for r in rows]])
    elif rows:
        SeenEvents.objects.bulk_create(rows, update_conflicts=True, unique_fields=["cursor", "second"],
                                       update_fields=["fingerprints"])
    # Forgotten only once written for good: a transaction rolled back (and redone) writes them again.
    for window in windows:
        transaction.on_commit(window.touched.clear)


def prune(cursor_id, horizon_ms):
    """Forget the seconds entirely before ``horizon_ms``: no later poll reads them again."""
    return SeenEvents.objects.filter(cursor_id=cursor_id, second__lt=horizon_ms // 1000).delete()[0]
