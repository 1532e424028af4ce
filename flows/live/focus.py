"""Which Lambda functions users are looking at right now, and which of them a Live Tail
session is following: shared by every web process and the tail manager.

Each WebSocket connection states its focus (a few function ARNs); an entry lasts FOCUS_TTL
seconds unless the page states it again, and goes at once when the connection closes. With
Redis (several web processes, workers elsewhere) the entries are members of one sorted set
scored by their expiry; without it (laptop demo: web and poller in one process) they live in
this process.
"""
import math
import re
import threading
import time

from django.conf import settings

FOCUS_TTL = 120
TAILING_TTL = 10            # the tail manager restates what it follows every second or two
MAX_FOCUS_FUNCTIONS = 10    # per connection: an inspector shows one function
FUNCTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$")


def clean_functions(value):
    """The function ARNs of a focus message, junk left out; None when it is not a list."""
    if not isinstance(value, list):
        return None
    arns = []
    for item in value:
        if isinstance(item, str) and len(item) <= 256 and FUNCTION_ARN.match(item) and item not in arns:
            arns.append(item)
        if len(arns) >= MAX_FOCUS_FUNCTIONS:
            break
    return arns


class LocalRegistry:
    def __init__(self):
        self._lock = threading.Lock()
        self._focus = {}        # connection -> (arns, expires)
        self._tailing = {}      # arn -> expires

    def set_focus(self, connection, arns, ttl=FOCUS_TTL):
        with self._lock:
            if arns:
                self._focus[connection] = (list(arns), time.time() + ttl)
            else:
                self._focus.pop(connection, None)

    def focused(self):
        now = time.time()
        with self._lock:
            for connection in [c for c, (_, expires) in self._focus.items() if expires <= now]:
                del self._focus[connection]
            return {arn for arns, _ in self._focus.values() for arn in arns}

    def set_tailing(self, arns, ttl=TAILING_TTL):
        expires = time.time() + ttl
        with self._lock:
            self._tailing = {arn: expires for arn in arns}

    def is_tailing(self, arn):
        with self._lock:
            return self._tailing.get(arn, 0) > time.time()

    def clear(self):
        with self._lock:
            self._focus.clear()
            self._tailing.clear()


class RedisRegistry:
    """Members "connection arn" of ``PREFIX:focus`` and "arn" of ``PREFIX:tailing``, each
    scored by the time it expires (seconds)."""

    def __init__(self, client, prefix):
        self.client = client
        self.focus_key = f"{prefix}:focus"
        self.tailing_key = f"{prefix}:tailing"

    def set_focus(self, connection, arns, ttl=FOCUS_TTL):
        mine = [m for m in self.client.zrange(self.focus_key, 0, -1)
                if m.decode().split(" ", 1)[0] == connection]
        pipe = self.client.pipeline()
        if mine:
            pipe.zrem(self.focus_key, *mine)
        if arns:
            expires = time.time() + ttl
            pipe.zadd(self.focus_key, {f"{connection} {arn}": expires for arn in arns})
            pipe.expire(self.focus_key, math.ceil(ttl * 2))
        pipe.execute()

    def focused(self):
        now = time.time()
        self.client.zremrangebyscore(self.focus_key, "-inf", now)
        return {m.decode().split(" ", 1)[1] for m in self.client.zrangebyscore(self.focus_key, now, "+inf")}

    def set_tailing(self, arns, ttl=TAILING_TTL):
        pipe = self.client.pipeline()
        pipe.delete(self.tailing_key)
        if arns:
            expires = time.time() + ttl
            pipe.zadd(self.tailing_key, {arn: expires for arn in arns})
            pipe.expire(self.tailing_key, math.ceil(ttl * 2))
        pipe.execute()

    def is_tailing(self, arn):
        score = self.client.zscore(self.tailing_key, arn)
        return score is not None and score > time.time()

    def clear(self):
        self.client.delete(self.focus_key, self.tailing_key)


_local = LocalRegistry()
_redis = {}


def registry():
    """Redis when REDIS_URL is set, else this process's registry."""
    if not settings.REDIS_URL:
        return _local
    prefix = settings.FLOWSCOPE["REDIS_PREFIX"]
    key = (settings.REDIS_URL, prefix)
    if key not in _redis:
        import redis

        _redis[key] = RedisRegistry(redis.Redis.from_url(settings.REDIS_URL), prefix)
    return _redis[key]


def set_focus(connection, arns):
    registry().set_focus(connection, arns)


def clear_focus(connection):
    registry().set_focus(connection, [])


def focused_functions():
    return registry().focused()


def set_tailing(arns):
    registry().set_tailing(arns)


def is_tailing(arn):
    return registry().is_tailing(arn)
