"""Stream mode against the emulator: a subscription filter puts each log group's events into a
Kinesis stream (gzip'd DATA_MESSAGE records, as AWS does); the consumer reads them through the
poller's parser, store and publisher, with checkpoints, resharding and pollers stepping back."""
import gzip
import json
import uuid
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from flows.live.clients import Clients
from flows.live.delivery import delivery_mode, resume_polling_where_streams_stopped, stream_feeds
from flows.live.leases import claim_cursors, end_lease, lease_cursor, release
from flows.live.poller import ensure_cursors, poll_cursor
from flows.live.records import by_log_group, decode_record
from flows.live.shards import claim_shard, refresh_shards, release_shard
from flows.live.stream import StreamClients, apply_records, consume_cycle
from flows.models import Invocation, LogCursor, LogStreamShard

from .helpers import ACCOUNT, OtherWorker, add_function, invocation_lines, now_ms, put_lines

pytestmark = pytest.mark.django_db

STREAM_NAME = "flowscope-lambda-logs"
LOG_STREAM = "2026/12/01/[$LATEST]00112233445566778899aabbccddeeff"


def gz(message):
    return gzip.compress(json.dumps(message).encode())


def data_message(group, events, owner=ACCOUNT):
    return {"messageType": "DATA_MESSAGE", "owner": owner, "logGroup": group, "logStream": LOG_STREAM,
            "subscriptionFilters": ["flowscope"],
            "logEvents": [{"id": str(i), "timestamp": ts, "message": text} for i, (ts, text) in enumerate(events)]}


# ---------------------------------------------------------------- pure parts


def test_it_decodes_data_messages_and_skips_control_messages():
    lines = invocation_lines("r-1", 1_000)
    message = decode_record(gz(data_message("/aws/lambda/a", lines)))
    assert message["logGroup"] == "/aws/lambda/a" and len(message["logEvents"]) == len(lines)
    assert decode_record(gz({"messageType": "CONTROL_MESSAGE", "logEvents": []})) is None
    for bad in (b"not gzip", gzip.compress(b"[1, 2]"), gz({"messageType": "DATA_MESSAGE"})):
        with pytest.raises(ValueError):
            decode_record(bad)


def test_it_gathers_a_pages_events_by_log_group_in_record_order():
    a1, a2, b1 = (data_message(g, [(n, f"line {g} {n}")]) for g, n in (("/a", 1), ("/a", 2), ("/b", 3)))
    groups, control = by_log_group([a1, b1, None, a2])
    assert control == 1
    assert list(groups) == [(ACCOUNT, "/a"), (ACCOUNT, "/b")]
    assert [e["message"] for e in groups[(ACCOUNT, "/a")]] == ["line /a 1", "line /a 2"]
    assert groups[(ACCOUNT, "/b")][0] == {"logStreamName": LOG_STREAM, "timestamp": 3, "message": "line /b 3",
                                          "eventId": "0"}


# ---------------------------------------------------------------- against the emulator


@pytest.fixture
def stream(aws, settings):
    kinesis = aws("kinesis")
    kinesis.create_stream(StreamName=STREAM_NAME, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=STREAM_NAME)["StreamDescriptionSummary"]["StreamARN"]
    role = aws("iam").create_role(RoleName="cwl-to-kinesis", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "logs.amazonaws.com"}}]}))["Role"]["Arn"]
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOG_STREAMS": [arn]}

    def subscribe(group):
        logs = aws("logs")
        try:
            logs.create_log_group(logGroupName=group)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        logs.put_subscription_filter(logGroupName=group, filterName="flowscope", filterPattern="",
                                     destinationArn=arn, roleArn=role)

    stream = type("Stream", (), {})()
    stream.arn, stream.kinesis, stream.subscribe = arn, kinesis, subscribe
    return stream


def consume(owner="consumer-1", published=None, cycles=3, clients=None):
    clients = clients or StreamClients()
    reports = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        for _ in range(cycles):
            report = consume_cycle(owner, clients, publish_item=(published.append if published is not None else None),
                                   max_seconds=1.0)
            if report is None:
                break
            reports.append(report)
    return reports


