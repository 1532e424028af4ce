"""Long-running loops keep going through transient trouble: the database busy or restarting,
Redis away, AWS unreachable. They back off (exponential, jittered) and log a failure once when
it starts and once when it clears, not a traceback every second."""
import logging
import random
import time

import redis.exceptions
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError
from django import db

# Worth waiting out: the same call may well work in a moment. (botocore's retry mode already
# retried throttling and 5xx inside each call; what reaches here outlasted it.)
TRANSIENT = (
    db.OperationalError, db.InterfaceError,
    redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
    BotoConnectionError, HTTPClientError,
    ConnectionError, TimeoutError,
)


def is_transient(exc):
    return isinstance(exc, TRANSIENT)


class Backoff:
    """The retry state of one loop: ``failed(exc)`` says how long to wait, ``succeeded()``
    ends a streak of failures."""

    def __init__(self, name, logger=None, base=0.5, cap=30.0):
        self.name = name
        self.log = logger or logging.getLogger(__name__)
        self.base, self.cap = base, cap
        self.failures = 0
        self.started = None
        self._seen = set()

    def failed(self, exc):
        """Record one failure; returns the seconds to wait before trying again."""
        self.failures += 1
        self.started = self.started or time.monotonic()
        # Each distinct failure is logged once per streak; a bug (not a transient error) gets
        # its traceback, the database being busy does not need one.
        key = (type(exc).__name__, str(exc)[:200])
        if key not in self._seen:
            self._seen.add(key)
            transient = is_transient(exc)
            self.log.warning("%s: %s: %s (%s; retrying with backoff)", self.name,
                             type(exc).__name__, exc,
                             "transient" if transient else "unexpected",
                             exc_info=None if transient else exc)
        # A connection the error broke must not serve the next attempt (inside a transaction
        # the caller owns the connection, and closing it would end that transaction).
        if not db.connection.in_atomic_block:
            db.connection.close_if_unusable_or_obsolete()
        ceiling = min(self.cap, self.base * 2 ** (self.failures - 1))
        return random.uniform(ceiling / 2, ceiling)

    def succeeded(self):
        if self.failures:
            self.log.warning("%s: working again after %d failed attempts over %.1f s",
                             self.name, self.failures, time.monotonic() - self.started)
        self.failures, self.started = 0, None
        self._seen.clear()

    def wait(self, exc, sleep=time.sleep):
        sleep(self.failed(exc))


def retry_transient(fn, *, name, attempts=4, logger=None, base=0.5, sleep=time.sleep):
    """``fn()``, tried again (with backoff) while it fails with a transient error, at most
    ``attempts`` times in all; the last error propagates."""
    backoff = Backoff(name, logger, base=base)
    for attempt in range(1, attempts + 1):
        try:
            result = fn()
        except TRANSIENT as exc:
            if attempt == attempts:
                raise
            backoff.wait(exc, sleep)
        else:
            backoff.succeeded()
            return result
