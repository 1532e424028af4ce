"""The live feed's JSON API: recent invocations, one invocation's log lines, per-function stats."""
import uuid
from urllib.parse import quote

import pytest
from django.utils import timezone

from flows.live.store import apply_events, ensure_counter
from flows.models import Invocation
from tests.live.helpers import invocation_lines

from .conftest import add_node, function_arn

pytestmark = pytest.mark.django_db

XSS_LINE = "<img src=x onerror=window.__xss=1>"
STREAM = "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef"


def now_ms():
    return int(timezone.now().timestamp() * 1000)


def store(arn, lines_per_invocation):
    """Fold Lambda-shaped log lines into Invocation rows the way the poller does."""
    ensure_counter()
    events = [{"timestamp": ts, "message": text, "logStreamName": STREAM, "eventId": str(uuid.uuid4())}
              for lines in lines_per_invocation for ts, text in lines]
    events.sort(key=lambda e: e["timestamp"])
    return apply_events(events, [arn], "/aws/lambda/" + arn.rsplit(":", 1)[-1], {})


@pytest.fixture
def worker(account):
    return add_node(account, function_arn("worker"), "lambda_function", "worker",
                    memory_size=1024, architectures=["arm64"])


def stats_url(arn):
    return f"/api/functions/{quote(arn, safe=':/')}/stats/"


@pytest.mark.parametrize("url", ["/api/invocations/", "/api/invocations/1/", stats_url(function_arn("worker"))])
def test_it_answers_401_to_anonymous_requests(client, url):
    response = client.get(url)

    assert response.status_code == 401
    assert response.json()["error"] == "authentication required"


