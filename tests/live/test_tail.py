"""Live Tail mode against the emulator over HTTP: StartLiveTail sessions for focused functions,
folded in under the cursor's lease so that polls and the tail never count an event twice."""
import logging
import time

import boto3
import pytest

from flows.live import focus, tail
from flows.live.leases import end_lease, lease_cursor
from flows.live.poller import ensure_cursors
from flows.live.tail import TailClients, TailManager, plan_sessions
from flows.models import Invocation, LogCursor
from tests.faults import deny

from .helpers import add_function, function_arn, invocation_lines, poll_all, put_lines

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = "2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    focus.registry().clear()
    for key in tail.status:
        monkeypatch.setitem(tail.status, key, 0)
    yield
    focus.registry().clear()


class Published:
    """Stands in for flows.publish.publish: what the batcher pushed, frame by frame."""

    def __init__(self):
        self.frames = []

    def __call__(self, message_type, payload):
        self.frames.append((message_type, payload))

    @property
    def items(self):
        return [item for kind, payload in self.frames if kind == "invocations"
                for item in payload["items"]]


class RecordingSessions:
    """A session factory whose clients record the StartLiveTail requests they make."""

    def __init__(self, denied=False):
        self.requests = []
        self.denied = denied

    def __call__(self, role_arn=None):
        session = boto3.Session()
        session.events.register("provide-client-params.logs.StartLiveTail",
                                lambda params, **kwargs: self.requests.append(params))
        if self.denied:
            deny(session, "logs", "StartLiveTail")
        return session


