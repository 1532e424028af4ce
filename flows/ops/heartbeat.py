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


_clients = {}


def client():
    """One Redis client (and connection pool) per URL for the process."""
    if settings.REDIS_URL not in _clients:
        _clients[settings.REDIS_URL] = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    return _clients[settings.REDIS_URL]


def record(worker=None, now=None):
    """Note ``worker`` (this host and process) as alive now. Never raises: a missing
    heartbeat must not fail the task it rides on."""
    if not settings.REDIS_URL:
        return
    try:
        client().hset(_key(), worker or f"{socket.gethostname()}:{os.getpid()}",
                       now or time.time())
    except redis.RedisError:
        pass


def workers_seen(within=SEEN_WITHIN_SECONDS, now=None):
    """{worker: seconds since last seen} for workers seen within ``within`` seconds; forgets
    workers gone for an hour. Raises redis.RedisError when Redis is away."""
    now = now or time.time()
    redis_client = client()
    seen = {name.decode(): now - float(at) for name, at in redis_client.hgetall(_key()).items()}
    gone = [name for name, age in seen.items() if age > 3600]
    if gone:
        redis_client.hdel(_key(), *gone)
    return {name: age for name, age in seen.items() if age <= within}