def test_it_accepts_an_api_token_for_the_feed(client, user):
    from flows.models import ApiToken

    _, raw = ApiToken.objects.issue(user, "feed")
    response = client.get("/api/invocations/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200


def test_it_lists_the_latest_invocations_oldest_first(signed_in, worker):
    at = now_ms() - 60_000
    ids = [str(uuid.uuid4()) for _ in range(5)]
    store(worker.arn, [invocation_lines(rid, at + i * 100) for i, rid in enumerate(ids)])

    body = signed_in.get("/api/invocations/?limit=3").json()

    assert [item["request_id"] for item in body["items"]] == ids[2:]
    assert [item["function"] for item in body["items"]] == [worker.arn] * 3
    assert body["items"][0]["id"] < body["items"][1]["id"] < body["items"][2]["id"]
    assert body["more"] is False


def test_it_replays_what_came_after_an_id_and_says_when_there_is_more(signed_in, worker):
    at = now_ms() - 60_000
    store(worker.arn, [invocation_lines(at=at + i * 100) for i in range(5)])
    seqs = list(Invocation.objects.order_by("seq").values_list("seq", flat=True))

    first = signed_in.get(f"/api/invocations/?after={seqs[0]}&limit=2").json()
    rest = signed_in.get(f"/api/invocations/?after={first['items'][-1]['id']}&limit=2").json()
    last = signed_in.get(f"/api/invocations/?after={rest['items'][-1]['id']}&limit=2").json()

    assert [i["id"] for i in first["items"] + rest["items"] + last["items"]] == seqs[1:]
    assert (first["more"], rest["more"], last["more"]) == (True, True, False)


def test_it_refuses_a_limit_that_is_not_a_number(signed_in):
    assert signed_in.get("/api/invocations/?limit=lots").status_code == 400
    assert signed_in.get("/api/invocations/?after=x").status_code == 400


def test_it_returns_an_invocations_log_lines_as_plain_strings(signed_in, worker):
    request_id = str(uuid.uuid4())
    lines = invocation_lines(request_id, now_ms() - 10_000, error="ValueError", init=180.5)
    lines.insert(1, (lines[0][0], f"{request_id}\tINFO\t{XSS_LINE}\n"))
    store(worker.arn, [lines])
    seq = Invocation.objects.get(request_id=request_id).seq

    response = signed_in.get(f"/api/invocations/{seq}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["request_id"] == request_id
    assert (body["status"], body["error_type"], body["init_ms"]) == ("error", "ValueError", 180.5)
    texts = [line["text"] for line in body["log_lines"]]
    assert texts[0].startswith("START RequestId: " + request_id)
    assert any(XSS_LINE in text for text in texts)
    # Served as JSON that browsers must not sniff as HTML; the page sets each line as text.
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_answers_404_for_an_unknown_invocation(signed_in):
    response = signed_in.get("/api/invocations/999999/")

    assert response.status_code == 404
    assert response.json()["error"] == "no such invocation"


def test_its_stats_are_computed_from_the_stored_invocations(signed_in, worker):
    at = now_ms() - 120_000
    lines = []
    for i in range(20):
        lines.append(invocation_lines(
            at=at + i * 1000, duration=40.0 if i % 4 else 400.0, memory=1024, used=100 + i,
            init=210.0 if i in (0, 10) else None,
            error="KeyError" if i in (3, 7, 11) else None, timeout=(i == 19)))
    store(worker.arn, lines)
    rows = list(Invocation.objects.filter(function_arn=worker.arn))

    body = signed_in.get(stats_url(worker.arn)).json()

    assert body["function"] == worker.arn
    assert body["invocations"] == len(rows) == 20
    failed = sum(r.status in ("error", "timeout") for r in rows)
    assert failed == 4
    assert body["error_rate"] == pytest.approx(failed / len(rows))
    assert body["cold_start_ratio"] == pytest.approx(sum(r.init_ms is not None for r in rows) / len(rows))
    assert body["invocations_per_minute"] == pytest.approx(len(rows) / 60)
    assert body["p50_duration_ms"] == 50        # bucket upper bound holding 40 ms
    assert body["p95_duration_ms"] == 500       # a quarter took 400 ms
    assert body["memory_size_mb"] == 1024
    assert body["max_memory_used_mb"] == max(r.max_memory_mb for r in rows)
    assert body["oversized"] is True
    gb_s = sum(r.billed_ms / 1000 * r.memory_mb / 1024 for r in rows)
    assert body["gb_seconds"] == pytest.approx(gb_s)
    # arm64: the Arm price per GB-second.
    assert body["estimated_cost_usd"] == pytest.approx(gb_s * 0.0000133334)
    assert sum(point["count"] for point in body["series"]) == 20
    assert sum(point["errors"] for point in body["series"]) == failed


def test_its_stats_window_follows_the_minutes_parameter(signed_in, worker):
    store(worker.arn, [invocation_lines(at=now_ms() - 30 * 60_000)])

    assert signed_in.get(stats_url(worker.arn) + "?minutes=60").json()["invocations"] == 1
    assert signed_in.get(stats_url(worker.arn) + "?minutes=10").json()["invocations"] == 0
    assert signed_in.get(stats_url(worker.arn) + "?minutes=soon").status_code == 400


def test_its_stats_for_a_function_without_invocations_are_empty(signed_in, worker):
    body = signed_in.get(stats_url(worker.arn)).json()

    assert body["invocations"] == 0
    assert body["error_rate"] is None and body["p95_duration_ms"] is None
    assert body["series"] == []


def test_its_rate_is_over_the_minutes_flowscope_has_watched_not_the_whole_window(signed_in, worker):
    from datetime import timedelta

    from flows.live.poller import ensure_cursors
    from flows.models import LogCursor

    ensure_cursors()
    # Flowscope began reading this function's logs two minutes ago; six invocations since.
    LogCursor.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    store(worker.arn, [invocation_lines(at=now_ms() - 60_000 + i * 1000) for i in range(6)])

    body = signed_in.get(stats_url(worker.arn)).json()

    assert body["covered_minutes"] == pytest.approx(2, abs=0.05)
    assert body["invocations_per_minute"] == pytest.approx(6 / body["covered_minutes"])
    assert body["delivery"] == "polling"
