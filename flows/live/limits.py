"""One FilterLogEvents budget per account and region, shared by every worker.

AWS counts FilterLogEvents per account and region (25 TPS in us-east-1, 10 in most regions),
whatever process makes the call; botocore's adaptive retry mode limits one client object only.
So the bucket lives in Redis when there is one (a token bucket updated by a Lua script, using
Redis's own clock so workers' clocks do not matter), and in this process otherwise (laptop mode:
one poller process).

A caller *reserves* a token: the bucket may go negative and the caller sleeps until its token
is due, so waiting callers are served in order without polling Redis in a loop.
"""
import threading
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# KEYS[1] bucket; ARGV rate (tokens/s), burst. Returns milliseconds to wait (0: go now).
TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + (now - ts) * rate / 1000.0) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
if tokens >= 0 then
  return 0
end
return math.ceil(-tokens * 1000.0 / rate)
"""


def parse_tps(spec):
    """"us-east-1=25,*=10" -> {"us-east-1": 25.0, "*": 10.0}; a bare number applies everywhere."""
    rates = {}
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        region, _, value = part.rpartition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = 0
        if rate <= 0:
            raise ImproperlyConfigured(
                f"FLOWSCOPE_FILTER_LOG_EVENTS_TPS: {part!r} is not region=positive-number")
        rates[region.strip() or "*"] = rate
    rates.setdefault("*", 10.0)
    return rates


def filter_log_events_tps(region, spec=None):
    rates = parse_tps(settings.FLOWSCOPE["FILTER_LOG_EVENTS_TPS"] if spec is None else spec)
    return rates.get(region, rates["*"])


class LocalLimiter:
    """Token buckets in this process (no Redis): correct for one poller process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._buckets = {}

    def reserve(self, key, rate, burst=None):
        burst = burst or rate
        with self._lock:
            now = time.monotonic()
            tokens, ts = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - ts) * rate) - 1
            self._buckets[key] = (tokens, now)
        return 0.0 if tokens >= 0 else -tokens / rate


class RedisLimiter:
    """Token buckets in Redis, shared by every worker on every machine."""

    def __init__(self, client, prefix):
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(TOKEN_BUCKET_LUA)

    def reserve(self, key, rate, burst=None):
        wait_ms = self._script(keys=[f"{self.prefix}:ratelimit:{key}"], args=[rate, burst or rate])
        return int(wait_ms) / 1000.0


class Limiter:
    """Blocks until the caller may make one call for ``key`` at ``rate`` per second."""

    def __init__(self, backend, sleep=time.sleep):
        self.backend = backend
        self.sleep = sleep
        self.waited = 0.0
        self.calls = 0

    def acquire(self, key, rate):
        wait = self.backend.reserve(key, rate)
        self.calls += 1
        if wait > 0:
            self.waited += wait
            self.sleep(wait)
        return wait


_local = LocalLimiter()


def make_limiter():
    """The shared limiter: Redis when REDIS_URL is set, else this process's buckets."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        return Limiter(RedisLimiter(client, settings.FLOWSCOPE.get("REDIS_PREFIX", "flowscope")))
    return Limiter(_local)


def limit_filter_log_events(client, limiter, account_id, region, rate=None):
    """Make every FilterLogEvents HTTP request of ``client`` (retries included: AWS counts
    them too) wait for the shared budget of its account and region."""
    rate = rate or filter_log_events_tps(region)
    key = f"logs.FilterLogEvents:{account_id}:{region}"

    def wait_for_token(**kwargs):
        limiter.acquire(key, rate)

    client.meta.events.register("before-send.logs.FilterLogEvents", wait_for_token)
    return client
