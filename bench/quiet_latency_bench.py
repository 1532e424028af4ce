"""Quiet-function latency (issue 11): how long after an idle function runs does its
invocation reach the browser's channel?

N functions' log groups sit idle in the emulator for --idle seconds (2 minutes by default)
while two poller processes run the real pipeline (the shared Redis FilterLogEvents limiter at
25 calls/s, Postgres, the one publisher); in stream mode every group also has a subscription
filter into one Kinesis stream and the processes read it too (as `manage.py poll_logs` does).
Then one invocation is written to each of --samples idle groups at once, and a client
subscribed to the Channels group the /ws/live/ consumer forwards times each arrival from the
moment PutLogEvents returned.

    .venv/bin/python bench/quiet_latency_bench.py --mode polling --groups 20
    .venv/bin/python bench/quiet_latency_bench.py --mode polling --groups 1000
    .venv/bin/python bench/quiet_latency_bench.py --mode stream --groups 1000

Targets: polling, 20 groups: p95 ≤ 5 s; stream mode, 1,000 groups: p95 ≤ 1.5 s.
Needs Postgres and Redis (database flowscope_quiet_bench, recreated; Redis database 5).
"""
import argparse
import asyncio
import multiprocessing as mp
import random
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.live_bench import ACCOUNT, poller_process
from bench.live_harness import REGION, cpu_seconds, create_log_groups, fresh_services


def machine_speed():
    start = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return time.perf_counter() - start


def lines_of(request_id, at):
    return [(at, f"START RequestId: {request_id} Version: $LATEST\n"),
            (at + 2, f"END RequestId: {request_id}\n"),
            (at + 2, (f"REPORT RequestId: {request_id}\tDuration: 12.00 ms\tBilled Duration: 13 ms\t"
                      "Memory Size: 128 MB\tMax Memory Used: 60 MB\t\n"))]


async def listen(received, stop):
    from channels.layers import get_channel_layer

    from flows.publish import group_name

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group_name(), channel)
    import redis

    try:
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=1.0)
            except (TimeoutError, redis.exceptions.TimeoutError, redis.exceptions.ConnectionError):
                continue
            if message.get("message", {}).get("type") == "invocations":
                now = time.time()
                for item in message["message"]["items"]:
                    received.setdefault(item["request_id"], now)
    finally:
        await layer.group_discard(group_name(), channel)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("polling", "stream"), default="polling")
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--idle", type=float, default=120.0, help="seconds every group sits idle first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/flowscope_quiet_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()
    print(f"machine speed: a 10M-step Python loop takes {machine_speed():.2f} s", flush=True)

    ctx = mp.get_context("spawn")
    emulator, endpoint = fresh_services(args.database_url, args.redis_url, ctx)
    import boto3

    from flows.models import Account, Resource

    logs = boto3.client("logs", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")
    names = [f"quiet-fn-{i:04d}" for i in range(args.groups)]
    account = Account.objects.create(account_id=ACCOUNT)
    Resource.objects.bulk_create([Resource(
        account=account, arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        type="lambda_function", name=name, region=REGION, origin=f"lambda:{REGION}",
        attributes={"log_group": f"/aws/lambda/{name}", "memory_size": 128}) for name in names])
    stream_arn = create_log_groups(endpoint, names, 2 if args.mode == "stream" else 0)

    stop = ctx.Event()
    workers = [ctx.Process(target=poller_process, args=(args.database_url, args.redis_url, endpoint,
                                                        stop, None, stream_arn), daemon=True)
               for _ in range(args.workers)]
    for worker in workers:
        worker.start()
    received, listening = {}, threading.Event()
    loop = asyncio.new_event_loop()
    listener = threading.Thread(target=lambda: loop.run_until_complete(listen(received, listening)), daemon=True)
    listener.start()
    print(f"{args.mode}, {args.groups} groups: idle for {args.idle:.0f} s ...", flush=True)
    cpu_before = sum(cpu_seconds(w.pid) for w in workers)
    time.sleep(args.idle)
    cpu_idle = sum(cpu_seconds(w.pid) for w in workers) - cpu_before

    chosen = random.Random(7).sample(names, min(args.samples, len(names)))
    written = {}
    for name in chosen:
        request_id = str(uuid.uuid4())
        at = int(time.time() * 1000)
        logs.put_log_events(logGroupName=f"/aws/lambda/{name}", logStreamName="s", logEvents=[
            {"timestamp": ts, "message": text} for ts, text in lines_of(request_id, at)])
        written[request_id] = time.time()
    deadline = time.time() + 180
    while time.time() < deadline and not all(r in received for r in written):
        time.sleep(0.2)
    listening.set()
    stop.set()
    for worker in workers:
        worker.join(timeout=15)
        if worker.is_alive():
            worker.kill()
    emulator.kill()

    latencies = sorted(received[r] - at for r, at in written.items() if r in received)
    lost = len(written) - len(latencies)

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    print(f"{args.mode}, {args.groups} groups idle {args.idle:.0f} s, {len(written)} idle functions invoked: "
          f"latency p50 {pct(50):.2f} s, p95 {pct(95):.2f} s, max {latencies[-1] if latencies else float('nan'):.2f} s; "
          f"lost {lost}; workers' CPU while idle {cpu_idle / args.idle * 1000:.0f} ms/s")


if __name__ == "__main__":
    main()