def test_it_turns_stream_records_into_invocations_and_pushes_them(aws, stream):
    worker = add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    ok, failed = str(uuid.uuid4()), str(uuid.uuid4())
    at = now_ms() - 2000
    put_lines(aws, "/aws/lambda/worker", LOG_STREAM,
              invocation_lines(ok, at, duration=31.5, init=120.0) + invocation_lines(failed, at + 50, error="KeyError"))
    published = []
    reports = consume(published=published)
    rows = {r.request_id: r for r in Invocation.objects.filter(function_arn=worker.arn)}
    assert set(rows) == {ok, failed}
    assert rows[ok].duration_ms == 31.5 and rows[ok].init_ms == 120.0 and rows[ok].status == "ok"
    assert rows[failed].status == "error" and rows[failed].error_type == "KeyError"
    assert {item["request_id"] for item in published} == {ok, failed}
    assert sum(r.invocations for r in reports) == 2
    shard = LogStreamShard.objects.get()
    assert shard.sequence_number and shard.stats["records"] >= 1 and shard.last_read_at


def test_a_log_group_outside_the_graph_is_skipped_and_the_checkpoint_moves_on(aws, stream):
    add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/someone-else")
    lines = invocation_lines(at=now_ms())
    put_lines(aws, "/aws/lambda/someone-else", LOG_STREAM, lines)
    consume()
    shard = LogStreamShard.objects.get()
    assert shard.stats.get("skipped") == len(lines) and shard.sequence_number
    assert Invocation.objects.count() == 0


def test_an_invocation_read_by_a_poll_and_by_the_stream_counts_once(aws, stream):
    worker = add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines("r-both", now_ms() - 1000))
    LogCursor.objects.update(next_poll_at=None)
    with TestCase.captureOnCommitCallbacks(execute=True):
        for cursor_id in claim_cursors("poller", 10):
            poll_cursor(cursor_id, "poller", Clients())
            release(cursor_id)
    assert Invocation.objects.filter(function_arn=worker.arn).count() == 1
    published = []
    consume(published=published)
    assert Invocation.objects.filter(function_arn=worker.arn).count() == 1
    assert published == []  # already pushed by the poll


def test_a_consumer_that_dies_mid_shard_resumes_after_its_last_checkpoint(aws, stream):
    worker = add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    first = [str(uuid.uuid4()) for _ in range(3)]
    for i, request_id in enumerate(first):
        put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines(request_id, now_ms() - 3000 + i))
    consume(owner="doomed", cycles=1)
    checkpoint = LogStreamShard.objects.get().sequence_number
    # The consumer "dies" holding its lease: the lease runs out, another takes the shard over.
    LogStreamShard.objects.update(lease_owner="doomed", leased_until=timezone.now() - timedelta(seconds=1))
    later = [str(uuid.uuid4()) for _ in range(2)]
    for i, request_id in enumerate(later):
        put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines(request_id, now_ms() - 1000 + i))
    consume(owner="successor")
    ids = list(Invocation.objects.filter(function_arn=worker.arn).values_list("request_id", flat=True))
    assert sorted(ids) == sorted(first + later)  # nothing lost, nothing twice
    assert int(LogStreamShard.objects.get().sequence_number) > int(checkpoint)


def test_it_writes_nothing_once_its_shard_lease_is_lost(aws, stream):
    add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines(at=now_ms()))
    clients = StreamClients()
    refresh_shards(clients.get(stream.arn), stream.arn)
    shard = claim_shard("slow", [stream.arn])
    records = clients.get(stream.arn).get_records(ShardIterator=clients.get(stream.arn).get_shard_iterator(
        StreamName=STREAM_NAME, ShardId=shard.shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"])["Records"]
    LogStreamShard.objects.filter(pk=shard.pk).update(lease_owner="someone-else")
    from flows.live.stream import ShardLost

    with pytest.raises(ShardLost):
        apply_records("slow", shard, records)
    assert Invocation.objects.count() == 0
    release_shard("slow", shard.pk)


def test_it_reads_a_parent_shard_to_its_end_before_its_children_after_a_reshard(aws, stream):
    worker = add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    before = [str(uuid.uuid4()) for _ in range(3)]
    for i, request_id in enumerate(before):
        put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines(request_id, now_ms() - 5000 + i))
    parent = stream.kinesis.list_shards(StreamName=STREAM_NAME)["Shards"][0]["ShardId"]
    stream.kinesis.split_shard(StreamName=STREAM_NAME, ShardToSplit=parent, NewStartingHashKey=str(2 ** 127))
    after = [str(uuid.uuid4()) for _ in range(6)]
    for i, request_id in enumerate(after):
        put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines(request_id, now_ms() - 2000 + i))
    refresh_shards(StreamClients().get(stream.arn), stream.arn)
    children = LogStreamShard.objects.exclude(shard_id=parent)
    assert children.count() == 2 and all(c.parent_shard_id == parent for c in children)
    # While the parent is unread, no child may be claimed; the parent comes first.
    first = claim_shard("c", [stream.arn])
    assert first.shard_id == parent
    release_shard("c", first.pk)
    consume(cycles=6)
    assert LogStreamShard.objects.get(shard_id=parent).finished
    ids = list(Invocation.objects.filter(function_arn=worker.arn).values_list("request_id", flat=True))
    assert sorted(ids) == sorted(before + after)
    # As in AWS: what was put before the split is read from the parent, what came after from
    # a child (one record per PutLogEvents call).
    # (Each read once: a consumer reading several shards in turns takes each only once.)
    assert LogStreamShard.objects.get(shard_id=parent).stats["records"] == len(before)
    assert sum(c.stats.get("records", 0) for c in LogStreamShard.objects.exclude(shard_id=parent)) == len(after)


