import json

import pytest
from django.core.management import CommandError, call_command

from .canned import AUTHORIZATION_DETAILS


def run(*args):
    from io import StringIO

    out = StringIO()
    try:
        call_command("audit", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.fixture
def details_file(tmp_path):
    path = tmp_path / "details.json"
    path.write_text(json.dumps(AUTHORIZATION_DETAILS))
    return path


def test_it_prints_json_findings_for_an_authorization_details_file(details_file):
    out, error = run("--authorization-details", str(details_file), "--format", "json")
    document = json.loads(out)
    assert error is None
    assert document["format"] == "flowscope.findings/1"
    assert {"admin", "privilege_escalation", "cross_account"} <= {f["category"] for f in document["findings"]}


def test_it_exits_non_zero_when_a_finding_reaches_fail_on(details_file):
    out, error = run("--authorization-details", str(details_file), "--fail-on", "critical")
    assert error is not None and error.returncode == 1
    assert "critical" in out


def test_suppressing_every_critical_finding_lets_the_pipeline_pass(details_file, tmp_path):
    exclusions = tmp_path / "exclusions.json"
    exclusions.write_text(json.dumps({"exclusions": [{"principal": "*", "category": "*",
                                                      "reason": "lab account"}]}))
    out, error = run("--authorization-details", str(details_file), "--fail-on", "medium",
                     "--exclusions", str(exclusions), "--format", "sarif")
    assert error is None
    assert all(r.get("suppressions") for r in json.loads(out)["runs"][0]["results"])


def test_an_invalid_json_file_becomes_an_unparseable_finding(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"RoleDetailList": [')
    out, error = run("--authorization-details", str(path), "--format", "json", "--fail-on", "medium")
    [finding] = json.loads(out)["findings"]
    assert finding["category"] == "unparseable" and error.returncode == 1


def test_a_bad_exclusions_file_is_an_error(details_file, tmp_path):
    exclusions = tmp_path / "exclusions.json"
    exclusions.write_text("{")
    _, error = run("--authorization-details", str(details_file), "--exclusions", str(exclusions))
    assert error is not None and "exclusions" in str(error)
