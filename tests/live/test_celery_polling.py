"""Live polling on real Celery workers: adding workers adds capacity (the log groups spread
across them) and never duplicates work. Two worker processes consume one private queue on the
test Redis; the test plays beat, enqueuing poll tasks while invocations keep arriving."""
import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import pytest
import redis
from channels.layers import get_channel_layer
from django.conf import settings

from dashboard.celery import app
from flows.models import Invocation
from flows.publish import group_name

from .helpers import add_function, invocation_lines, now_ms, put_lines
from .test_reliability import ROOT, database_url

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

GROUPS = 12
ROUNDS = 8
PER_ROUND = 3           # invocations per group per round
POLL_TASK = "flows.tasks.poll_live_logs"
TASK_DONE = re.compile(r"Task flows\.tasks\.poll_live_logs\[[^\]]+\] succeeded")
TASK_LINE = re.compile(r"live poll task (\S+): (\d+) polls, (\d+) invocations")


def start_worker(name, queue, log_path):
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1",
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    # The log goes to a file, not a pipe: a full pipe would stall a worker mid-poll.
    with open(log_path, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dashboard", "worker", "-P", "solo",
             "--concurrency", "1", "-Q", queue, "-n", f"{name}@%h", "--without-heartbeat",
             "--without-gossip", "--without-mingle", "-l", "info"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Subscriber:
    """Listens to the live Channels group in its own thread and event loop, as a browser's
    consumer would, and keeps every invocation item pushed to it."""

    def __init__(self):
        self.items = []
        self.ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete,
                                        args=(self._listen(),), daemon=True)
        self._thread.start()
        assert self.ready.wait(15), "could not subscribe to the channel layer"

    async def _listen(self):
        layer = get_channel_layer()
        self.channel = await layer.new_channel()
        await layer.group_add(group_name("all"), self.channel)
        self.ready.set()
        try:
            while True:
                message = await layer.receive(self.channel)
                if message["type"] == "test.stop":
                    return
                if message["message"]["type"] == "invocations":
                    self.items.extend(message["message"]["items"])
        finally:
            await layer.group_discard(group_name("all"), self.channel)

    def close(self):
        # A message to its own channel ends the receive loop without cancelling a read.
        asyncio.run_coroutine_threadsafe(
            get_channel_layer().send(self.channel, {"type": "test.stop"}), self._loop).result(10)
        self._thread.join(10)
        self._loop.close()


def test_two_celery_workers_share_the_log_groups_and_store_each_invocation_once(aws, tmp_path):
    names = [f"fn-{i:02d}" for i in range(GROUPS)]
    for name in names:
        add_function(name)
    written = []

    def write_round(number):
        for name in names:
            lines = []
            for _ in range(PER_ROUND):
                request_id = str(uuid.uuid4())
                written.append(request_id)
                lines += invocation_lines(request_id, now_ms())
            put_lines(aws, f"/aws/lambda/{name}", f"2026/11/27/[$LATEST]{number % 2}", lines)

    write_round(0)   # the first tasks find work waiting
    queue = f"flowscope-test-poll-{uuid.uuid4().hex[:8]}"
    logs = {name: tmp_path / f"{name}.log" for name in ("w1", "w2")}
    workers = {name: start_worker(f"{name}-{queue}", queue, path) for name, path in logs.items()}
    total = GROUPS * ROUNDS * PER_ROUND
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    subscriber = writer = None
    sent = 0

    def send_poll_task():
        nonlocal sent
        app.send_task(POLL_TASK, kwargs={"max_seconds": 5}, queue=queue)
        sent += 1

    try:
        for name, path in logs.items():
            worker = workers[name]
            wait_until(lambda p=path, w=worker: b" ready." in p.read_bytes() or w.poll() is not None,
                       60, f"worker {name} to start")
            assert workers[name].poll() is None, path.read_text()[-3000:]
        subscriber = Subscriber()

        def keep_writing():
            for number in range(1, ROUNDS):
                time.sleep(0.5)
                write_round(number)

        writer = threading.Thread(target=keep_writing)
        writer.start()
        for _ in range(2):
            send_poll_task()
        time.sleep(1.5)
        for _ in range(2):   # more while the first ones run: they wait for a free worker
            send_poll_task()
        writer.join()
        writer = None

        deadline = time.monotonic() + 60
        # Beat's part: while invocations are missing and no task is waiting, enqueue another.
        while (stored := Invocation.objects.exclude(seq=None).count()) < total:
            assert time.monotonic() < deadline, (
                f"the workers stored {stored} of {total} invocations:\n"
                + "\n".join(path.read_text()[-1500:] for path in logs.values()))
            if broker.llen(queue) == 0 and sent < 12:
                send_poll_task()
            time.sleep(0.5)
        # Let every task end (the late ones find nothing new) before counting their summaries.
        wait_until(lambda: sum(len(TASK_DONE.findall(p.read_text())) for p in logs.values())
                   >= sent, 60, "the poll tasks to finish")
    finally:
        if writer:
            writer.join()
        for process in workers.values():
            stop(process)
        if subscriber:
            subscriber.close()
        broker.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        broker.close()

    outputs = {name: path.read_text() for name, path in logs.items()}
    summaries = {name: TASK_LINE.findall(text) for name, text in outputs.items()}
    complete = Invocation.objects.exclude(seq=None)
    assert len(set(written)) == total
    assert Invocation.objects.count() == total
    assert set(complete.values_list("request_id", flat=True)) == set(written)
    assert complete.values("seq").distinct().count() == total
    assert all(len(lines) == 3 for lines in complete.values_list("log_lines", flat=True))
    for name, found in summaries.items():
        polls = sum(int(count) for _, count, _ in found)
        assert polls > 0, f"worker {name} never polled:\n{outputs[name][-3000:]}"
        assert "Traceback" not in outputs[name], outputs[name][-3000:]
    # Each invocation was completed by exactly one poll, whichever worker made it.
    assert sum(int(n) for found in summaries.values() for _, _, n in found) == total
    mine = set(written)  # other test sessions may publish to the same group
    published = Counter(item["request_id"] for item in subscriber.items
                        if item["request_id"] in mine)
    assert not [rid for rid, times in published.items() if times > 1]
    assert len(published) == total

