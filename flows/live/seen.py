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

    def __init__(self, cursor_id, start_ms):
        self.cursor_id = cursor_id
        self.seconds = {}
        self.touched = set()
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
        if not self.touched:
            return
        SeenEvents.objects.bulk_create(
            [SeenEvents(cursor_id=self.cursor_id, second=second,
                        fingerprints=pack(self.seconds[second])) for second in sorted(self.touched)],
            update_conflicts=True, unique_fields=["cursor", "second"],
            update_fields=["fingerprints"])
        self.touched.clear()


def prune(cursor_id, horizon_ms):
    """Forget the seconds entirely before ``horizon_ms``: no later poll reads them again."""
    return SeenEvents.objects.filter(cursor_id=cursor_id, second__lt=horizon_ms // 1000).delete()[0]
