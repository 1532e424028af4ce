import time
import uuid
from datetime import timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from django.utils import timezone

from flows.live import invocations_since
from flows.live.clients import Clients
from flows.live.leases import claim_cursors, release_all
from flows.live.poller import ensure_cursors, poll_cursor, run_cycle
from flows.live.push import PushBatcher
from flows.live.reads import function_stats
from flows.live.schedule import next_poll_delay, quiet_interval
from flows.live.store import prune
from flows.models import Invocation, InvocationMinute, LogCursor
from tests.data import lambda_logs as samples

from .helpers import (
    OtherWorker,
    add_function,
    function_arn,
    invocation_lines,
    now_ms,
    poll_all,
    put_lines,
)

pytestmark = pytest.mark.django_db

GROUP = "/aws/lambda/worker"
STREAM = "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef"


@pytest.fixture
def worker():
    return add_function("worker")


def test_it_records_ok_cold_error_and_timeout_invocations(aws, worker):
    ok, cold, failed, timed_out = (str(uuid.uuid4()) for _ in range(4))
    at = now_ms() - 5000
    put_lines(aws, GROUP, STREAM,
              invocation_lines(ok, at, duration=102.25, used=71)
              + invocation_lines(cold, at + 100, init=250.4, memory=512, used=140)
              + invocation_lines(failed, at + 200, error="ZeroDivisionError")
              + invocation_lines(timed_out, at + 300, duration=3000, timeout=True))

    published = []
    [outcome] = poll_all(published=published)

    assert outcome.error == ""
    rows = {row.request_id: row for row in Invocation.objects.all()}
    assert rows[ok].status == "ok" and rows[ok].init_ms is None
    assert (rows[ok].duration_ms, rows[ok].billed_ms, rows[ok].memory_mb, rows[ok].max_memory_mb) == (
        102.25, 103.0, 128, 71)
    assert rows[cold].init_ms == 250.4 and rows[cold].memory_mb == 512
    assert (rows[failed].status, rows[failed].error_type) == ("error", "ZeroDivisionError")
    assert (rows[timed_out].status, rows[timed_out].error_type) == ("timeout", "Sandbox.Timedout")
    assert rows[ok].function_arn == worker.arn
    assert len(rows[ok].log_lines) == 3
    assert [item["request_id"] for item in published] == [ok, cold, failed, timed_out]
    assert published[0]["timestamp"].endswith("Z")
    assert set(published[0]) >= {"function", "request_id", "timestamp", "duration_ms", "billed_ms",
                                 "memory_mb", "max_memory_mb", "init_ms", "status", "error_type"}
    assert [item["id"] for item in published] == sorted(item["id"] for item in published)


def test_it_completes_an_invocation_whose_lines_arrive_across_polls(aws, worker):
    request_id = str(uuid.uuid4())
    start, *rest = invocation_lines(request_id, now_ms() - 3000, error="KeyError")
    put_lines(aws, GROUP, STREAM, [start])
    published = []
    poll_all(published=published)
    pending = Invocation.objects.get(request_id=request_id)
    assert (pending.status, pending.seq, published) == ("", None, [])

    put_lines(aws, GROUP, STREAM, rest)
    poll_all(published=published)

    done = Invocation.objects.get(request_id=request_id)
    # The uncaught "[ERROR] KeyError" line has no request id: it belongs to the request the
    # stream had open, which the cursor remembered across the two polls.
    assert (done.status, done.error_type) == ("error", "KeyError")
    assert done.seq is not None
    assert [item["request_id"] for item in published] == [request_id]


def test_overlapping_polls_neither_duplicate_nor_recount(aws, worker):
    at = now_ms() - 1000
    for i in range(5):
        put_lines(aws, GROUP, STREAM, invocation_lines(at=at + i))
    published = []
    poll_all(published=published)
    LogCursor.objects.update(last_catchup_ms=0)  # the next poll re-reads the whole lag window

    [again] = poll_all(published=published)

    assert again.duplicates == 15  # 5 invocations x 3 lines
    assert Invocation.objects.count() == 5
    assert len(published) == 5
    assert sum(m.count for m in InvocationMinute.objects.all()) == 5
    assert LogCursor.objects.get().stats["duplicates"] == 15


