import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from flows.models import ApiToken

from .conftest import PASSWORD

PAGES = ["/", "/node/arn:aws:lambda:us-east-1:123456789012:function:fn", "/history/", "/history/1/"]
API_GETS = [
    "/api/graph/",
    "/api/graph/?format=dot",
    "/api/nodes/arn:aws:sqs:us-east-1:123456789012:q",
    "/api/sync-runs/",
    "/api/sync-runs/1/",
    "/api/status/",
]


@pytest.mark.parametrize("url", PAGES)
def test_it_sends_anonymous_visitors_of_pages_to_the_login_form(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("url", API_GETS)
def test_it_answers_anonymous_api_calls_with_401_json(client, db, url):
    response = client.get(url)

    assert response.status_code == 401
    assert response.json() == {"error": "authentication required"}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_answers_an_anonymous_sync_request_with_401_json(client, db):
    assert client.post("/api/sync/").status_code == 401


def test_it_logs_a_user_in_with_the_standard_form(client, user):
    form = client.get("/login/")
    assert b'name="username"' in form.content and b'name="password"' in form.content

    response = client.post(
        "/login/?next=/history/", {"username": "ada", "password": PASSWORD, "next": "/history/"}
    )

    assert response.status_code == 302 and response["Location"] == "/history/"
    assert client.get("/history/").status_code == 200


def test_it_rejects_a_wrong_password(client, user):
    response = client.post("/login/", {"username": "ada", "password": "guess"})

    assert response.status_code == 200
    assert client.get("/api/status/").status_code == 401


def test_it_does_not_redirect_off_site_after_login(client, user):
    response = client.post(
        "/login/", {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_it_logs_out_on_post(signed_in):
    response = signed_in.post("/logout/")

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert signed_in.get("/api/status/").status_code == 401


def test_it_does_not_log_out_on_get(signed_in):
    assert signed_in.get("/logout/").status_code == 405
    assert signed_in.get("/api/status/").status_code == 200


def test_it_requires_the_csrf_token_on_login(user):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": "ada", "password": PASSWORD})

    assert response.status_code == 403


def test_it_accepts_an_api_token_on_api_endpoints(client, user):
    _, raw = ApiToken.objects.issue(user, name="ci")

    response = client.get("/api/status/", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 200
    assert response.json()["state"] == "empty"


def test_it_does_not_accept_an_api_token_on_pages(client, user):
    _, raw = ApiToken.objects.issue(user)

    response = client.get("/", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 302


@pytest.mark.parametrize("header", ["Bearer fs_not-a-token", "Bearer ", "Basic YWRhOnB3"])
def test_it_refuses_bad_authorization_headers(client, user, header):
    response = client.get("/api/graph/", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json() == {"error": "invalid API token"}


def test_it_refuses_a_token_of_an_inactive_user(client, user):
    _, raw = ApiToken.objects.issue(user)
    user.is_active = False
    user.save()

    assert client.get("/api/graph/", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_it_stores_only_the_hash_of_a_token(user):
    token, raw = ApiToken.objects.issue(user)

    assert raw not in (token.token_hash, token.prefix)
    assert not ApiToken.objects.filter(token_hash=raw).exists()
    assert raw.startswith(token.prefix)


def test_it_records_when_a_token_was_last_used(client, user):
    token, raw = ApiToken.objects.issue(user)
    assert token.last_used_at is None

    client.get("/api/status/", headers={"Authorization": f"Bearer {raw}"})

    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


def test_it_lets_a_token_start_a_sync_without_a_csrf_token(user, monkeypatch):
    monkeypatch.setattr("flows.tasks.start_sync", lambda regions=None, role_arn=None: "celery")
    _, raw = ApiToken.objects.issue(user)
    client = Client(enforce_csrf_checks=True)

    response = client.post("/api/sync/", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 202
    assert response.json()["mode"] == "celery"


def test_it_refuses_a_session_sync_request_without_the_csrf_token(csrf_client, monkeypatch):
    started = []
    monkeypatch.setattr(
        "flows.tasks.start_sync", lambda regions=None, role_arn=None: started.append(1)
    )

    response = csrf_client.post("/api/sync/")

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    assert started == []


def test_it_accepts_a_session_sync_request_with_the_csrf_token(csrf_client, monkeypatch):
    monkeypatch.setattr("flows.tasks.start_sync", lambda regions=None, role_arn=None: "thread")
    csrf_client.get("/")  # the page sets the csrftoken cookie, as in the browser
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post("/api/sync/", headers={"X-CSRFToken": token})

    assert response.status_code == 202


def test_it_creates_a_token_from_the_command_line(client, user):
    out = io.StringIO()

    call_command("create_api_token", "ada", "--name", "export job", stdout=out)

    raw = out.getvalue().strip()
    assert ApiToken.objects.get().name == "export job"
    assert client.get("/api/graph/", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_it_refuses_a_token_for_an_unknown_user(db):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("create_api_token", "nobody")


def test_it_returns_to_a_deep_link_after_login(client, user):
    from urllib.parse import parse_qs, urlparse

    arn = "arn:aws:iam::123456789012:role/service-role/worker"
    login_url = client.get(f"/node/{arn}")["Location"]
    next_url = parse_qs(urlparse(login_url).query)["next"][0]

    response = client.post(login_url, {"username": "ada", "password": PASSWORD, "next": next_url})

    assert client.get(response["Location"]).context["config"]["focus"] == arn
