"""Building blocks for live tests: function nodes, Lambda-shaped log events, one poll."""
import time
import uuid

from django.test import TestCase

from flows.live.clients import Clients
from flows.live.leases import claim_cursors, release
from flows.live.poller import ensure_cursors, poll_cursor
from flows.models import Account, LogCursor, Resource

ACCOUNT = "123456789012"


def function_arn(name, region="us-east-1"):
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"


def add_function(name, log_group=None, region="us-east-1", **attributes):
    account, _ = Account.objects.get_or_create(account_id=ACCOUNT)
    return Resource.objects.create(
        account=account, arn=function_arn(name, region), type="lambda_function", name=name,
        region=region, origin=f"lambda:{region}",
        attributes={"log_group": log_group or f"/aws/lambda/{name}", "memory_size": 128,
                    "architectures": ["x86_64"], **attributes})


def now_ms():
    return int(time.time() * 1000)


def invocation_lines(request_id=None, at=None, duration=12.5, memory=128, used=60, init=None,
                     error=None, timeout=False):
    """(timestamp, message) lines of one invocation in Lambda's text format."""
    request_id = request_id or str(uuid.uuid4())
    at = at if at is not None else now_ms()
    lines = [(at, f"START RequestId: {request_id} Version: $LATEST\n")]
    if error:
        lines.append((at + 1, f"[ERROR] {error}: it went wrong\nTraceback (most recent call last):\n"))
    if timeout:
        lines.append((at + 2, f"2026-11-26T10:00:00.000Z {request_id} Task timed out after 3.00 seconds\n"))
    lines.append((at + 3, f"END RequestId: {request_id}\n"))
    report = (f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
              f"Billed Duration: {int(duration) + 1} ms\tMemory Size: {memory} MB\t"
              f"Max Memory Used: {used} MB\t")
    if init is not None:
        report += f"Init Duration: {init:.2f} ms\t"
    lines.append((at + 3, report + "\n"))
    return lines


def put_lines(aws, group, stream, lines, region="us-east-1"):
    logs = aws("logs", region)
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    events = sorted(({"timestamp": ts, "message": text} for ts, text in lines),
                    key=lambda e: e["timestamp"])
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def poll_all(clients=None, owner="test-owner", published=None):
    """Make every cursor due, then claim and poll them all once. Returns the outcomes."""
    ensure_cursors()
    LogCursor.objects.update(next_poll_at=None)
    clients = clients or Clients()
    outcomes = []
    # Tests run inside a transaction: run the after-commit pushes as a real commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        for cursor_id in claim_cursors(owner, 100):
            outcomes.append(poll_cursor(cursor_id, owner, clients, publish_item=(
                published.append if published is not None else None)))
            release(cursor_id)
    return outcomes


class OtherWorker:
    """Another worker holding what ``claim()`` takes: run on a thread of its own, so on its own
    database connection (and session advisory locks), until ``die()`` closes that connection
    as a SIGKILL would."""

    def __init__(self, claim):
        import threading

        self._claimed, self._die = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, args=(claim,))
        self._thread.start()
        assert self._claimed.wait(30), "the other worker claimed nothing"

    def _run(self, claim):
        from django.db import connection

        try:
            if claim():
                self._claimed.set()
            self._die.wait(30)
        finally:
            connection.close()

    def die(self):
        self._die.set()
        self._thread.join()