def test_it_catches_events_ingested_late_with_an_older_timestamp(aws, worker):
    put_lines(aws, GROUP, STREAM, invocation_lines(at=now_ms() - 500))
    poll_all()
    late = str(uuid.uuid4())
    # Readable only now, though it happened 25 s ago (CloudWatch ingestion lag).
    put_lines(aws, GROUP, "2026/11/26/[$LATEST]late", invocation_lines(late, now_ms() - 25_000))
    LogCursor.objects.update(last_catchup_ms=0)

    poll_all()

    assert Invocation.objects.filter(request_id=late, status="ok").exists()
    assert Invocation.objects.count() == 2


def test_a_late_event_waits_for_the_catch_up_whose_window_has_passed_it(aws, worker, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOG_INGESTION_LAG_SECONDS": 10}
    put_lines(aws, GROUP, STREAM, invocation_lines(at=now_ms() - 300))
    poll_all()
    late = str(uuid.uuid4())
    put_lines(aws, GROUP, "2026/11/26/[$LATEST]late", invocation_lines(late, now_ms() - 6_000))
    cursor = LogCursor.objects.get()
    # A catch-up reads up to LAG before now: 6 s is not yet LAG ago, so this one leaves it...
    LogCursor.objects.update(last_catchup_ms=cursor.last_catchup_ms - 30_000)
    poll_all()
    assert not Invocation.objects.filter(request_id=late).exists()
    # ...to the next catch-up, once it is (window [previous catch-up - LAG, now - LAG]).
    LogCursor.objects.update(last_catchup_ms=now_ms() - 30_000,
                             last_event_ms=cursor.last_event_ms)
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOG_INGESTION_LAG_SECONDS": 5}
    [outcome] = poll_all()
    assert Invocation.objects.filter(request_id=late, status="ok").exists()
    assert outcome.invocations == 1


def test_a_head_poll_between_catch_ups_reads_only_the_recent_window(aws, worker, settings):
    put_lines(aws, GROUP, STREAM, invocation_lines(at=now_ms() - 500))
    poll_all()
    late = str(uuid.uuid4())
    put_lines(aws, GROUP, "2026/11/26/[$LATEST]late", invocation_lines(late, now_ms() - 25_000))

    poll_all()  # within LOG_CATCHUP_INTERVAL of the first poll: not a catch-up

    assert not Invocation.objects.filter(request_id=late).exists()
    LogCursor.objects.update(last_catchup_ms=0)
    poll_all()
    assert Invocation.objects.filter(request_id=late).exists()


def test_it_counts_malformed_huge_and_orphan_lines_and_carries_on(aws, worker):
    at = now_ms() - 2000
    put_lines(aws, GROUP, "2026/11/26/[$LATEST]junk", [
        (at, samples.MALFORMED_REPORT), (at + 1, samples.MALFORMED_PLATFORM),
        (at + 2, "x" * 200_000), (at + 3, samples.PYTHON_UNCAUGHT)])
    put_lines(aws, GROUP, STREAM, invocation_lines(at=at + 10))

    [outcome] = poll_all()

    stats = LogCursor.objects.get().stats
    assert outcome.error == ""
    assert stats["malformed"] == 2
    assert stats["huge"] == 1
    assert stats["orphans"] >= 1
    assert Invocation.objects.filter(status="ok").count() == 1


def test_a_missing_log_group_is_counted_and_polled_again_later(aws):
    add_function("never-invoked")

    [outcome] = poll_all()

    cursor = LogCursor.objects.get()
    assert "ResourceNotFoundException" in outcome.error and outcome.missing
    assert cursor.stats["missing"] == 1
    assert cursor.lease_owner == ""
    assert cursor.next_poll_at > timezone.now()


def test_throttling_after_retries_is_counted_not_raised(worker):
    client = boto3.client("logs", region_name="us-east-1", config=Config(retries={"max_attempts": 1}),
                          aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error("filter_log_events", "ThrottlingException", "Rate exceeded", 400)
    stubber.activate()

    class StubClients:
        def get(self, account, region):
            return client

    ensure_cursors()
    [cursor_id] = claim_cursors("me", 10)
    outcome = poll_cursor(cursor_id, "me", StubClients())

    cursor = LogCursor.objects.get()
    assert outcome.error.startswith("ThrottlingException")
    assert cursor.stats["throttled"] == 1
    assert cursor.next_poll_at >= timezone.now() + timedelta(seconds=4)


def test_two_workers_never_lease_the_same_log_group():
    for i in range(6):
        add_function(f"fn-{i}")
    ensure_cursors()

    first = claim_cursors("worker-a", 4)
    second = claim_cursors("worker-b", 4)

    assert len(first) == 4 and len(second) == 2
    assert not set(first) & set(second)
    assert claim_cursors("worker-c", 4) == []


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_group_leased_by_a_worker_that_died_is_claimed_at_once_and_a_live_ones_is_not():
    add_function("worker")
    ensure_cursors()
    other = OtherWorker(lambda: claim_cursors("other", 1))
    # Due again while still leased (its poll is taking long): a live lease stands.
    LogCursor.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))
    assert LogCursor.objects.get().leased_until > timezone.now()
    assert claim_cursors("me", 1) == []
    other.die()
    [cursor_id] = claim_cursors("me", 1)  # dead: taken over, its lease time notwithstanding
    assert LogCursor.objects.get(pk=cursor_id).lease_owner == "me"
    release_all()