def test_pollers_step_back_while_a_stream_feeds_the_region_and_come_back_when_it_stops(aws, stream, settings):
    add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines(at=now_ms()))
    assert delivery_mode(ACCOUNT, "us-east-1") == "polling"
    consume()
    assert stream_feeds(ACCOUNT, "us-east-1", max_age=0)
    assert delivery_mode(ACCOUNT, "us-east-1") == "stream"
    LogCursor.objects.update(next_poll_at=None)
    for cursor_id in claim_cursors("poller", 10):
        # The stream carries this group's events: the poll does not read them again.
        assert poll_cursor(cursor_id, "poller", Clients()).pages == 0
        release(cursor_id)
    gap = (LogCursor.objects.get().next_poll_at - timezone.now()).total_seconds()
    assert gap > settings.FLOWSCOPE["LOG_STREAM_SAFETY_POLL_SECONDS"] / 2 - 30
    # Its safety poll, once due, does read.
    LogCursor.objects.update(next_poll_at=None, last_polled_at=timezone.now() - timedelta(minutes=10))
    for cursor_id in claim_cursors("poller", 10):
        assert poll_cursor(cursor_id, "poller", Clients()).pages >= 1  # (a catch-up reads twice)
        release(cursor_id)
    # The stream stops being read: polling resumes at once.
    LogStreamShard.objects.update(last_read_at=timezone.now() - timedelta(minutes=5))
    assert not stream_feeds(ACCOUNT, "us-east-1", max_age=0)
    assert resume_polling_where_streams_stopped() == 1
    assert LogCursor.objects.get().next_poll_at <= timezone.now()


def test_the_check_command_says_which_log_groups_records_arrive_for(aws, stream):
    from io import StringIO

    from django.core.management import call_command

    add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    stream.subscribe("/aws/lambda/not-ours")
    put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines(at=now_ms()))
    put_lines(aws, "/aws/lambda/not-ours", LOG_STREAM, invocation_lines(at=now_ms()))
    out = StringIO()
    call_command("check_log_streams", stdout=out)
    text = out.getvalue()
    assert "status ACTIVE, 1 open shards" in text
    assert "events for 2 log groups, 1 of them the graph's functions'" in text
    assert "/aws/lambda/worker: 3 events" in text


