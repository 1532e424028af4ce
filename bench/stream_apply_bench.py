"""Stream consumer capacity: CPU per invocation of applying Kinesis pages, without the emulator.

The load benchmark (live_bench.py --mode stream) is capped by the emulator, which writes a
Kinesis record synchronously for every PutLogEvents call. This one measures Flowscope's side
alone: it builds GetRecords pages as CloudWatch Logs delivers them (gzip'd DATA_MESSAGE
records, one per log group per batch of lines: START, END, REPORT per invocation), and feeds
them to ``flows.live.stream.apply_records`` on a real Postgres, as a consumer does after each
GetRecords call. It reports invocations per second and the CPU of this process plus Postgres
per invocation (the machine-independent figure), with the time of a 10 M-step Python loop.

    .venv/bin/python bench/stream_apply_bench.py --functions 1000 --busy 200 --invocations 30000
"""
import argparse
import gzip
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ACCOUNT = "123456789012"
REGION = "us-east-1"
from bench.fanout_bench import machine_speed  # noqa: E402 (after the path is set)

STREAM = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/flowscope-lambda-logs"


def record(group, stream, events, sequence):
    message = {"messageType": "DATA_MESSAGE", "owner": ACCOUNT, "logGroup": group, "logStream": stream,
               "subscriptionFilters": ["flowscope"],
               "logEvents": [{"id": str(sequence * 10000 + i), "timestamp": e["timestamp"],
                              "message": e["message"]} for i, e in enumerate(events)]}
    return {"SequenceNumber": str(sequence), "Data": gzip.compress(json.dumps(message).encode())}


def pages(names, total, per_page, per_record, rng):
    """GetRecords pages: each busy function's next ``per_record`` invocations in one record,
    round robin, ``per_page`` records a page (what 4 reads a second of a busy shard bring)."""
    sequence = 1
    now = int(time.time() * 1000) - 60_000
    written = 0
    page = []
    streams = {name: f"2026/12/01/[$LATEST]{uuid.uuid4().hex}" for name in names}
    while written < total:
        for name in names:
            if written >= total:
                break
            events = []
            for _ in range(min(per_record, total - written)):
                request_id = str(uuid.uuid4())
                duration = rng.uniform(2, 80)
                events += [
                    {"timestamp": now, "message": f"START RequestId: {request_id} Version: $LATEST\n"},
                    {"timestamp": now, "message": f"END RequestId: {request_id}\n"},
                    {"timestamp": now, "message": f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
                                                  f"Billed Duration: {int(duration) + 1} ms\tMemory Size: 256 MB\t"
                                                  f"Max Memory Used: {rng.randint(60, 120)} MB\t\n"}]
                written += 1
            page.append(record(f"/aws/lambda/{name}", streams[name], events, sequence))
            sequence += 1
            if len(page) >= per_page:
                yield page
                page = []
            now += 1
    if page:
        yield page


def postgres_cpu():
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if b"postgres" not in handle.read():
                    continue
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--busy", type=int, default=200)
    parser.add_argument("--invocations", type=int, default=30000)
    parser.add_argument("--per-record", type=int, default=2,
                        help="invocations of one function in one record (one PutLogEvents batch)")
    parser.add_argument("--per-page", type=int, default=500, help="records per GetRecords page")
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the start-up heap to the garbage collector (before heap.py)")
    parser.add_argument("--profile", help="cProfile the applying into this file")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/flowscope_stream_bench")
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["REDIS_URL"] = ""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    name = connection.settings_dict["NAME"]
    connection.close()
    import psycopg

    admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)

    from flows.live.poller import ensure_cursors
    from flows.live.store import ensure_counter
    from flows.live.stream import apply_records
    from flows.models import Account, Invocation, LogStreamShard, Resource

    account = Account.objects.create(account_id=ACCOUNT)
    names = [f"bench-fn-{i:04d}" for i in range(args.functions)]
    Resource.objects.bulk_create([Resource(
        account=account, arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{n}", type="lambda_function",
        name=n, region=REGION, origin=f"lambda:{REGION}",
        attributes={"log_group": f"/aws/lambda/{n}", "memory_size": 256}) for n in names])
    ensure_cursors()
    ensure_counter()
    owner = "bench:1:stream"
    shard = LogStreamShard.objects.create(stream_arn=STREAM, shard_id="shardId-000000000000",
                                          lease_owner=owner)
    rng = random.Random(1)
    all_pages = list(pages(names[:args.busy], args.invocations, args.per_page, args.per_record, rng))
    published = []
    cursors = {}
    if not args.no_freeze:  # as a worker does once started (flows/live/heap.py)
        from flows.live.heap import freeze_startup_heap

        freeze_startup_heap()
    pg_before, cpu_before, began = postgres_cpu(), time.process_time(), time.perf_counter()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    for page in all_pages:
        apply_records(owner, shard, page, published.append, cursors)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    elapsed = time.perf_counter() - began
    own, pg = time.process_time() - cpu_before, postgres_cpu() - pg_before
    stored = Invocation.objects.exclude(seq=None).count()
    speed = machine_speed()
    print(f"{args.invocations:,} invocations of {args.busy} busy functions (of {args.functions}) in "
          f"{len(all_pages)} pages of up to {args.per_page} records ({args.per_record} invocations a record)")
    print(f"stored {stored:,}, pushed {len(published):,}")
    print(f"applied in {elapsed:.2f} s: {args.invocations / elapsed:,.0f} invocations/s on one consumer")
    print(f"CPU: consumer {own:.2f} s + Postgres {pg:.2f} s = "
          f"{(own + pg) * 1000 / args.invocations:.3f} ms per invocation "
          f"(consumer alone {own * 1000 / args.invocations:.3f} ms)")
    print(f"machine: a 10 M-step Python loop takes {speed:.2f} s")
    connection.close()


if __name__ == "__main__":
    main()
