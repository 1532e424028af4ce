import pytest

from flows.live.clients import take_events_as_json
from flows.live.seen import SeenWindow, fingerprint, pack, prune, unpack
from flows.models import LogCursor, SeenEvents

from .helpers import add_function, invocation_lines, now_ms, poll_all, put_lines

GROUP = "/aws/lambda/worker"
STREAM = "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef"


def event(message, timestamp=1_795_000_000_123, stream=STREAM, **extra):
    return {"logStreamName": stream, "timestamp": timestamp, "message": message, **extra}


def test_a_fingerprint_depends_on_stream_time_and_text_not_on_the_event_id():
    line = event("END RequestId: 1\n")
    assert fingerprint(line) == fingerprint({**line, "eventId": "42", "ingestionTime": 1})
    assert fingerprint(line) != fingerprint(event("END RequestId: 2\n"))
    assert fingerprint(line) != fingerprint(event("END RequestId: 1\n", timestamp=1_795_000_000_124))
    assert fingerprint(line) != fingerprint(event("END RequestId: 1\n", stream="other"))
    # Odd input still gets a fingerprint rather than an exception.
    assert isinstance(fingerprint({"message": None}), int)
    assert isinstance(fingerprint(event("lone surrogate \udc80")), int)


def test_packed_fingerprints_come_back_as_they_went_in():
    values = {0, 1, 2**64 - 1, 1234567890123456789}
    data = pack(values)
    assert len(data) == 8 * len(values)
    assert unpack(data) == values
    assert unpack(memoryview(data)) == values  # what Postgres hands back for bytea
    assert unpack(b"") == set()


@pytest.mark.django_db
def test_a_window_skips_what_an_earlier_window_saved_and_prune_forgets_old_seconds():
    add_function("worker")
    from flows.live.poller import ensure_cursors

    ensure_cursors()
    cursor = LogCursor.objects.get()
    first = SeenWindow(cursor.pk, 0)
    old, new = event("old", timestamp=10_500), event("new", timestamp=12_100)
    assert first.add(old) and first.add(new)
    assert not first.add(old)  # the same event twice in one page
    first.save()
    assert sorted(SeenEvents.objects.values_list("second", flat=True)) == [10, 12]

    # A window starting at 12.0 s loads only that second: the older one is never looked at.
    second = SeenWindow(cursor.pk, 12_000)
    assert list(second.seconds) == [12]
    assert not second.add(new)
    assert second.add(event("newer", timestamp=12_900))
    second.save()
    assert len(unpack(SeenEvents.objects.get(second=12).fingerprints)) == 2

    assert prune(cursor.pk, 12_000) == 1
    assert list(SeenEvents.objects.values_list("second", flat=True)) == [12]


@pytest.mark.django_db
def test_polls_keep_only_the_seconds_a_later_catch_up_reads_again(aws):
    add_function("worker")
    old_at, recent_at = now_ms() - 50_000, now_ms() - 1_000
    put_lines(aws, GROUP, STREAM, invocation_lines(at=old_at))
    put_lines(aws, GROUP, STREAM, invocation_lines(at=recent_at))
    [outcome] = poll_all()
    assert outcome.events == 6  # the first poll reaches back a minute: both were read
    seconds = set(SeenEvents.objects.values_list("second", flat=True))
    # The next catch-up starts LAG (20 s) before this one: 50 s old events are not kept.
    assert recent_at // 1000 in seconds
    assert old_at // 1000 not in seconds


def test_events_are_taken_from_the_json_body_as_they_are():
    body = (b'{"events": [{"logStreamName": "s", "timestamp": 5, "message": "hi", '
            b'"ingestionTime": 6, "eventId": "0"}], "nextToken": "t"}')
    response = {"status_code": 200, "body": body}
    custom = {}
    take_events_as_json(response, custom)
    assert custom == {"events": [{"logStreamName": "s", "timestamp": 5, "message": "hi",
                                  "ingestionTime": 6, "eventId": "0"}]}
    assert response["body"] == b'{"nextToken": "t"}'


@pytest.mark.parametrize("response", [
    {"status_code": 400, "body": b'{"__type": "ResourceNotFoundException", "events": []}'},
    {"status_code": 200, "body": b"not json"},
    {"status_code": 200, "body": b'{"events": ["not an object"]}'},
    {"status_code": 200, "body": b"[]"},
])
def test_errors_and_unexpected_bodies_are_left_to_botocore(response):
    before = dict(response)
    custom = {}
    take_events_as_json(response, custom)
    assert custom == {} and response == before


def test_a_logs_client_gives_the_same_answer_with_and_without_the_shortcut(aws):
    logs = aws("logs")
    put_lines(aws, GROUP, STREAM, invocation_lines(at=now_ms() - 1_000))
    plain = logs.filter_log_events(logGroupName=GROUP, interleaved=True)
    logs.meta.events.register("before-parse.cloudwatch-logs.FilterLogEvents", take_events_as_json)
    fast = logs.filter_log_events(logGroupName=GROUP, interleaved=True)
    for response in (plain, fast):
        response.pop("ResponseMetadata")
    assert fast == plain and len(fast["events"]) == 3
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.filter_log_events(logGroupName="/aws/lambda/missing")


@pytest.mark.django_db
def test_events_applied_from_elsewhere_are_skipped_by_the_next_poll(aws):
    from django.test import TestCase

    from flows.live.poller import apply_events_under_lease, ensure_cursors
    from flows.models import Invocation

    add_function("worker")
    ensure_cursors()
    cursor = LogCursor.objects.get()
    lines = invocation_lines(at=now_ms() - 2_000)
    put_lines(aws, GROUP, STREAM, lines)
    published = []
    # What a Live Tail session hands over: no event ids.
    with TestCase.captureOnCommitCallbacks(execute=True):
        outcome = apply_events_under_lease(
            cursor.pk, "tail", [event(text, timestamp=ts) for ts, text in lines],
            publish_item=published.append)
    assert outcome.invocations == 1 and len(published) == 1
    cursor.refresh_from_db()
    assert cursor.last_event_ms == 0 and cursor.lease_owner == ""  # position left to polls

    [poll] = poll_all(published=published)

    assert poll.events == 3 and poll.duplicates == 3 and poll.invocations == 0
    assert len(published) == 1 and Invocation.objects.count() == 1


@pytest.mark.django_db
def test_events_from_elsewhere_wait_for_a_poll_holding_the_group(aws):
    from flows.live.leases import claim_cursors, release
    from flows.live.poller import apply_events_under_lease, ensure_cursors

    add_function("worker")
    ensure_cursors()
    [cursor_id] = claim_cursors("poller", 1)
    try:
        outcome = apply_events_under_lease(cursor_id, "tail", [event("x")], wait=0.2)
    finally:
        release(cursor_id)
    assert outcome.error == "Busy" and outcome.events == 0


@pytest.mark.django_db
def test_events_from_elsewhere_older_than_what_polls_remember_are_left_out(aws):
    from flows.live.poller import apply_events_under_lease, ensure_cursors
    from flows.models import Invocation

    add_function("worker")
    ensure_cursors()
    now = now_ms()
    LogCursor.objects.update(last_event_ms=now, last_catchup_ms=now)
    old = [event(text, timestamp=ts) for ts, text in invocation_lines(at=now - 60_000)]
    recent = [event(text, timestamp=ts) for ts, text in invocation_lines(at=now - 1_000)]

    outcome = apply_events_under_lease(LogCursor.objects.get().pk, "tail", old + recent)

    assert outcome.duplicates == 3 and outcome.invocations == 1
    assert Invocation.objects.count() == 1
