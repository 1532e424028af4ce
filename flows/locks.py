"""One sync per account at a time, with a lock that frees itself when its holder dies.

With Redis (many workers, many machines) the lock is a Redis key with a TTL that a heartbeat
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
    if settings.REDIS_URL:
        with _redis_lock(account_id):
            yield
    else:
        with _file_lock(account_id):
            yield


@contextlib.contextmanager
def _redis_lock(account_id):
    import redis

    ttl = settings.FLOWSCOPE["SYNC_LOCK_TTL"]
    client = redis.Redis.from_url(settings.REDIS_URL)
    lock = client.lock(f"{settings.FLOWSCOPE['REDIS_PREFIX']}:sync-lock:{account_id}", timeout=ttl, thread_local=False)
    if not lock.acquire(blocking=False):
        raise SyncInProgress(f"a sync of account {account_id} is already running")
    stop = threading.Event()

    def renew():
        while not stop.wait(ttl / 3):
            try:
                lock.reacquire()
            except Exception:  # lost the lock (expired); the sync's own write still is atomic
                return

    heartbeat = threading.Thread(target=renew, daemon=True, name=f"sync-lock-{account_id}")
    heartbeat.start()
    try:
        yield
    finally:
        stop.set()
        heartbeat.join()
        with contextlib.suppress(Exception):
            lock.release()
        client.close()


@contextlib.contextmanager
def _file_lock(account_id):
    directory = Path(settings.FLOWSCOPE["LOCK_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / f"sync-{account_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncInProgress(f"a sync of account {account_id} is already running") from None
        yield
    finally:
        os.close(fd)
