"""The public lab account of the benchmark: principals named privesc*/fn* can escalate, fp* cannot.

Graded by the labels only; the product never looks at names."""
import json
from pathlib import Path

import pytest

from flows.audit import Category, audit_authorization_details

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = [REPO.parent / "shared/benchmarks/iam/cloudsplaining-example.json",
              Path("/work/shared/benchmarks/iam/cloudsplaining-example.json")]
EXAMPLE = next((p for p in CANDIDATES if p.exists()), None)


@pytest.mark.skipif(EXAMPLE is None, reason="benchmark file not present")
def test_it_gets_at_least_95_percent_of_the_labelled_principals_right():
    details = json.loads(EXAMPLE.read_text())
    findings = audit_authorization_details(details).findings
    escalating = {f.principal for f in findings
                  if f.category in (Category.ADMIN, Category.PRIVILEGE_ESCALATION)}
    graded = right = 0
    for entity in details["UserDetailList"] + details["RoleDetailList"]:
        name = entity["Arn"].rsplit("/", 1)[-1]
        if name.startswith(("privesc", "fn", "fp")):
            graded += 1
            right += (entity["Arn"] in escalating) == (not name.startswith("fp"))
    assert graded == 86
    assert right / graded >= 0.95