def test_a_poll_whose_lease_was_taken_over_writes_nothing(aws, worker):
    put_lines(aws, GROUP, STREAM, invocation_lines(at=now_ms() - 1000))
    ensure_cursors()
    [cursor_id] = claim_cursors("slow-worker", 1)
    LogCursor.objects.update(lease_owner="other-worker")

    outcome = poll_cursor(cursor_id, "slow-worker", Clients())

    assert outcome.error == "LeaseLost"
    assert Invocation.objects.count() == 0
    assert LogCursor.objects.get().last_event_ms == 0


def test_functions_sharing_a_custom_log_group_are_told_apart_by_stream(aws):
    add_function("alpha", log_group="/shared/app")
    add_function("beta", log_group="/shared/app")
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    put_lines(aws, "/shared/app", "2026/11/26/alpha[$LATEST]aaaa", invocation_lines(a, now_ms() - 900))
    put_lines(aws, "/shared/app", "2026/11/26/beta[$LATEST]bbbb", invocation_lines(b, now_ms() - 800))

    poll_all()

    assert LogCursor.objects.count() == 1
    assert Invocation.objects.get(request_id=a).function_arn == function_arn("alpha")
    assert Invocation.objects.get(request_id=b).function_arn == function_arn("beta")


def test_it_reads_the_json_log_format(aws, worker):
    at = now_ms() - 2000
    put_lines(aws, GROUP, STREAM, [(at, samples.JSON_PLATFORM_START),
                                   (at + 1, samples.JSON_APP_ERROR_NODE),
                                   (at + 2, samples.JSON_PLATFORM_RUNTIME_DONE_ERROR),
                                   (at + 3, samples.JSON_PLATFORM_REPORT_COLD)])
    poll_all()

    row = Invocation.objects.get(request_id=samples.REQUEST_ID)
    assert (row.status, row.error_type, row.init_ms, row.memory_mb) == ("error", "Error", 180.25, 1024)
    assert row.trace_id == "1-6565b1f2-aaaabbbbccccddddeeeeffff"