def test_the_check_command_fails_clearly_on_a_stream_it_cannot_read(aws, settings):
    from django.core.management import CommandError, call_command

    settings.FLOWSCOPE = {**settings.FLOWSCOPE,
                          "LOG_STREAMS": [f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/missing"]}
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("check_log_streams")


def test_the_celery_task_reads_the_streams(aws, stream):
    from flows.live.tasks import consume_log_streams

    worker = add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines("r-task", now_ms()))
    # Called as a worker calls it (not eagerly through Celery's machinery).
    assert consume_log_streams.run(max_seconds=2) >= 1
    assert Invocation.objects.filter(function_arn=worker.arn, request_id="r-task").exists()


def test_a_page_cut_short_is_read_again_and_nothing_counts_twice(aws, stream, monkeypatch):
    import flows.live.stream as stream_module

    first, second = add_function("first"), add_function("second")
    ensure_cursors()
    for name in ("first", "second"):
        stream.subscribe(f"/aws/lambda/{name}")
    put_lines(aws, "/aws/lambda/first", LOG_STREAM, invocation_lines("r-first", now_ms()))
    put_lines(aws, "/aws/lambda/second", LOG_STREAM, invocation_lines("r-second", now_ms()))
    # Another worker holds the second group while this page is applied: the first group goes
    # in, the page stops there, its checkpoint stays where it was.
    held = LogCursor.objects.get(log_group="/aws/lambda/second")
    assert lease_cursor("someone", held.pk)
    monkeypatch.setattr(stream_module, "BUSY_ATTEMPTS", 1)  # no waiting it out in the test
    reports = consume(cycles=1)
    assert reports[0].error.startswith("ShardLost")
    assert not LogStreamShard.objects.get().sequence_number
    assert list(Invocation.objects.values_list("request_id", flat=True)) == ["r-first"]
    # The group comes free; the page is read again from the old checkpoint.
    end_lease("someone", held.pk)
    monkeypatch.undo()
    published = []
    consume(published=published)
    assert sorted(Invocation.objects.values_list("request_id", flat=True)) == ["r-first", "r-second"]
    assert [item["request_id"] for item in published] == ["r-second"]
    assert first.arn != second.arn


def test_a_page_is_applied_with_the_same_few_queries_whatever_the_number_of_log_groups(settings):
    """One transaction per GetRecords page across its log groups: the cursors locked together,
    one read and one write of seen fingerprints, one insert, aggregate and numbering."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from flows.live.store import ensure_counter

    names = [f"fn-{i:02d}" for i in range(40)]
    functions = {name: add_function(name) for name in names}
    ensure_cursors()
    ensure_counter()
    arn = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{STREAM_NAME}"
    shard = LogStreamShard.objects.create(stream_arn=arn, shard_id="shardId-000000000000", lease_owner="me")
    sequence = iter(range(1, 10_000))

    def page(groups):
        at = now_ms() - 5000
        return [{"SequenceNumber": str(next(sequence)),
                 "Data": gz(data_message(f"/aws/lambda/{name}", invocation_lines(str(uuid.uuid4()), at)))}
                for name in groups]

    def queries(groups):
        cursors = {}
        apply_records("me", shard, page(groups), cursors=cursors)  # cursor ids cached, as a consumer does
        with CaptureQueriesContext(connection) as captured:
            events, invocations = apply_records("me", shard, page(groups), cursors=cursors)
        assert invocations == len(groups)
        return len(captured)

    few, many = queries(names[:2]), queries(names)
    assert many == few, (few, many)
    assert Invocation.objects.count() == 2 * (2 + len(names))
    assert all(Invocation.objects.filter(function_arn=f.arn).exists() for f in functions.values())
    assert LogStreamShard.objects.get().stats["records"] == 2 * (2 + len(names))


def test_a_log_group_leased_by_a_worker_that_died_is_applied_without_waiting_its_lease_out(aws, stream):
    worker = add_function("worker")
    ensure_cursors()
    stream.subscribe("/aws/lambda/worker")
    put_lines(aws, "/aws/lambda/worker", LOG_STREAM, invocation_lines("r-1", now_ms()))
    # A poller SIGKILLed mid-poll: its lease is on the row for another minute, but its
    # advisory lock went with its connection.
    LogCursor.objects.update(lease_owner="dead-worker", leased_until=timezone.now() + timedelta(minutes=1))
    reports = consume(cycles=1)
    assert not reports[0].error
    assert list(Invocation.objects.filter(function_arn=worker.arn).values_list("request_id", flat=True)) == ["r-1"]
    assert LogCursor.objects.get().lease_owner == ""


@pytest.mark.django_db(transaction=True)
def test_a_shard_whose_consumer_died_is_taken_over_at_once_and_a_live_ones_is_not(aws, stream):
    StreamClients().get(stream.arn)
    refresh_shards(StreamClients().get(stream.arn), stream.arn)
    other = OtherWorker(lambda: claim_shard("other", [stream.arn]))
    shard = LogStreamShard.objects.get()
    assert shard.lease_owner == "other" and shard.leased_until > timezone.now()
    assert claim_shard("me", [stream.arn]) is None  # alive: its lease stands
    other.die()  # a SIGKILLed consumer's connection drops, and its locks with it
    taken = claim_shard("me", [stream.arn])  # dead: taken over, its lease time notwithstanding
    assert taken is not None and taken.lease_owner == "me"
    release_shard("me", taken.pk)


def test_one_consumer_takes_turns_between_its_shards_and_stops_at_its_deadline():
    from flows.live.stream import READS_PER_SECOND, ShardReport, read_shards

    class Reader:
        def __init__(self, name, reads):
            self.name, self.left, self.next_at, self.done, self.report = name, reads, 0.0, False, ShardReport()

        def step(self):
            order.append(self.name)
            self.report.reads += 1
            self.left -= 1
            self.done = self.left == 0
            import time as _time
            self.next_at = _time.monotonic() + 1.0 / READS_PER_SECOND

    order = []
    a, b = Reader("a", 3), Reader("b", 100)
    reports = read_shards([a, b], max_seconds=1.2)
    # Neither waits for the other: they alternate, at the per-shard pace, until a is read out.
    assert order[:6] == ["a", "b", "a", "b", "a", "b"]
    assert a.done and not b.done
    assert 4 <= reports[1].reads <= 7  # about READS_PER_SECOND a second, for 1.2 s