def tick_until(manager, condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        manager.tick()
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_it_tails_a_focused_function_once_and_a_poll_then_adds_nothing(aws):
    add_function("worker")
    add_function("quiet")
    ensure_cursors()
    put_lines(aws, "/aws/lambda/worker", STREAM, invocation_lines(request_id="req-1", init=210.0))
    put_lines(aws, "/aws/lambda/quiet", STREAM, invocation_lines(request_id="req-q"))
    focus.set_focus("connection-1", [function_arn("worker")])
    published = Published()
    sessions = RecordingSessions()
    manager = TailManager(owner="tail-test", publish=published, clients=TailClients(sessions))
    try:
        assert tick_until(manager, lambda: Invocation.objects.exists())
        assert focus.is_tailing(function_arn("worker"))
        assert not focus.is_tailing(function_arn("quiet"))
    finally:
        manager.close()
    stored = Invocation.objects.get()
    assert (stored.request_id, stored.function_arn) == ("req-1", function_arn("worker"))
    assert [item["function"] for item in published.items] == [function_arn("worker")]
    assert sessions.requests[0]["logGroupIdentifiers"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/worker"]
    assert tail.status["sessions_started"] >= 1 and tail.status["invocations"] == 1
    # The tail does not move the poll position, yet marks what it read: the poll that
    # follows reads the same lines and stores and publishes nothing new for them.

    polled = []
    outcomes = {o.log_group: o for o in poll_all(published=polled)}
    assert outcomes["/aws/lambda/worker"].events == 3
    assert outcomes["/aws/lambda/worker"].duplicates == 3
    assert [item["function"] for item in polled] == [function_arn("quiet")]
    assert Invocation.objects.filter(function_arn=function_arn("worker")).count() == 1
    assert not focus.is_tailing(function_arn("worker"))   # sessions closed


def test_a_session_restarted_after_the_emulator_ends_it_adds_nothing_twice(aws, monkeypatch):
    monkeypatch.setattr(tail, "RESTART_DELAYS", (0.05, 0.05))
    add_function("worker")
    ensure_cursors()
    put_lines(aws, "/aws/lambda/worker", STREAM, invocation_lines(request_id="req-1"))
    focus.set_focus("connection-1", [function_arn("worker")])
    published = Published()
    manager = TailManager(owner="tail-test", publish=published)
    try:
        # The emulator replays the group and ends each session: several sessions run.
        assert tick_until(manager, lambda: tail.status["sessions_started"] >= 3)
        put_lines(aws, "/aws/lambda/worker", STREAM, invocation_lines(request_id="req-2"))
        assert tick_until(manager, lambda: Invocation.objects.count() == 2)
        tick_until(manager, lambda: False, seconds=0.5)
    finally:
        manager.close()
    assert sorted(item["request_id"] for item in published.items) == ["req-1", "req-2"]


def test_events_for_a_group_a_poll_holds_wait_and_are_applied_later(aws):
    add_function("worker")
    ensure_cursors()
    cursor = LogCursor.objects.get()
    put_lines(aws, "/aws/lambda/worker", STREAM, invocation_lines(request_id="req-1"))
    focus.set_focus("connection-1", [function_arn("worker")])
    manager = TailManager(owner="tail-test", publish=Published())
    assert lease_cursor("a-poller", cursor.pk)
    try:
        assert tick_until(manager, lambda: tail.status["busy_retries"] >= 1)
        assert manager.pending and not Invocation.objects.exists()
        end_lease("a-poller", cursor.pk)
        assert tick_until(manager, lambda: Invocation.objects.exists())
        assert not manager.pending
    finally:
        manager.close()


def test_focus_changes_restart_the_session_on_the_new_groups(aws):
    add_function("first")
    add_function("second")
    ensure_cursors()
    for name in ("first", "second"):
        put_lines(aws, f"/aws/lambda/{name}", STREAM, invocation_lines(request_id=f"req-{name}"))
    sessions = RecordingSessions()
    manager = TailManager(owner="tail-test", publish=Published(), clients=TailClients(sessions))
    try:
        focus.set_focus("connection-1", [function_arn("first")])
        assert tick_until(manager, lambda: Invocation.objects.filter(request_id="req-first").exists())
        focus.set_focus("connection-1", [function_arn("first"), function_arn("second")])
        assert tick_until(manager, lambda: Invocation.objects.filter(request_id="req-second").exists())
        focus.clear_focus("connection-1")
        manager.tick()
        assert manager.sessions == {}
    finally:
        manager.close()
    asked = [sorted(r["logGroupIdentifiers"]) for r in sessions.requests]
    assert asked[0] == ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/first"]
    assert asked[-1] == ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/first",
                         "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/second"]


def test_it_plans_at_most_ten_groups_per_session_and_max_sessions_per_region():
    cursors = [("111111111111", "us-east-1", f"/g/{i:02}") for i in range(25)]
    cursors.append(("111111111111", "eu-west-1", "/g/eu"))
    chunks = plan_sessions(cursors, max_sessions=3)
    assert [(c.region, len(c.log_groups)) for c in chunks] == [
        ("eu-west-1", 1), ("us-east-1", 10), ("us-east-1", 10), ("us-east-1", 5)]
    assert len({g for c in chunks for g in c.log_groups}) == 26
    capped = plan_sessions(cursors, max_sessions=2)
    assert [(c.region, len(c.log_groups)) for c in capped] == [
        ("eu-west-1", 1), ("us-east-1", 10), ("us-east-1", 10)]


def test_twenty_five_focused_groups_run_in_sessions_of_ten_capped_by_the_setting(aws, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LIVE_TAIL_MAX_SESSIONS": 2}
    names = [f"fn-{i:02}" for i in range(25)]
    for name in names:
        add_function(name)
    ensure_cursors()
    focus.set_focus("connection-1", [function_arn(n) for n in names[:10]])
    focus.set_focus("connection-2", [function_arn(n) for n in names[10:20]])
    focus.set_focus("connection-3", [function_arn(n) for n in names[20:]])
    sessions = RecordingSessions()
    manager = TailManager(owner="tail-test", publish=Published(), clients=TailClients(sessions))
    try:
        manager.tick()
        assert tick_until(manager, lambda: len(sessions.requests) >= 2)
    finally:
        manager.close()
    asked = [r["logGroupIdentifiers"] for r in sessions.requests]
    assert [len(groups) for groups in asked[:2]] == [10, 10]
    assert len({g for groups in asked for g in groups}) == 20
    assert tail.status["sessions_started"] == len(asked)


def test_access_denied_pauses_live_tail_for_the_account_and_region(aws, caplog):
    add_function("worker")
    ensure_cursors()
    put_lines(aws, "/aws/lambda/worker", STREAM, invocation_lines(request_id="req-1"))
    focus.set_focus("connection-1", [function_arn("worker")])
    manager = TailManager(owner="tail-test", publish=Published(),
                          clients=TailClients(RecordingSessions(denied=True)))
    try:
        with caplog.at_level(logging.WARNING, logger="flows.live.tail"):
            assert tick_until(manager, lambda: tail.status["denied"] == 1)
            tick_until(manager, lambda: False, seconds=0.5)
    finally:
        manager.close()
    assert tail.status["sessions_started"] == 1     # not retried while paused
    assert ("123456789012", "us-east-1") in manager.denied
    assert manager.sessions == {} and not Invocation.objects.exists()
    assert sum("denied" in r.getMessage() for r in caplog.records) == 1
    assert not focus.is_tailing(function_arn("worker"))


def test_a_sampled_update_loses_nothing_the_polls_then_find(aws):
    add_function("worker")
    ensure_cursors()
    lines = []
    base = int(time.time() * 1000) - 5000
    for n in range(200):
        lines += invocation_lines(request_id=f"req-{n:03}", at=base + n * 10)
    put_lines(aws, "/aws/lambda/worker", STREAM, lines)
    focus.set_focus("connection-1", [function_arn("worker")])
    published = Published()
    manager = TailManager(owner="tail-test", publish=published)
    try:
        assert tick_until(manager, lambda: tail.status["sampled_updates"] >= 1
                          and Invocation.objects.exists())
    finally:
        manager.close()
    from_tail = Invocation.objects.exclude(seq=None).count()
    assert 0 < from_tail < 200      # the emulator sends the first 500 of 600 lines
    polled = []
    poll_all(published=polled)
    assert Invocation.objects.exclude(seq=None).count() == 200
    assert len(published.items) + len(polled) == 200
    assert len({i["request_id"] for i in published.items + polled}) == 200
