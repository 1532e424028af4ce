"""/healthz for load balancers and /api/health/ for the page's status line."""
from datetime import timedelta

import pytest
import redis
from celery.signals import task_prerun
from django.conf import settings
from django.utils import timezone

from flows.models import Account, LogCursor, SyncRun
from flows.ops import heartbeat
from tests.web.conftest import ACCOUNT_ID

pytestmark = [pytest.mark.django_db, pytest.mark.services]


@pytest.fixture(autouse=True)
def no_workers_seen():
    redis.Redis.from_url(settings.REDIS_URL).delete(heartbeat._key())
    yield
    redis.Redis.from_url(settings.REDIS_URL).delete(heartbeat._key())


@pytest.fixture
def account():
    return Account.objects.create(account_id=ACCOUNT_ID)


def cursor(account, behind_seconds, region="us-east-1", name="worker"):
    now = timezone.now()
    return LogCursor.objects.create(account=account, region=region, log_group=f"/aws/lambda/{name}",
                                    next_poll_at=now - timedelta(seconds=behind_seconds),
                                    last_polled_at=now - timedelta(seconds=behind_seconds + 1))


def test_it_is_healthy_with_the_database_redis_and_a_worker_that_started_a_task(client):
    task_prerun.send(sender=None)  # what each Celery task start does (dashboard/celery.py)

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok", "redis": "ok", "workers": "ok", "polling": "ok"}
    assert body["checks"]["workers"]["workers"] == 1
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_answers_503_when_no_worker_was_seen(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    workers = response.json()["checks"]["workers"]
    assert workers["status"] == "fail" and "celery -A dashboard worker" in workers["advice"]


def test_it_answers_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {
        "status": "fail", "error": "ConnectionError",
        "advice": "Redis does not answer: live updates, Celery and locks stop. "
                  "Check REDIS_URL and the Redis server."}


def test_it_warns_when_polling_falls_behind_and_fails_when_it_stopped(client, account):
    heartbeat.record()
    late = cursor(account, 60)

    warned = client.get("/healthz")
    LogCursor.objects.filter(pk=late.pk).update(
        next_poll_at=timezone.now() - timedelta(seconds=400))
    failed = client.get("/healthz")

    assert warned.status_code == 200
    assert warned.json()["status"] == "warn"
    assert warned.json()["checks"]["polling"]["lag_seconds"] >= 60
    assert failed.status_code == 503
    polling = failed.json()["checks"]["polling"]
    assert polling["status"] == "fail" and polling["lag_by_region"]["us-east-1"] >= 400
    assert "celery -A dashboard beat" in polling["advice"]


def test_it_shows_nothing_of_the_data_without_a_login(client, account):
    SyncRun.objects.create(account=account, status="failed", regions=["us-east-1"])

    body = client.get("/healthz").json()

    assert "last_sync" not in body["checks"]
    assert ACCOUNT_ID not in str(body)


def test_the_page_report_names_a_failed_last_sync_and_what_to_do(signed_in, account):
    heartbeat.record()
    SyncRun.objects.create(account=account, status="failed", regions=["us-east-1"],
                           finished_at=timezone.now())

    body = signed_in.get("/api/health/").json()

    assert body["status"] == "warn"
    assert body["checks"]["last_sync"]["status"] == "warn"
    assert "History page" in body["checks"]["last_sync"]["advice"]


def test_the_page_report_needs_a_login(client):
    assert client.get("/api/health/").status_code == 401


@pytest.fixture
def signed_in(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ada", password="x" * 12))
    return client