@pytest.mark.django_db(transaction=True)
def test_the_celery_poll_task_polls_what_is_due_and_ends_when_nothing_is(aws, monkeypatch):
    from flows.live import tasks

    add_function("worker")
    add_function("other")
    at = now_ms() - 2000
    put_lines(aws, GROUP, STREAM, invocation_lines(at=at) + invocation_lines(at=at + 5))
    put_lines(aws, "/aws/lambda/other", STREAM, invocation_lines(at=at))
    frames = []
    monkeypatch.setattr(tasks, "publish", lambda kind, payload: frames.append(payload))
    ensure_cursors()

    began = time.monotonic()
    invocations = tasks.poll_live_logs(max_seconds=30)
    took = time.monotonic() - began

    assert invocations == 3
    assert sorted(len(p["items"]) for p in frames) == [1, 2]
    # Both groups were polled at once; with nothing due for an interval (1 s) it returned,
    # long before its 30 s: a quiet account does not hold a worker.
    assert took < 5
    assert LogCursor.objects.filter(lease_owner="").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_cycle_publishes_one_batched_frame_through_the_publisher(aws, worker):
    at = now_ms() - 2000
    for i in range(30):
        put_lines(aws, GROUP, STREAM, invocation_lines(at=at + i))
    frames = []
    batcher = PushBatcher(lambda kind, payload: frames.append((kind, payload)), min_interval=60)

    report = run_cycle("cycle-owner", Clients(), batcher, refresh_every=0)

    assert report.invocations == 30
    assert len(frames) == 1
    kind, payload = frames[0]
    assert kind == "invocations" and len(payload["items"]) == 30


def test_a_reconnecting_client_gets_what_it_missed_in_order(aws, worker):
    at = now_ms() - 2000
    for i in range(8):
        put_lines(aws, GROUP, STREAM, invocation_lines(at=at + i * 10))
    published = []
    poll_all(published=published)
    seen_by_client = published[2]["id"]

    replay = invocations_since(seen_by_client, limit=100)

    assert [item["request_id"] for item in replay] == [item["request_id"] for item in published[3:]]
    assert len(invocations_since(seen_by_client, limit=2)) == 2
    assert invocations_since(published[-1]["id"]) == []


def test_it_aggregates_per_minute_with_cost_and_right_sizing(aws, worker):
    at = now_ms() - 3000
    lines = []
    for i in range(10):
        lines += invocation_lines(at=at + i * 5, duration=99.5, memory=1024, used=100,
                                  init=200.0 if i == 0 else None,
                                  error="ValueError" if i == 1 else None)
    put_lines(aws, GROUP, STREAM, lines)
    worker.attributes["memory_size"] = 1024
    worker.save()

    poll_all()

    minutes = InvocationMinute.objects.all()
    assert sum(m.count for m in minutes) == 10
    assert sum(m.errors for m in minutes) == 1
    assert sum(m.cold_starts for m in minutes) == 1
    stats = function_stats(worker.arn, minutes=60)
    assert stats["invocations"] == 10
    assert stats["error_rate"] == pytest.approx(0.1)
    assert stats["cold_start_ratio"] == pytest.approx(0.1)
    assert stats["p95_duration_ms"] == 100
    assert stats["gb_seconds"] == pytest.approx(10 * 0.1 * 1.0)
    assert stats["estimated_cost_usd"] == pytest.approx(1.0 * 0.0000166667)
    assert stats["oversized"] is True


def test_retention_prunes_old_invocations_and_aggregates(aws, worker, settings):
    put_lines(aws, GROUP, STREAM, invocation_lines(at=now_ms() - 1000))
    poll_all()
    later = timezone.now() + timedelta(hours=settings.FLOWSCOPE["INVOCATION_RETENTION_HOURS"] + 1)

    deleted, _ = prune(now=later)

    assert deleted == 1
    assert Invocation.objects.count() == 0
    assert InvocationMinute.objects.count() == 1  # aggregates are kept longer


