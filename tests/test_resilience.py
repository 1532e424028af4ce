"""Long-running loops back off through transient trouble and log it once, not every time."""
import logging
import time
import uuid

import pytest
from django.db import OperationalError

from flows import publish as publishing
from flows.live import poller
from flows.resilience import Backoff, retry_transient
from tests.live.helpers import add_function, invocation_lines, now_ms, put_lines


def test_it_logs_a_repeated_failure_once_and_the_recovery_once(caplog):
    backoff = Backoff("test loop", logging.getLogger("test"))

    with caplog.at_level(logging.WARNING, logger="test"):
        for _ in range(5):
            backoff.failed(OperationalError("database is locked"))
        backoff.succeeded()
        backoff.succeeded()

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "database is locked" in messages[0] and "transient" in messages[0]
    assert "working again after 5 failed attempts" in messages[1]


def test_it_waits_longer_after_each_failure_up_to_a_cap():
    backoff = Backoff("test loop", base=1.0, cap=8.0)

    waits = [backoff.failed(OperationalError("busy")) for _ in range(7)]

    assert 0.5 <= waits[0] <= 1.0
    assert 4.0 <= waits[3] <= 8.0
    assert max(waits) <= 8.0


def test_it_retries_a_transient_error_and_returns_the_result():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return "done"

    assert retry_transient(flaky, name="flaky", sleep=lambda s: None) == "done"
    assert len(calls) == 3


def test_it_gives_up_after_the_last_attempt():
    def locked():
        raise OperationalError("database is locked")

    with pytest.raises(OperationalError):
        retry_transient(locked, name="locked", attempts=2, sleep=lambda s: None)


def test_it_does_not_retry_a_bug():
    calls = []

    def buggy():
        calls.append(1)
        raise KeyError("nope")

    with pytest.raises(KeyError):
        retry_transient(buggy, name="buggy", sleep=lambda s: None)
    assert calls == [1]


@pytest.mark.django_db(transaction=True)
def test_the_poll_loop_keeps_polling_after_the_database_was_locked(aws, monkeypatch, caplog):
    add_function("worker")
    put_lines(aws, "/aws/lambda/worker", "2026/12/01/[$LATEST]a",
              invocation_lines(str(uuid.uuid4()), now_ms()))
    real_claim = poller.claim_cursors
    failures = {"left": 3}

    def claim_while_locked(*args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("database is locked")
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(poller, "claim_cursors", claim_while_locked)
    monkeypatch.setattr(Backoff, "failed", lambda self, exc, _real=Backoff.failed:
                        _real(self, exc) / 100)  # keep the test quick
    found = []
    deadline = time.monotonic() + 60

    def stop():
        return bool(found) or time.monotonic() > deadline

    with caplog.at_level(logging.WARNING, logger="flows.live.poller"):
        poller.poll_loop(stop=stop, publish=lambda *a, **k: None,
                         on_cycle=lambda report: found.append(report.invocations) if report.invocations else None)

    assert found == [1]
    locked = [r for r in caplog.records if "database is locked" in r.getMessage()]
    assert len(locked) == 1


def test_a_failing_channel_layer_is_logged_once_until_it_works_again(monkeypatch, caplog):
    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("Redis is away")

    class Layer:
        async def group_send(self, group, message):
            return None

    layers = {"now": BrokenLayer()}
    monkeypatch.setattr(publishing, "get_channel_layer", lambda: layers["now"])

    with caplog.at_level(logging.WARNING, logger="flows.publish"):
        results = [publishing.publish("invocations", {"items": []}) for _ in range(4)]
        layers["now"] = Layer()
        results.append(publishing.publish("invocations", {"items": []}))

    assert results == [False] * 4 + [True]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "Redis is away" in messages[0]
    assert "works again after 4 failed messages" in messages[1]
