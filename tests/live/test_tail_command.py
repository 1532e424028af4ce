"""`manage.py poll_logs` with FLOWSCOPE_LIVE_TAIL: the tail runs beside the polls, in another
process than the web that records the focus (shared through Redis)."""
import os
import signal
import subprocess
import sys
import time

import pytest

from flows.live import focus
from flows.models import Invocation

from .helpers import add_function, function_arn, invocation_lines, put_lines
from .live_tail_emulator import live_tail_tails_the_groups_asked_for  # noqa: F401 (autouse)
from .test_reliability import ROOT, database_url

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_poll_logs_tails_what_a_web_process_focuses_on_and_counts_it_once(aws):
    add_function("worker")
    add_function("other")
    put_lines(aws, "/aws/lambda/worker", "stream-1", invocation_lines(request_id="req-1"))
    put_lines(aws, "/aws/lambda/other", "stream-1", invocation_lines(request_id="req-2"))
    focus.set_focus("web-connection", [function_arn("worker")])
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1",
           "FLOWSCOPE_LIVE_TAIL": "true"}
    poller = subprocess.Popen([sys.executable, "manage.py", "poll_logs"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        tailed = False
        while time.monotonic() < deadline:
            tailed = tailed or focus.is_tailing(function_arn("worker"))
            if tailed and Invocation.objects.exclude(seq=None).count() == 2:
                break
            time.sleep(0.2)
        assert not focus.is_tailing(function_arn("other"))
        time.sleep(2)   # more polls and sessions over the same lines
    finally:
        poller.send_signal(signal.SIGTERM)
        out, errors = poller.communicate(timeout=30)
        focus.clear_focus("web-connection")
    assert tailed, errors.decode()[-2000:]
    assert b"Live Tail mode" in out
    assert b"Live Tail started on 1 log group(s) of 123456789012/us-east-1" in errors
    assert sorted(Invocation.objects.values_list("request_id", flat=True)) == ["req-1", "req-2"]
