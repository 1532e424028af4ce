"""The Celery entry point of Live Tail mode: one worker at a time keeps the sessions."""
import pytest

from flows.live import focus, tail
from flows.live.poller import ensure_cursors
from flows.live.tasks import only_one_tail_manager, run_live_tail
from flows.models import Invocation

from .helpers import add_function, function_arn, invocation_lines, put_lines
from .live_tail_emulator import live_tail_tails_the_groups_asked_for  # noqa: F401 (autouse)
from .test_tail import STREAM

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def live_tail_on(settings, monkeypatch):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LIVE_TAIL": True}
    for key in tail.status:
        monkeypatch.setitem(tail.status, key, 0)
    focus.registry().clear()
    yield
    focus.registry().clear()


@pytest.fixture
def focused_worker(aws):
    add_function("worker")
    ensure_cursors()
    put_lines(aws, "/aws/lambda/worker", STREAM, invocation_lines(request_id="req-1"))
    focus.set_focus("connection-1", [function_arn("worker")])


def test_the_task_tails_focused_functions_for_a_bounded_time(focused_worker):
    applied = run_live_tail(max_seconds=1.5)
    assert applied == 3
    assert Invocation.objects.get().request_id == "req-1"
    assert tail.status["active_sessions"] == 0     # everything closed at the end


def test_only_one_worker_runs_the_tail_at_a_time(focused_worker):
    with only_one_tail_manager() as mine:
        assert mine
        assert run_live_tail(max_seconds=1.0) is None
    assert tail.status["sessions_started"] == 0 and not Invocation.objects.exists()
    with only_one_tail_manager() as mine_again:
        assert mine_again                          # released on the way out


def test_the_task_does_nothing_while_the_mode_is_off(focused_worker, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "LIVE_TAIL": False}
    assert run_live_tail(max_seconds=1.0) is None
    assert tail.status["sessions_started"] == 0
