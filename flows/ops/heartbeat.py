"""Which Celery workers are alive: each records the time it last started a task in Redis.

Beat queues a poll task every second, so a worker that is up and fed is seen every few
seconds; one that is gone (or not fed, beat being down) soon is not.
"""
import os
import socket
import time

import redis
from django.conf import settings

SEEN_WITHIN_SECONDS = 60


def _key():
    return f"{settings.FLOWSCOPE['REDIS_PREFIX']}:workers-seen"


def _client():
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def record(worker=None, now=None):
    """Note ``worker`` (this host and process) as alive now. Never raises: a missing
    heartbeat must not fail the task it rides on."""
    if not settings.REDIS_URL:
        return
    try:
        _client().hset(_key(), worker or f"{socket.gethostname()}:{os.getpid()}",
                       now or time.time())
    except redis.RedisError:
        pass


def workers_seen(within=SEEN_WITHIN_SECONDS, now=None):
    """{worker: seconds since last seen} for workers seen within ``within`` seconds; forgets
    workers gone for an hour. Raises redis.RedisError when Redis is away."""
    now = now or time.time()
    client = _client()
    seen = {name.decode(): now - float(at) for name, at in client.hgetall(_key()).items()}
    gone = [name for name, age in seen.items() if age > 3600]
    if gone:
        client.hdel(_key(), *gone)
    return {name: age for name, age in seen.items() if age <= within}
