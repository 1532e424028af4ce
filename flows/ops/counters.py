"""Counters that many processes add to and /metrics reads: in Redis when there is one (every
worker adds to the same hash), else in this process (one-process mode polls in the web
process). Never raises: a lost increment must not stop a poll."""
import collections
import threading

import redis
from django.conf import settings

from .heartbeat import client

_local = collections.Counter()
_lock = threading.Lock()


def _key():
    return f"{settings.FLOWSCOPE['REDIS_PREFIX']}:counters"


def add(name, amount=1):
    if not amount:
        return
    if settings.REDIS_URL:
        try:
            client().hincrby(_key(), name, amount)
        except redis.RedisError:
            pass
        return
    with _lock:
        _local[name] += amount


def read():
    """{name: total}. Raises redis.RedisError when Redis is away."""
    if settings.REDIS_URL:
        return {name.decode(): int(value) for name, value in client().hgetall(_key()).items()}
    with _lock:
        return dict(_local)
