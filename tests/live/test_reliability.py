import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from flows.live.limits import Limiter, LocalLimiter, RedisLimiter
from flows.models import Invocation, InvocationMinute

from .helpers import add_function, invocation_lines, now_ms, put_lines

ROOT = Path(__file__).resolve().parents[2]


def database_url():
    db = connection.settings_dict
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}")


def start_poller():
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "manage.py", "poll_logs"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_poller_killed_mid_stream_loses_and_duplicates_nothing(aws):
    """SIGKILL the poller again and again while invocations keep arriving, then count."""
    add_function("worker")
    total = 600
    written = threading.Event()

    def write():
        for batch in range(60):
            lines = []
            for _ in range(total // 60):
                lines += invocation_lines(str(uuid.uuid4()), now_ms())
            put_lines(aws, "/aws/lambda/worker", f"2026/11/26/[$LATEST]{batch % 3}", lines)
            time.sleep(0.3)
        written.set()

    writer = threading.Thread(target=write)
    writer.start()
    kills_mid_stream = 0
    rng = random.Random(4)
    try:
        for _ in range(5):
            before = Invocation.objects.count()
            poller = start_poller()
            # A process starts slowly on a loaded machine: kill it once it has stored some.
            started = time.monotonic()
            while (time.monotonic() - started < 30 and Invocation.objects.count() == before
                   and not written.is_set()):
                time.sleep(0.05)
            time.sleep(rng.uniform(0.2, 1.5))
            poller.send_signal(signal.SIGKILL)
            poller.wait()
            stored = Invocation.objects.count()
            kills_mid_stream += 0 < stored < total
        writer.join()
        poller = start_poller()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and Invocation.objects.exclude(seq=None).count() < total:
            time.sleep(0.5)
        poller.send_signal(signal.SIGTERM)
        _, errors = poller.communicate(timeout=30)
    finally:
        writer.join()

    assert written.is_set()
    assert kills_mid_stream >= 2, "the poller was never killed while data was flowing"
    complete = Invocation.objects.exclude(seq=None)
    assert complete.count() == total, errors.decode()[-2000:]
    assert Invocation.objects.count() == total
    assert complete.values("request_id").distinct().count() == total
    seqs = sorted(complete.values_list("seq", flat=True))
    # One number per completion, none handed out twice or lost with a killed transaction.
    assert seqs == list(range(seqs[0], seqs[0] + total))
    assert sum(InvocationMinute.objects.values_list("count", flat=True)) == total
    assert all(len(lines) == 3 for lines in complete.values_list("log_lines", flat=True))


def test_the_local_limiter_spaces_calls_at_the_rate():
    limiter = Limiter(LocalLimiter(), sleep=time.sleep)
    started = time.monotonic()
    for _ in range(30):
        limiter.acquire("logs:123:eu-west-1", 100)  # burst of 100 first, so no wait yet
    assert time.monotonic() - started < 0.2
    for _ in range(20):
        limiter.acquire("logs:123:eu-west-1", 100)
    for _ in range(70):
        limiter.acquire("logs:123:eu-west-1", 100)
    # 120 calls at 100/s with a burst of 100: about 0.2 s of waiting.
    assert 0.15 <= time.monotonic() - started < 1.0


@pytest.mark.services
def test_workers_share_one_redis_budget_per_account_and_region():
    prefix = f"{settings.FLOWSCOPE['REDIS_PREFIX']}-{uuid.uuid4().hex[:6]}"
    stamps = []
    lock = threading.Lock()

    def worker():
        # Each worker has its own connection, as separate processes would.
        limiter = Limiter(RedisLimiter(redis.Redis.from_url(settings.REDIS_URL), prefix))
        for _ in range(15):
            limiter.acquire("logs.FilterLogEvents:123456789012:eu-west-1", 10)
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    elapsed = time.monotonic() - started
    # 45 calls at 10 TPS with a burst of 10: the last 35 need 3.5 s, whoever makes them.
    assert 3.2 <= elapsed < 6
    stamps.sort()
    for i in range(len(stamps) - 20):
        # Any 21 consecutive calls span at least ~1 s (10 burst + 10 per second).
        assert stamps[i + 20] - stamps[i] >= 0.9
    other = Limiter(RedisLimiter(redis.Redis.from_url(settings.REDIS_URL), prefix))
    assert other.acquire("logs.FilterLogEvents:123456789012:us-east-1", 25) == 0  # own bucket