def test_quiet_groups_share_what_the_active_ones_leave_of_the_budget(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LOG_POLL_INTERVAL": 1, "LOG_POLL_IDLE_INTERVAL": 2}
    assert next_poll_delay(True, 5, 1000, 25) == (1.0, 0)
    assert next_poll_delay(False, 0, 1000, 25) == (2.0, 1)
    # 1,000 quiet groups share 90 % of 25 calls/s: each is polled every 44 s.
    assert next_poll_delay(False, 30, 1000, 25)[0] == quiet_interval(1000, 25) == pytest.approx(1000 / 22.5)
    # A small account polls an idle group every 2 s (the floor), not once a minute.
    assert quiet_interval(20, 25) == 2.0
    # Fifteen busy groups take 15 calls/s; the 985 quiet ones share the 7.5 left...
    assert quiet_interval(1000, 25, active=15) == pytest.approx(985 / 7.5)
    # ...and never less than a quarter of the budget, however many groups are busy.
    assert quiet_interval(1000, 25, active=30) == pytest.approx(970 / 6.25)


def test_a_start_ingested_after_its_report_joins_the_same_invocation(aws, worker):
    request_id = str(uuid.uuid4())
    start, end, report = invocation_lines(request_id, now_ms() - 8000)
    put_lines(aws, GROUP, STREAM, [end, report])
    published = []
    poll_all(published=published)
    first = Invocation.objects.get(request_id=request_id)
    put_lines(aws, GROUP, "2026/11/26/[$LATEST]late-start", [start])
    LogCursor.objects.update(last_catchup_ms=0)

    poll_all(published=published)

    row = Invocation.objects.get(request_id=request_id)
    assert row.started_at <= first.started_at
    assert row.seq == first.seq
    assert len(row.log_lines) == 3
    assert [item["request_id"] for item in published] == [request_id]
    assert sum(m.count for m in InvocationMinute.objects.all()) == 1


def test_head_polls_reach_further_back_once_events_arrive_out_of_order(aws, worker):
    put_lines(aws, GROUP, STREAM, invocation_lines(at=now_ms() - 300))
    poll_all()
    put_lines(aws, GROUP, "2026/11/26/[$LATEST]slow", invocation_lines(at=now_ms() - 25_000))
    LogCursor.objects.update(last_catchup_ms=0)
    poll_all()  # the catch-up finds it, and notes new events land several seconds behind
    assert LogCursor.objects.get().stats["behind_ms"] >= 4000
    late = str(uuid.uuid4())
    put_lines(aws, GROUP, "2026/11/26/[$LATEST]slow", invocation_lines(late, now_ms() - 12_000))

    poll_all()  # a regular poll, not a catch-up

    assert Invocation.objects.filter(request_id=late, status="ok").exists()


def test_head_overlap_grows_with_the_lag_spread_up_to_the_lag():
    from flows.live.schedule import head_overlap_ms

    assert head_overlap_ms(0, 20_000) == 250
    assert head_overlap_ms(4000, 20_000) == 6250
    assert head_overlap_ms(60_000, 20_000) == 20_000


def test_health_reports_starts_without_report_and_problem_groups(aws, worker):
    from flows.live.reads import live_health

    request_id = str(uuid.uuid4())
    start = invocation_lines(request_id, now_ms() - 2000)[0]
    put_lines(aws, GROUP, STREAM, [start])
    add_function("gone")
    poll_all()

    later = timezone.now() + timedelta(minutes=20)
    health = live_health(now=later)

    assert health["unfinished_invocations"] == 1
    assert health["totals"]["missing"] == 1
    assert [p["log_group"] for p in health["problems"]] == ["/aws/lambda/gone"]
    assert live_health()["unfinished_invocations"] == 0


def test_an_invocations_log_lines_come_back_as_plain_text(aws, worker):
    at = now_ms() - 2000
    put_lines(aws, GROUP, STREAM, invocation_lines(samples.REQUEST_ID, at)[:1]
              + [(at + 1, samples.HTML_PAYLOAD)] + invocation_lines(samples.REQUEST_ID, at)[1:])
    poll_all()

    from flows.live.reads import invocation_detail

    detail = invocation_detail(worker.arn, samples.REQUEST_ID)
    assert detail["completed"] and detail["status"] == "ok"
    assert [line["text"] for line in detail["log_lines"]][1] == samples.HTML_PAYLOAD
    assert detail["log_lines"][0]["timestamp"].endswith("Z")
    assert invocation_detail(worker.arn, "no-such-request") is None


def test_a_catch_up_of_a_quiet_group_does_not_reread_its_old_events(aws, worker):
    put_lines(aws, GROUP, STREAM, invocation_lines(at=now_ms() - 60_000))
    poll_all()  # first poll: reads the last minute, and counts as a catch-up
    LogCursor.objects.update(last_catchup_ms=now_ms() - 31_000)  # next poll is a catch-up

    [outcome] = poll_all()

    # The events are 60 s old: older than LAG before the previous catch-up, already read.
    assert outcome.events == 0
