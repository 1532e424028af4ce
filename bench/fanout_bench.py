"""Fan-out benchmark: how many dashboards one web process serves while live traffic flows.

One daphne process (the README's command) serves N WebSocket clients on /ws/live/, each a
separate login session. A publisher process sends live invocations through the one publisher
(flows.publish, Redis channel layer) at R per second, in frames every 0.1 s as the pollers'
PushBatcher does. Each client counts what it receives.

Reports, over the run:
- frames per client per second (the consumer paces each client to at most 10),
- items delivered to each client against those published, the items the server said it
  dropped (a client that falls more than 2,000 invocations behind loses the oldest, and the
  next frame says how many), and ids missing without such a note (must be none),
- latency from publish to receipt (p50 / p95 / p99),
- the daphne process's CPU (share of one core) and resident memory, sampled every second.

    .venv/bin/python bench/fanout_bench.py                          # 200 clients, 1,000/s, 180 s
    .venv/bin/python bench/fanout_bench.py --clients 50 --seconds 30

Needs Postgres (database flowscope_fanout_bench, recreated) and Redis (database 6, flushed);
the client side needs `websockets` (pip install -e '.[bench]').
"""
import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FUNCTIONS = [f"arn:aws:lambda:us-east-1:123456789012:function:fn-{i:02d}" for i in range(20)]
FRAME_EVERY_S = 0.1
WARM_UP_S = 5


