import os
import uuid

import boto3
import pytest
from django.conf import settings

from flows.demo.emulator import Emulator

REQUIRE_SERVICES = os.environ.get("FLOWSCOPE_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    """Service-backed tests skip locally without REDIS_URL/Postgres, and fail in CI instead."""
    missing = []
    if not settings.REDIS_URL:
        missing.append("REDIS_URL")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing.append("DATABASE_URL (Postgres)")
    if not missing:
        return
    if REQUIRE_SERVICES:
        raise pytest.UsageError(f"FLOWSCOPE_REQUIRE_SERVICES=1 but {', '.join(missing)} unset")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)}"))


_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """In CI every test must run: a skipped test (no Redis, no Chromium...) fails the run."""
    if REQUIRE_SERVICES and _skipped and exitstatus == 0:
        print(f"\nFLOWSCOPE_REQUIRE_SERVICES=1 but {len(_skipped)} test(s) were skipped: "
              + ", ".join(_skipped[:10]))
        session.exitstatus = 1


@pytest.fixture(scope="session", autouse=True)
def isolated_redis_keys(tmp_path_factory):
    """Each test session writes its own Redis keys and lock files, so runs never collide."""
    prefix = f"flowscope-test-{uuid.uuid4().hex[:8]}"
    settings.FLOWSCOPE["REDIS_PREFIX"] = prefix
    os.environ["FLOWSCOPE_REDIS_PREFIX"] = prefix
    settings.FLOWSCOPE["LOCK_DIR"] = str(tmp_path_factory.mktemp("locks"))
    os.environ["FLOWSCOPE_LOCK_DIR"] = settings.FLOWSCOPE["LOCK_DIR"]
    yield


@pytest.fixture(scope="session")
def emulator():
    server = Emulator().start()
    saved = {k: os.environ.get(k) for k in server.environment()}
    os.environ.update(server.environment())
    yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()


@pytest.fixture
def aws(emulator):
    """A freshly reset emulator; returns a factory of boto3 clients pointed at it."""
    emulator.reset()

    def client(service, region="us-east-1"):
        return boto3.client(service, region_name=region, endpoint_url=emulator.endpoint)

    client.endpoint = emulator.endpoint
    return client
