import os
import subprocess
import sys
import time
from pathlib import Path

from tests.browser.harness import ROOT


def test_it_keeps_the_beat_schedule_under_var_whatever_the_working_directory(tmp_path):
    schedule = tmp_path / "var" / "beat-schedule"
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    # memory://: beat's tasks go nowhere, instead of into a queue another test's worker reads.
    env.update({"PYTHONPATH": str(ROOT), "CELERY_BROKER_URL": "memory://",
                "CELERY_BEAT_SCHEDULE_FILENAME": str(schedule)})
    beat = subprocess.Popen([str(Path(sys.executable).with_name("celery")), "-A", "dashboard",
                             "beat", "--max-interval", "1"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not list(schedule.parent.glob("beat-schedule*")) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        beat.terminate()
        beat.wait(10)

    assert list(schedule.parent.glob("beat-schedule*"))
    assert not list(tmp_path.glob("celerybeat-schedule*"))


def test_it_puts_the_default_beat_schedule_in_var():
    from django.conf import settings

    assert Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent == ROOT / "var"
