"""/metrics: Prometheus text, behind a login or an API token."""
import re
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import TestCase

from flows.live.clients import Clients
from flows.live.poller import ensure_cursors, run_cycle
from flows.live.push import PushBatcher
from flows.models import Account, ApiToken, LogCursor, SyncRun
from flows.ops.metrics import websocket_clients
from tests.live.helpers import add_function, invocation_lines, now_ms, put_lines


def sample(text, name, **labels):
    label_text = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name + (f"{{{label_text}}}" if labels else "")) + r" (\S+)"
    match = re.search(rf"^{pattern}$", text, re.MULTILINE)
    assert match, f"no {name} {labels} in the metrics"
    return float(match[1])


def _polls(client, token):
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").content.decode()
    return sample(text, "flowscope_log_polls_total")


@pytest.fixture
def token(django_user_model):
    user = django_user_model.objects.create_user("prometheus", password="x" * 12)
    return ApiToken.objects.issue(user, name="prometheus")[1]


@pytest.mark.django_db
def test_it_refuses_an_anonymous_scrape(client):
    assert client.get("/metrics").status_code == 401


@pytest.mark.django_db
def test_it_counts_polls_invocations_calls_and_lag_from_real_polls(aws, client, token):
    add_function("worker")
    put_lines(aws, "/aws/lambda/worker", "2026/12/01/[$LATEST]a",
              invocation_lines(str(uuid.uuid4()), now_ms()))
    polls_before = _polls(client, token)
    ensure_cursors()
    LogCursor.objects.update(next_poll_at=None)
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_cycle("metrics-test", Clients(), PushBatcher(lambda *args, **kwargs: None))
    account = Account.objects.get()
    SyncRun.objects.create(account=account, status="failed", regions=["us-east-1"],
                           duration_ms=1500, api_calls=7)

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    text = response.content.decode()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert sample(text, "flowscope_log_polls_total") == polls_before + 1
    assert sample(text, "flowscope_invocations_total") == 1
    assert sample(text, "flowscope_aws_api_calls_total", source="log_polling") >= 1
    assert sample(text, "flowscope_aws_api_calls_total", source="sync") == 7
    assert sample(text, "flowscope_aws_throttles_total", source="log_polling") == 0
    assert sample(text, "flowscope_log_poll_lag_seconds", region="us-east-1") == 0
    assert sample(text, "flowscope_sync_runs_total", result="failed") == 1
    assert sample(text, "flowscope_sync_last_duration_seconds", account=account.account_id,
                  result="failed") == 1.5
    assert sample(text, "flowscope_invocations_per_second") > 0


@pytest.mark.django_db(transaction=True)
def test_it_counts_the_open_websocket_clients(client, django_user_model):
    from dashboard.asgi import application

    client.force_login(django_user_model.objects.create_user("ada", password="x" * 12))
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
    before = websocket_clients._value.get()

    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/live/", headers=[(b"origin", b"http://localhost:8000"), cookie])
        connected, _ = await communicator.connect()
        during = websocket_clients._value.get()
        await communicator.disconnect()
        return connected, during

    connected, during = async_to_sync(scenario)()

    assert connected
    assert during == before + 1
    assert websocket_clients._value.get() == before
    text = client.get("/metrics").content.decode()
    assert sample(text, "flowscope_websocket_clients") == before