def _django(database_url, redis_url):
    os.environ.update({"DJANGO_SETTINGS_MODULE": "dashboard.settings",
                       "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                       "LOG_LEVEL": "WARNING"})
    import django

    django.setup()


def _recreate_database(database_url):
    import psycopg

    server, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _sessions(count):
    """``count`` logged-in sessions of one user: the cookies the clients present."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.create_user("bench", password="fan-out-bench-password")
    keys = []
    for _ in range(count):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


# ---------------------------------------------------------------- publisher process


def _publish(database_url, redis_url, rate, seconds, start_at, result):
    _django(database_url, redis_url)
    from flows.publish import publish

    per_frame = max(1, round(rate * FRAME_EVERY_S))
    while time.time() < start_at:
        time.sleep(0.01)
    sent, frames, next_id = 0, 0, 1
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        items = [{"id": next_id + i, "function": FUNCTIONS[(next_id + i) % len(FUNCTIONS)],
                  "request_id": f"req-{next_id + i}", "timestamp": now, "duration_ms": 12.5,
                  "billed_ms": 13.0, "memory_mb": 128, "max_memory_mb": 60, "init_ms": None,
                  "status": "ok", "error_type": None, "sent": time.time()}
                 for i in range(per_frame)]
        publish("invocations", {"items": items})
        next_id += per_frame
        sent += per_frame
        frames += 1
        # Frames on a fixed schedule: a late one is followed at once by the next.
        time.sleep(max(0.0, began + frames * FRAME_EVERY_S - time.monotonic()))
    result.put({"sent": sent, "frames": frames, "seconds": time.monotonic() - began})


# ---------------------------------------------------------------- clients


class Client:
    def __init__(self):
        self.frames = []          # receive times of live invocation frames
        self.items = 0
        self.dropped = 0
        self.last_id = 0
        self.unexplained_gaps = 0
        self.duplicates = 0
        self.latencies = []

    def take(self, message, now):
        if message.get("type") != "invocations" or message.get("replay"):
            return
        self.frames.append(now)
        dropped = message.get("dropped", 0)
        self.dropped += dropped
        items = message.get("items") or []
        if items:
            first = items[0]["id"]
            if self.last_id and first > self.last_id + 1 + dropped:
                self.unexplained_gaps += first - self.last_id - 1 - dropped
            for item in items:
                if item["id"] <= self.last_id:
                    self.duplicates += 1
                self.last_id = max(self.last_id, item["id"])
            self.items += len(items)
            # One latency sample per frame (its newest item) keeps the client's CPU low.
            self.latencies.append(time.time() - items[-1]["sent"])


async def _client(url, origin, session_key, client, stop, connected):
    import websockets

    async with websockets.connect(url, origin=origin, max_size=None, open_timeout=60,
                                  additional_headers={"Cookie": f"sessionid={session_key}"}
                                  ) as socket:
        connected.append(client)
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(socket.recv(), timeout=1)
            except TimeoutError:
                continue
            client.take(json.loads(text), time.monotonic())


async def _clients(base, keys, run_seconds, start_at, clients):
    url = base.replace("http://", "ws://") + "/ws/live/"
    stop = asyncio.Event()
    connected = []
    tasks = []
    for key in keys:
        client = Client()
        clients.append(client)
        tasks.append(asyncio.create_task(_client(url, base, key, client, stop, connected)))
        await asyncio.sleep(0.01)  # a browser tab opens, not a thundering herd
    while len(connected) < len(keys):
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()
        await asyncio.sleep(0.1)
    await asyncio.sleep(max(0.0, start_at - time.time()) + run_seconds + 3)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def _client_process(base, keys, run_seconds, start_at, results):
    """A share of the clients in a process of its own: one Python process decoding every
    frame of 200 clients would measure the harness, not the server."""
    clients = []
    cpu_before = time.process_time()
    asyncio.run(_clients(base, keys, run_seconds, start_at, clients))
    cpu = (time.process_time() - cpu_before) / (run_seconds + max(0.0, time.time() - start_at
                                                                  - run_seconds))
    results.put({"cpu": cpu, "clients": [{
        "frames": c.frames, "items": c.items, "dropped": c.dropped,
        "unexplained_gaps": c.unexplained_gaps, "duplicates": c.duplicates,
        "latencies": c.latencies} for c in clients]})


# ---------------------------------------------------------------- server sampling


def _sample(pid, stop, samples):
    ticks = os.sysconf("SC_CLK_TCK")
    last = None
    while not stop.is_set():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / ticks
            rss_kb = next(int(line.split()[1]) for line in
                          Path(f"/proc/{pid}/status").read_text().splitlines()
                          if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            return
        now = time.monotonic()
        if last:
            samples.append({"at": now, "cpu": (cpu - last[1]) / (now - last[0]),
                            "rss_mb": rss_kb / 1024})
        last = (now, cpu)
        stop.wait(1.0)


def machine_speed():
    """Seconds for a 10M-step Python loop: the machine figure docs/benchmarks.md records."""
    began = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - began


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=int, default=1000, help="invocations per second")
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/flowscope_fanout_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--server-log", default="/tmp/flowscope-fanout-daphne.log",
                        help="where daphne's errors go")
    parser.add_argument("--client-processes", type=int, default=4,
                        help="processes the clients are spread over")
    args = parser.parse_args()

    speed = machine_speed()
    _recreate_database(args.database_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    _django(args.database_url, args.redis_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    keys = _sessions(args.clients)

    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
           "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([str(Path(sys.executable).with_name("daphne")), "-b", "127.0.0.1",
                               "-p", str(args.port), "-v", "0", "dashboard.asgi:application"],
                              cwd=ROOT, env=env, stderr=open(args.server_log, "wb"))
    samples, stop_sampling = [], threading.Event()
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        start_at = time.time() + WARM_UP_S + args.clients * 0.01 + 5
        result, client_results = mp.Queue(), mp.Queue()
        publisher = mp.Process(target=_publish, args=(args.database_url, args.redis_url,
                                                      args.rate, args.seconds, start_at, result))
        publisher.start()
        shares = [keys[i::args.client_processes] for i in range(args.client_processes)]
        workers = [mp.Process(target=_client_process,
                              args=(base, share, args.seconds, start_at, client_results))
                   for share in shares if share]
        for worker in workers:
            worker.start()
        sampler = threading.Thread(target=_sample, args=(server.pid, stop_sampling, samples))
        time.sleep(max(0.0, start_at - time.time()))
        sampler.start()
        outcomes = [client_results.get(timeout=args.seconds + 600) for _ in workers]
        for worker in workers:
            worker.join(10)
        clients = [SimpleNamespace(**c) for outcome in outcomes for c in outcome["clients"]]
        client_cpu = [outcome["cpu"] for outcome in outcomes]
        stop_sampling.set()
        published = result.get(timeout=60)
        publisher.join(10)
    finally:
        stop_sampling.set()
        server.terminate()
        server.wait(20)

    report(args, speed, published, clients, samples, client_cpu)


def report(args, speed, published, clients, samples, client_cpu):
    seconds = published["seconds"]
    frame_rates = [len(c.frames) / seconds for c in clients]
    # The busiest one-second window of any client: pacing must hold at every moment.
    peak = 0
    for client in clients:
        times = client.frames
        start = 0
        for end in range(len(times)):
            while times[end] - times[start] >= 1.0:
                start += 1
            peak = max(peak, end - start + 1)
    delivered = [c.items / published["sent"] for c in clients]
    dropped = [c.dropped for c in clients]
    latencies = [x for c in clients for x in c.latencies]
    cpu = [s["cpu"] for s in samples]
    rss = [s["rss_mb"] for s in samples]
    figures = {
        "clients": len(clients), "rate": args.rate, "seconds": round(seconds, 1),
        "published": published["sent"], "published_frames": published["frames"],
        "machine_10M_loop_s": round(speed, 2),
        "frames_per_client_per_s": {"mean": round(statistics.mean(frame_rates), 2),
                                    "max": round(max(frame_rates), 2),
                                    "busiest_1s_window": peak},
        "items_delivered_share": {"min": round(min(delivered), 4),
                                  "median": round(statistics.median(delivered), 4),
                                  "max": round(max(delivered), 4)},
        "items_dropped_by_server_per_client": {"min": min(dropped), "max": max(dropped),
                                               "total": sum(dropped)},
        "unexplained_missing_ids": sum(c.unexplained_gaps for c in clients),
        "duplicates": sum(c.duplicates for c in clients),
        "starved_clients": sum(1 for c in clients if c.items == 0),
        "latency_s": {"p50": round(percentile(latencies, 0.5), 3),
                      "p95": round(percentile(latencies, 0.95), 3),
                      "p99": round(percentile(latencies, 0.99), 3)},
        "server_cpu_share_of_one_core": {"mean": round(statistics.mean(cpu), 2) if cpu else None,
                                         "max": round(max(cpu), 2) if cpu else None},
        "client_processes_cpu_share_of_one_core": [round(c, 2) for c in client_cpu],
        "server_rss_mb": {"first": round(rss[0], 1) if rss else None,
                          "last": round(rss[-1], 1) if rss else None,
                          "max": round(max(rss), 1) if rss else None},
    }
    print(json.dumps(figures, indent=2))
    print(f"ratio: busiest second's frames per client / 10 = {peak / 10:.2f} (target ≤ 1); "
          f"unexplained missing ids: {figures['unexplained_missing_ids']} (target 0); "
          f"starved clients: {figures['starved_clients']} (target 0)")


if __name__ == "__main__":
    main()
