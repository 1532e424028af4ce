"""Static files are served by the app itself (WhiteNoise), with and without collectstatic."""
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.browser.harness import ROOT, free_port


def test_it_serves_static_files_from_the_source_folders_before_collectstatic(signed_in):
    page = signed_in.get("/").content.decode()
    script = signed_in.get("/static/flows/graph.js")
    vendor = signed_in.get("/static/vendor/cytoscape/package.json")

    assert 'href="/static/flows/app.css"' in page
    assert script.status_code == 200
    assert b"".join(script.streaming_content)
    assert vendor.status_code == 200


def test_it_answers_404_for_a_static_file_that_does_not_exist(signed_in):
    assert signed_in.get("/static/flows/nope.js").status_code == 404


def _get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_it_serves_hashed_compressed_files_under_daphne_after_collectstatic(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"STATIC_ROOT": str(tmp_path / "static"), "DEBUG": "false",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "LOG_LEVEL": "WARNING"})
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL, timeout=120)
    port = free_port()
    daphne = Path(sys.executable).with_name("daphne")
    server = subprocess.Popen([str(daphne), "-b", "127.0.0.1", "-p", str(port),
                               "dashboard.asgi:application"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _, _, login = _get(base + "/login/")
                break
            except OSError:
                assert time.monotonic() < deadline, "daphne did not answer within 30 s"
                time.sleep(0.2)
        stylesheet = re.search(r'href="(/static/flows/app\.[0-9a-f]{12}\.css)"', login.decode())
        assert stylesheet, "the login page does not link the hashed stylesheet"
        status, headers, _ = _get(base + stylesheet.group(1), **{"Accept-Encoding": "gzip"})
        plain_status, _, script = _get(base + "/static/flows/graph.js")
    finally:
        server.terminate()
        server.wait(10)

    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"]
    assert plain_status == 200 and script
