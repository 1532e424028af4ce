import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.middleware import content_security_policy

ROOT = Path(__file__).resolve().parents[2]


def directives(header):
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("url", ["/", "/history/", "/api/status/", "/login/"])
def test_it_sends_a_content_security_policy_without_inline_scripts(signed_in, url):
    response = signed_in.get(url)

    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]


def test_it_allows_websockets_to_the_same_host_only(signed_in):
    response = signed_in.get("/", HTTP_HOST="localhost:8000")

    policy = directives(response["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'", "ws://localhost:8000", "wss://localhost:8000"]


def test_it_leaves_the_websocket_hosts_out_for_a_host_it_does_not_serve():
    assert "evil" not in content_security_policy("")
    assert directives(content_security_policy(""))["connect-src"] == ["'self'"]


@pytest.mark.parametrize("url", ["/", "/login/", "/api/graph/"])
def test_it_forbids_framing(signed_in, url):
    assert signed_in.get(url)["X-Frame-Options"] == "DENY"


def test_it_sets_nosniff_and_a_same_origin_referrer_policy(signed_in):
    response = signed_in.get("/")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_it_keeps_the_session_cookie_away_from_scripts(client, user):
    from .conftest import PASSWORD

    response = client.post("/login/", {"username": "ada", "password": PASSWORD})

    assert response.cookies["sessionid"]["httponly"]
    assert not response.cookies["sessionid"]["secure"]


def test_it_marks_cookies_secure_when_asked(client, user, settings):
    from .conftest import PASSWORD

    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    response = client.post("/login/", {"username": "ada", "password": PASSWORD})

    assert response.cookies["sessionid"]["secure"]
    assert response.cookies["csrftoken"]["secure"]


def settings_under(environment):
    """Import the settings in a fresh interpreter with ``environment`` added."""
    env = {**os.environ, **environment}
    env.pop("SECURE_COOKIES_FILE", None)
    code = "import dashboard.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_reads_secure_cookies_from_the_environment():
    assert settings_under({"SECURE_COOKIES": "true"}).stdout.split() == ["True", "True"]
    assert settings_under({"SECURE_COOKIES": "false"}).stdout.split() == ["False", "False"]


def test_it_fails_loudly_on_a_bad_secure_cookies_value():
    result = settings_under({"SECURE_COOKIES": "yes-please"})

    assert result.returncode != 0
    assert "SECURE_COOKIES='yes-please' is not a boolean" in result.stderr
