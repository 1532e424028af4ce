import os
import secrets
import subprocess
import sys

from tests.browser.harness import ROOT


def _manage(*args, **environment):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    env.update(environment)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_fails_on_the_development_secret_key():
    result = _manage("check", "--deploy")

    assert result.returncode != 0
    assert "flowscope.E001" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_says_nothing_about_the_key_with_the_readmes_secret_key_file(tmp_path):
    key_file = tmp_path / "flowscope-key"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")

    result = _manage("check", "--deploy", SECRET_KEY_FILE=str(key_file), SECURE_COOKIES="true",
                     BEHIND_TLS_PROXY="true", ALLOWED_HOSTS="flowscope.example.com")

    assert "SECRET_KEY" not in result.stdout + result.stderr
    assert "W009" not in result.stderr and "E001" not in result.stderr


def test_it_refuses_to_start_without_a_key_when_one_is_required():
    result = _manage("check", FLOWSCOPE_REQUIRE_SECRET_KEY="true")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_a_require_secret_key_value_that_is_not_a_boolean():
    result = _manage("check", FLOWSCOPE_REQUIRE_SECRET_KEY="please")

    assert result.returncode != 0
    assert "is not a boolean" in result.stderr
