import pytest

from flows.live.poller import take_events_as_json
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
