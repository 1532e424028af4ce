"""The README's "Running at scale" commands as written, on Postgres and Redis: migrate,
collectstatic, daphne, one Celery worker and one beat; then Chromium logs in, sees the graph
drawn from hashed static files, and sees an invocation written to the emulator arrive live.

`pip install .` and `npm ci` are what `make setup` ran to build the interpreter and
node_modules this test uses; everything after them runs here, in separate processes.
"""
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from playwright.sync_api import expect

from tests.aws.test_lambda import ROLE_POLICY, make_function
from tests.browser.harness import ROOT, free_port, launch_chromium, log_in
from tests.live.helpers import invocation_lines, now_ms, put_lines

pytestmark = [pytest.mark.services, pytest.mark.browser]

BIN = Path(sys.executable).parent
# The production processes get a Redis database of their own: their Celery queue must not
# feed (or be fed by) the workers other tests start.
REDIS_DB = int(os.environ.get("FLOWSCOPE_PRODUCTION_TEST_REDIS_DB", "3"))


def _database():
    """A fresh Postgres database beside the test database; (URL, drop function)."""
    db = settings.DATABASES["default"]
    name = f"flowscope_prod_{uuid.uuid4().hex[:8]}"
    server = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"],
              "password": db["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(**server) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{server['host']}:{server['port']}/{name}", drop


def _redis_url():
    base = settings.REDIS_URL.rsplit("/", 1)[0] if re.search(r"/\d+$", settings.REDIS_URL) \
        else settings.REDIS_URL.rstrip("/")
    return f"{base}/{REDIS_DB}"


class Deployment:
    def __init__(self, workdir, database_url, redis_url):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        key_file = workdir / "flowscope-key"
        key_file.write_text(secrets.token_urlsafe(50))
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("SECRET_KEY", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
        self.env.update({
            "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "SECRET_KEY_FILE": str(key_file), "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "FLOWSCOPE_REGIONS": "us-east-1", "STATIC_ROOT": str(workdir / "static"),
            "CELERY_BEAT_SCHEDULE_FILENAME": str(workdir / "celerybeat-schedule"),
            "FLOWSCOPE_REDIS_PREFIX": f"flowscope-prod-{uuid.uuid4().hex[:8]}",
            "FLOWSCOPE_LOCK_DIR": str(workdir / "locks"),
            "DJANGO_SUPERUSER_PASSWORD": "production-path-password",
            "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
        })
        self.processes = {}

    def manage(self, *args):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"manage.py {' '.join(args)}: {result.stderr[-3000:]}"
        return result.stdout

    def start(self, name, *command):
        log = open(self.workdir / f"{name}.log", "wb")
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT)
        log.close()

    def log(self, name):
        return (self.workdir / f"{name}.log").read_text(errors="replace")[-4000:]

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return response.status, response.read()

    def wait_for(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited:\n{self.log(name)}"
            try:
                if condition():
                    return
            except OSError:
                pass
            time.sleep(0.5)
        logs = "\n".join(f"--- {name}\n{self.log(name)}" for name in self.processes)
        raise AssertionError(f"waited {timeout} s for {what}\n{logs}")

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def _healthz(deployment):
    try:
        status, body = deployment.get("/healthz")
    except urllib.error.HTTPError as exc:  # 503 while workers are not seen yet
        status, body = exc.code, exc.read()
    return status, body


@pytest.fixture
def deployment(tmp_path):
    database_url, drop = _database()
    redis_url = _redis_url()
    redis.Redis.from_url(redis_url).flushdb()
    deployment = Deployment(tmp_path, database_url, redis_url)
    try:
        yield deployment
    finally:
        deployment.stop()
        redis.Redis.from_url(redis_url).flushdb()
        drop()


def test_the_readmes_production_commands_serve_a_working_dashboard(deployment, aws):
    role = aws("iam").create_role(RoleName="checkout-role",
                                  AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    make_function(aws, "checkout", role)
    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:checkout"
    group, stream = "/aws/lambda/checkout", "2026/12/01/[$LATEST]prod"
    put_lines(aws, group, stream, invocation_lines(str(uuid.uuid4()), now_ms()))

    # The README, in order (after pip install . and npm ci).
    deployment.manage("migrate", "--noinput")
    deployment.manage("collectstatic", "--noinput")
    deployment.manage("check", "--deploy", "--fail-level", "ERROR")
    deployment.manage("createsuperuser", "--noinput", "--username", "ada", "--email",
                      "ada@example.com")
    deployment.manage("sync", "--region", "us-east-1")
    deployment.start("daphne", str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(deployment.port),
                     "dashboard.asgi:application")
    deployment.start("worker", str(BIN / "celery"), "-A", "dashboard", "worker",
                     "--concurrency", "2", "--loglevel", "INFO")
    deployment.start("beat", str(BIN / "celery"), "-A", "dashboard", "beat", "--loglevel", "INFO")
    deployment.wait_for(lambda: deployment.get("/login/")[0] == 200, 60, "daphne to answer")
    deployment.wait_for(lambda: _healthz(deployment)[0] == 200, 90,
                        "/healthz to see the worker polling")

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=deployment.url,
                                      viewport={"width": 1400, "height": 900})
        page = context.new_page()
        failures = []
        page.on("response", lambda r: failures.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.on("pageerror", lambda exc: failures.append(str(exc)))
        try:
            log_in(page, ("ada", "production-path-password"))
            graph = page.locator("#fs-graph")
            expect(graph).to_have_attribute("data-state", "ready", timeout=30000)
            drawn = page.evaluate("() => window.flowscope.cy.nodes().map(n => n.id())")
            assert function_arn in drawn
            # Execution roles are off the canvas until asked for (the inspector names them).
            page.check("#fs-show-roles")
            page.wait_for_function("arn => window.flowscope.cy.getElementById(arn).length === 1", arg=role)
            stylesheet = page.locator("link[rel=stylesheet]").first.get_attribute("href")
            assert re.fullmatch(r"/static/flows/app\.[0-9a-f]{12}\.css", stylesheet)

            rows = page.locator(f'#fs-live-rows tr[data-function="{function_arn}"]')
            expect(rows.first).to_be_attached(timeout=60000)  # the invocation before the page
            before = rows.count()
            put_lines(aws, group, stream, invocation_lines(str(uuid.uuid4()), now_ms()))
            expect(rows).to_have_count(before + 1, timeout=60000)
        finally:
            context.close()
            browser.close()
    assert failures == []
