"""Findings out: exclusions (suppressed with a reason, never dropped), JSON, SARIF and a table."""
import fnmatch
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .findings import FINDINGS_FORMAT, Category, Severity, sorted_findings

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
               Severity.LOW: "note", Severity.INFO: "note"}
# GitHub code scanning ranks alerts by this property (0.0-10.0).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "0.0"}


class ExclusionError(ValueError):
    pass


@dataclass(frozen=True)
class Exclusion:
    principal: str  # glob over the principal ARN (or its last path segment)
    category: str  # glob over the category
    reason: str

    def applies(self, finding):
        name = finding.principal.rsplit("/", 1)[-1]
        return (fnmatch.fnmatchcase(finding.principal, self.principal)
                or fnmatch.fnmatchcase(name, self.principal)) \
            and fnmatch.fnmatchcase(str(finding.category), self.category)


def load_exclusions(path):
    """Read a JSON or TOML exclusions file; every entry needs a reason.

    JSON: {"exclusions": [{"principal": "arn:aws:iam::*:role/deploy-*", "category": "admin",
    "reason": "the pipeline role"}]}; TOML: [[exclusions]] tables with the same keys."""
    text = Path(path).read_text()
    try:
        data = tomllib.loads(text) if str(path).endswith(".toml") else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ExclusionError(f"{path}: not valid {'TOML' if str(path).endswith('.toml') else 'JSON'}: {exc}")
    entries = data.get("exclusions") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ExclusionError(f'{path}: expected a list under "exclusions"')
    categories = {str(c) for c in Category}
    exclusions = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not str(entry.get("reason") or "").strip():
            raise ExclusionError(f"{path}: exclusion {number} needs a non-empty reason")
        category = str(entry.get("category") or "*")
        if not any(fnmatch.fnmatchcase(c, category) for c in categories):
            raise ExclusionError(f"{path}: exclusion {number}: no category matches {category!r}")
        exclusions.append(Exclusion(str(entry.get("principal") or "*"), category, entry["reason"].strip()))
    return exclusions


def apply_exclusions(findings, exclusions):
    for finding in findings:
        for exclusion in exclusions:
            if exclusion.applies(finding):
                finding.suppressed, finding.suppressed_reason = True, exclusion.reason
                break
    return findings


def failing(findings, fail_on):
    """Unsuppressed findings at or above the `fail_on` severity."""
    if not fail_on:
        return []
    threshold = Severity(fail_on).rank
    return [f for f in findings if not f.suppressed and f.severity.rank >= threshold]


def to_json(findings, action_data):
    return json.dumps({"format": FINDINGS_FORMAT, "action_data": action_data,
                       "findings": [f.to_dict() for f in sorted_findings(findings)]}, indent=2)


def to_sarif(findings, action_data, *, artifact=None):
    rules = {}
    results = []
    for finding in sorted_findings(findings):
        rule_id = f"flowscope/{finding.category}"
        rules.setdefault(rule_id, {
            "id": rule_id, "name": str(finding.category).title().replace("_", ""),
            "shortDescription": {"text": f"IAM audit: {str(finding.category).replace('_', ' ')}"},
            "properties": {"tags": ["security", "iam"]},
        })
        result = {
            "ruleId": rule_id, "level": SARIF_LEVEL[finding.severity],
            "message": {"text": f"{finding.title}. {finding.detail}"},
            "locations": [{
                "logicalLocations": [{"fullyQualifiedName": finding.principal, "kind": "resource"}],
                # Code scanning places results on a file: the authorization details, line 1.
                **({"physicalLocation": {"artifactLocation": {"uri": artifact},
                                         "region": {"startLine": 1}}} if artifact else {}),
            }],
            "partialFingerprints": {"flowscope/v1": "|".join(
                [finding.principal, str(finding.category), finding.title])},
            "properties": {"severity": str(finding.severity), "security-severity":
                           SECURITY_SEVERITY[finding.severity], "policy": finding.policy,
                           "actions": finding.actions, "functions": finding.functions,
                           "confidence": finding.confidence},
        }
        if finding.suppressed:
            result["suppressions"] = [{"kind": "external", "justification": finding.suppressed_reason}]
        results.append(result)
    return json.dumps({
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{"tool": {"driver": {
            "name": "flowscope-audit", "version": action_data, "rules": list(rules.values())}},
            "results": results}],
    }, indent=2)


def to_table(findings, action_data):
    rows = [("SEVERITY", "CATEGORY", "PRINCIPAL", "POLICY", "TITLE")]
    for f in sorted_findings(findings):
        rows.append((str(f.severity) + (" (suppressed)" if f.suppressed else ""), str(f.category),
                     f.principal.rsplit("/", 1)[-1] if f.principal.startswith("arn:") else f.principal,
                     _clip(f.policy or "-", 30), _clip(f.title, 70)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip()
             for row in rows]
    open_count = sum(1 for f in findings if not f.suppressed)
    counts = ", ".join(f"{sum(1 for f in findings if f.severity == s and not f.suppressed)} {s}"
                       for s in Severity)
    lines.append("")
    lines.append(f"{open_count} findings ({counts}), {len(findings) - open_count} suppressed; "
                 f"action data: {action_data}")
    return "\n".join(lines) + "\n"


def _clip(text, width):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


RENDERERS = {"table": to_table, "json": to_json, "sarif": to_sarif}
