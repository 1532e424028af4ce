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
import json
import multiprocessing as mp
import random
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.live_bench import ACCOUNT, REGION, _django, cpu_seconds, emulator_process

STREAM = "flowscope-lambda-logs"


def machine_speed():
    start = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return time.perf_counter() - start


def worker_process(database_url, redis_url, endpoint, stream_arn, stop):
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
    if stream_arn:
        env["FLOWSCOPE_LOG_STREAMS"] = stream_arn
    _django(database_url, redis_url, env)
    from flows.live.poller import poll_loop

    if stream_arn:
        from flows.live.stream import stream_loop

        threading.Thread(target=stream_loop, kwargs={"stop": stop.is_set}, daemon=True).start()
    poll_loop(stop=stop.is_set)


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

    import psycopg

    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    db_name = args.database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    _django(args.database_url, args.redis_url)
    import boto3
    import redis
    from django.core.management import call_command

    from flows.models import Account, Resource

    call_command("migrate", verbosity=0)
    client = redis.Redis.from_url(args.redis_url)
    for pattern in ("flowscope-live-bench*", "flowscope:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)

    ctx = mp.get_context("spawn")
    ready = ctx.Queue()
    emulator = ctx.Process(target=emulator_process, args=(0, ready), daemon=True)
    emulator.start()
    endpoint = ready.get(timeout=60)
    aws = {"endpoint_url": endpoint, "region_name": REGION, "aws_access_key_id": "testing",
           "aws_secret_access_key": "testing"}
    logs = boto3.client("logs", **aws)

    names = [f"quiet-fn-{i:04d}" for i in range(args.groups)]
    account = Account.objects.create(account_id=ACCOUNT)
    Resource.objects.bulk_create([Resource(
        account=account, arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        type="lambda_function", name=name, region=REGION, origin=f"lambda:{REGION}",
        attributes={"log_group": f"/aws/lambda/{name}", "memory_size": 128}) for name in names])
    stream_arn = ""
    if args.mode == "stream":
        kinesis = boto3.client("kinesis", **aws)
        kinesis.create_stream(StreamName=STREAM, ShardCount=2)
        stream_arn = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
        role = boto3.client("iam", **aws).create_role(
            RoleName="cwl-to-kinesis", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}))["Role"]["Arn"]
    for name in names:
        group = f"/aws/lambda/{name}"
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        if stream_arn:
            logs.put_subscription_filter(logGroupName=group, filterName="flowscope", filterPattern="",
                                         destinationArn=stream_arn, roleArn=role)

    stop = ctx.Event()
    workers = [ctx.Process(target=worker_process, args=(args.database_url, args.redis_url, endpoint,
                                                        stream_arn, stop), daemon=True)
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
