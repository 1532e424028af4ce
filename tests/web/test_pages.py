import json
import re

import pytest
from django.utils import timezone

from flows.models import SyncRun
from flows.vocabulary import SyncStatus

from .conftest import XSS, function_arn


def page_config(response):
    match = re.search(
        rb'<script id="flowscope-config" type="application/json">(.*?)</script>',
        response.content,
        re.DOTALL,
    )
    assert match, "the page has no flowscope-config element"
    return json.loads(match.group(1))


def test_it_gives_the_graph_page_its_configuration(signed_in):
    response = signed_in.get("/")

    assert response.status_code == 200
    assert page_config(response) == {
        "graph_url": "/api/graph/",
        "node_url_prefix": "/api/nodes/",
        "node_page_prefix": "/node/",
        "sync_url": "/api/sync/",
        "status_url": "/api/status/",
        "sync_runs_url": "/api/sync-runs/",
        "history_url": "/history/",
        "ws_path": "/ws/live/",
        "focus": None,
        "user": "ada",
    }


def test_it_opens_a_deep_link_focused_on_its_node(signed_in):
    arn = "arn:aws:iam::123456789012:role/service-role/worker"

    response = signed_in.get(f"/node/{arn}")

    assert response.status_code == 200
    assert page_config(response)["focus"] == arn


def test_it_keeps_a_hostile_deep_link_inside_the_json_config(signed_in):
    arn = "arn:aws:sqs:us-east-1:123456789012:</script><script>alert(1)</script>"

    response = signed_in.get(f"/node/{arn}")

    assert b"<script>alert(1)" not in response.content
    assert page_config(response)["focus"] == arn


def test_it_shows_the_navigation_and_a_logout_form(signed_in):
    html = signed_in.get("/history/").content.decode()

    assert '<a href="/"' in html and '<a href="/history/" aria-current="page">History</a>' in html
    assert re.search(
        r'<form method="post" action="/logout/"[^>]*>\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken"',
        html,
    )


def test_it_says_when_no_account_was_synced_yet(signed_in):
    response = signed_in.get("/history/")

    assert b"No account synced yet" in response.content


@pytest.fixture
def hostile_runs(account):
    """Runs whose AWS-sourced strings (error messages, ARNs in diffs) hold markup."""
    account.name = XSS
    account.save()
    ok = SyncRun.objects.create(
        account=account,
        status=SyncStatus.SUCCESS,
        regions=["us-east-1"],
        finished_at=timezone.now(),
        duration_ms=2345.6,
        api_calls=57,
        node_count=12,
        edge_count=9,
        nodes_added=2,
        edges_added=1,
        api_calls_by_service={"lambda": 40, "sqs": 17},
        diff={
            "nodes": {
                "added": [function_arn("new-fn"), f"arn:aws:sns:us-east-1:123456789012:{XSS}"],
                "removed": [function_arn("old-fn")],
                "changed": [],
            },
            "edges": {
                "added": [
                    {
                        "source": "arn:aws:sqs:us-east-1:123456789012:q",
                        "kind": "sqs",
                        "target": function_arn("new-fn"),
                        "key": XSS,
                    }
                ],
                "removed": [],
                "changed": [],
            },
        },
    )
    failed = SyncRun.objects.create(
        account=account,
        status=SyncStatus.FAILED,
        regions=["eu-west-1"],
        finished_at=timezone.now(),
        duration_ms=80,
        api_calls=1,
        errors=[{"service": "sts", "region": "eu-west-1", "code": "ExpiredToken", "message": XSS}],
    )
    return ok, failed


def test_it_lists_sync_runs_with_status_duration_calls_and_errors(signed_in, hostile_runs):
    ok, failed = hostile_runs

    html = signed_in.get("/history/").content.decode()

    assert html.index(f'href="/history/{failed.pk}/"') < html.index(f'href="/history/{ok.pk}/"')
    assert "2346 ms" in html and ">57<" in html
    assert "ExpiredToken" in html and "failed" in html


def test_it_renders_aws_strings_on_the_history_page_as_text(signed_in, hostile_runs):
    html = signed_in.get("/history/").content.decode()

    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_it_shows_the_diff_of_one_run_as_text(signed_in, hostile_runs):
    ok, _ = hostile_runs

    response = signed_in.get(f"/history/{ok.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert XSS not in html
    assert f'<a href="/node/{function_arn("new-fn")}">' in html
    assert "Nodes added: 2" in html and "Nodes removed: 1" in html and "Edges added: 1" in html
    assert function_arn("old-fn") in html
    assert "lambda 40, sqs 17" in html


def test_it_explains_a_failed_run(signed_in, hostile_runs):
    _, failed = hostile_runs

    html = signed_in.get(f"/history/{failed.pk}/").content.decode()

    assert "This sync failed" in html
    assert "ExpiredToken" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_it_explains_a_partial_run(signed_in, account):
    run = SyncRun.objects.create(
        account=account,
        status=SyncStatus.PARTIAL,
        regions=["us-east-1"],
        errors=[
            {
                "service": "sns",
                "region": "us-east-1",
                "code": "AccessDenied",
                "message": "not authorized",
            }
        ],
    )

    html = signed_in.get(f"/history/{run.pk}/").content.decode()

    assert "Partial sync" in html and "AccessDenied" in html and "not authorized" in html


def test_it_shows_the_progress_of_a_running_sync(signed_in, account):
    SyncRun.objects.create(account=account, progress={"done": 3, "total": 13, "resources": 40})

    html = signed_in.get("/history/").content.decode()

    assert "running (3/13 services)" in html


def test_it_shortens_a_huge_diff(signed_in, account):
    added = [function_arn(f"fn-{i}") for i in range(600)]
    run = SyncRun.objects.create(
        account=account,
        status=SyncStatus.SUCCESS,
        nodes_added=600,
        diff={
            "nodes": {"added": added, "removed": [], "changed": []},
            "edges": {"added": [], "removed": [], "changed": []},
        },
    )

    html = signed_in.get(f"/history/{run.pk}/").content.decode()

    assert "Nodes added: 600" in html and "and 100 more" in html
    assert function_arn("fn-499") in html and function_arn("fn-500") not in html


def test_it_answers_404_for_an_unknown_run(signed_in, db):
    assert signed_in.get("/history/4242/").status_code == 404


def test_it_pages_a_long_history(signed_in, account):
    SyncRun.objects.bulk_create(
        SyncRun(account=account, status=SyncStatus.SUCCESS) for _ in range(30)
    )

    first = signed_in.get("/history/").content.decode()
    second = signed_in.get("/history/?page=2").content.decode()

    assert first.count('class="run ') == 25 and second.count('class="run ') == 5
    assert "Page 1 of 2" in first
