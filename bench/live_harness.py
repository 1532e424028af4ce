"""The live benchmarks' harness: a fresh Postgres database, Redis and emulator, the log groups
(and in stream mode the Kinesis stream their subscription filters feed), and what processes
cost (CPU, memory) read from /proc. Used by live_bench.py and quiet_latency_bench.py.

The emulator runs in its own process. moto's FilterLogEvents scans every event of a log group
on every call (cost grows with the group's size, not the window asked for); the harness gives
it a bisect on the start time for streams written in time order, so the figures measure
Flowscope rather than that scan. Nothing in Flowscope's code changes for the benchmark.
"""
import os
import time

REGION = "us-east-1"


def django_setup(database_url, redis_url, extra_env=None):
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["FLOWSCOPE_REDIS_PREFIX"] = "flowscope-live-bench"
    os.environ.update(extra_env or {})
    import django

    django.setup()


# ---------------------------------------------------------------- emulator and services


def _fast_filter_for_sorted_streams():
    """Harness only: bisect FilterLogEvents' start time in streams written in time order."""
    import bisect

    from moto.logs import models

    original_filter = models.LogStream.filter_log_events
    original_put = models.LogStream.put_log_events

    def put_log_events(self, log_events):
        timestamps = [event["timestamp"] for event in log_events]
        last = getattr(self, "_bench_last_ts", None)
        if timestamps and ((last is not None and timestamps[0] < last) or timestamps != sorted(timestamps)):
            self._bench_unsorted = True
        if timestamps:
            self._bench_last_ts = timestamps[-1]
        return original_put(self, log_events)

    def filter_log_events(self, start_time, end_time, filter_pattern):
        if filter_pattern or getattr(self, "_bench_unsorted", False):
            return original_filter(self, start_time, end_time, filter_pattern)
        first = bisect.bisect_left(self.events, start_time or 0, key=lambda e: e.timestamp)
        result = []
        for event in self.events[first:]:
            if end_time and event.timestamp > end_time:
                break
            item = event.to_filter_dict()
            item["logStreamName"] = self.log_stream_name
            result.append(item)
        return result

    models.LogStream.put_log_events = put_log_events
    models.LogStream.filter_log_events = filter_log_events


def emulator_process(port, ready):
    import logging

    from flows.demo.emulator import Emulator

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    _fast_filter_for_sorted_streams()
    emulator = Emulator(port=port).start()
    ready.put(emulator.endpoint)
    while True:
        time.sleep(3600)


def fresh_services(database_url, redis_url, ctx, port=0):
    """A recreated Postgres database (migrated), a clean bench Redis database, and the
    emulator in its own process. Returns (emulator process, endpoint)."""
    import psycopg

    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    db_name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    django_setup(database_url, redis_url)
    import redis
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # The bench's Redis database (default db 5) starts clean: no limiter buckets, and no
    # channels of earlier runs left in the group (full ones slow every group_send down).
    client = redis.Redis.from_url(redis_url)
    for pattern in ("flowscope-live-bench*", "flowscope:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
    ready = ctx.Queue()
    emulator = ctx.Process(target=emulator_process, args=(port, ready), daemon=True)
    emulator.start()
    return emulator, ready.get(timeout=60)


def create_log_groups(endpoint, names, shards=0):
    """Each function's log group (and a stream "s" in it); with ``shards``, a Kinesis stream of
    that many shards that every group's subscription filter feeds (stream mode). Returns the
    stream's ARN, or ""."""
    import boto3

    aws = {"endpoint_url": endpoint, "region_name": REGION, "aws_access_key_id": "testing",
           "aws_secret_access_key": "testing"}
    logs = boto3.client("logs", **aws)
    stream_arn = role = ""
    if shards:
        kinesis = boto3.client("kinesis", **aws)
        kinesis.create_stream(StreamName="flowscope-lambda-logs", ShardCount=shards)
        stream_arn = kinesis.describe_stream_summary(
            StreamName="flowscope-lambda-logs")["StreamDescriptionSummary"]["StreamARN"]
        role = boto3.client("iam", **aws).create_role(
            RoleName="cwl-to-kinesis", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for name in names:
        group = f"/aws/lambda/{name}"
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        if stream_arn:
            logs.put_subscription_filter(logGroupName=group, filterName="flowscope", filterPattern="",
                                         destinationArn=stream_arn, roleArn=role)
    return stream_arn


# ---------------------------------------------------------------- what processes cost


def cpu_seconds(pid):
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_by_program(names):
    """{name: CPU seconds of every process whose command line contains it}."""
    totals = dict.fromkeys(names, 0.0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().decode(errors="replace")
        except OSError:
            continue
        for name in names:
            if name in command:
                totals[name] += cpu_seconds(pid)
                break
    return totals


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return None, None
