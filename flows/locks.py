"""Locks that free themselves when their holder dies: one sync per account at a time, one
Live Tail manager at a time.

With Redis (many workers, many machines) a lock is a Redis key with a TTL that a heartbeat
renews; a SIGKILLed worker stops renewing and the key expires. Without Redis (one machine) it is
an flock on a file, which the kernel releases when the process dies.
"""
import contextlib
import fcntl
import os
import threading
from pathlib import Path

from django.conf import settings


class SyncInProgress(Exception):
    pass


@contextlib.contextmanager
def account_lock(account_id):
    with exclusive(f"sync-lock:{account_id}", f"sync-{account_id}.lock",
                   settings.FLOWSCOPE["SYNC_LOCK_TTL"]) as held:
        if not held:
            raise SyncInProgress(f"a sync of account {account_id} is already running")
        yield


@contextlib.contextmanager
def exclusive(key, file_name, ttl):
    """Yield True to the one holder of the lock ``key`` (Redis; ``file_name`` in LOCK_DIR
    without Redis), False to everyone else: nobody waits."""
    lock = _redis_lock if settings.REDIS_URL else _file_lock
    with lock(key, file_name, ttl) as held:
        yield held


@contextlib.contextmanager
def _redis_lock(key, file_name, ttl):
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    lock = client.lock(f"{settings.FLOWSCOPE['REDIS_PREFIX']}:{key}", timeout=ttl,
                       thread_local=False)
    if not lock.acquire(blocking=False):
        client.close()
        yield False
        return
    stop = threading.Event()

    def renew():
        while not stop.wait(ttl / 3):
            try:
                lock.reacquire()
            except redis.exceptions.RedisError:  # lost (expired): the holder's writes are atomic
                return

    heartbeat = threading.Thread(target=renew, daemon=True, name=f"lock-{key}")
    heartbeat.start()
    try:
        yield True
    finally:
        stop.set()
        heartbeat.join()
        with contextlib.suppress(Exception):
            lock.release()
        client.close()


@contextlib.contextmanager
def _file_lock(key, file_name, ttl):
    directory = Path(settings.FLOWSCOPE["LOCK_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / file_name, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
