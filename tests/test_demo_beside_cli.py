"""The one-process demo keeps polling while the README's CLI commands run beside it."""
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser.harness import ROOT, free_port


def _latest_invocation(database):
    with sqlite3.connect(database, timeout=30) as db:
        return db.execute("SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM flows_invocation").fetchone()


def _wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"waited {timeout} s for {what}")


@pytest.fixture
def demo(tmp_path):
    database = tmp_path / "flowscope.sqlite3"
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL", "AWS_ENDPOINT_URL")}
    env.update({"DATABASE_URL": f"sqlite:///{database}", "FLOWSCOPE_DEMO_PASSWORD": "demo-pass-123",
                "FLOWSCOPE_LIVE_TAIL": "false", "PYTHONUNBUFFERED": "1"})
    port, emulator_port = free_port(), free_port()
    log_path = tmp_path / "demo.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "demo", "--port", str(port), "--emulator-port",
             str(emulator_port), "--traffic", "20"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        def serving():
            assert process.poll() is None, log_path.read_text()[-3000:]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
                return True
            except OSError:
                return False
        _wait_for(serving, 180, "the demo to serve")
        # The README's recipe: the variables the demo printed.
        exported = re.search(r"CLI against it: export (.+)", log_path.read_text())[1]
        cli_env = {**env, **dict(pair.split("=", 1) for pair in exported.split())}
        yield {"database": database, "log": log_path, "cli_env": cli_env, "process": process}
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_cli_syncs_and_an_audit_beside_the_demo_leave_its_invocations_flowing(demo):
    _wait_for(lambda: _latest_invocation(demo["database"])[0] > 0, 60, "the first invocation")

    commands = [["sync", "--region", "us-east-1"]] * 3 + [["audit", "--format", "json"]]
    for command in commands:
        before = _latest_invocation(demo["database"])[0]
        result = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT,
                                env=demo["cli_env"], capture_output=True, text=True, timeout=300)
        assert result.returncode in (0, 1), result.stderr[-3000:]
        assert "database is locked" not in result.stderr
        # Invocations kept arriving while the command ran, and keep arriving after it.
        _wait_for(lambda: _latest_invocation(demo["database"])[0] > before, 30,
                  f"invocations after {' '.join(command)}")

    log = demo["log"].read_text()
    assert demo["process"].poll() is None, log[-3000:]
    assert "Exception in thread" not in log
    assert "database is locked" not in log
