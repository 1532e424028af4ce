"""The audit's JSON API: stored findings in the flowscope.findings/1 shape, and a per-node
summary for the graph's badges. Same authentication as the rest of the API."""
from django.conf import settings
from django.http import JsonResponse

from . import params as checked
from .api import api_login_required, require_GET
from .audit.findings import FINDINGS_FORMAT, Category, Severity
from .views_audit import (
    concerned,
    is_function,
    is_role,
    select_findings,
    stored_action_data,
)

RANK = {str(s): s.rank for s in Severity}


def finding_json(finding):
    data = {
        "principal": finding.principal, "functions": list(finding.functions or []),
        "severity": finding.severity, "category": finding.category, "title": finding.title,
        "detail": finding.detail, "policy": finding.policy, "actions": list(finding.actions or []),
        "resources": list(finding.resources or []), "suppressed": finding.suppressed,
        "confidence": finding.confidence, "account": finding.account.account_id, "id": finding.pk,
    }
    if finding.suppressed_reason:
        data["suppressed_reason"] = finding.suppressed_reason
    return data


@require_GET
@api_login_required
@checked.answers_bad_parameters
def findings(request):
    """Stored findings, most severe first. Filters (all optional): ?account= ?category=
    ?severity= ?function= ?role= ?stack= and ?arn= (findings about that role or function)."""
    params = {
        "account": checked.account(request),
        "category": checked.choice(request, "category", Category),
        "severity": checked.choice(request, "severity", Severity),
        "function": checked.optional(request, "function", checked.function_arn),
        "role": checked.optional(request, "role", checked.role_arn),
        "stack": checked.optional(request, "stack", checked.stack_name),
        "arn": checked.optional(request, "arn", checked.any_arn),
    }
    rows, _ = select_findings(params)
    return JsonResponse({"format": FINDINGS_FORMAT, "action_data": stored_action_data(rows),
                         "findings": [finding_json(f) for f in rows]})


@require_GET
@api_login_required
@checked.answers_bad_parameters
def findings_summary(request):
    """{ARN: {"count", "max_severity", "suppressed"}} for every role and function with findings.

    "count" and "max_severity" cover open findings at or above ?min_severity= (default
    FLOWSCOPE_AUDIT_BADGE_MIN_SEVERITY: what a badge shows); "suppressed" counts suppressed
    ones. A role's finding also counts for each function that uses the role."""
    minimum = request.GET.get("min_severity", "").strip() or settings.FLOWSCOPE["AUDIT_BADGE_MIN_SEVERITY"]
    if minimum not in RANK:
        return JsonResponse({"error": f"min_severity must be one of {', '.join(RANK)}"}, status=400)
    rows, _ = select_findings({"account": checked.account(request)})
    summary = {}
    for finding in rows:
        arns = set(concerned(finding))
        if is_role(finding.principal) or is_function(finding.principal):
            arns.add(finding.principal)
        for arn in arns:
            entry = summary.setdefault(arn, {"count": 0, "max_severity": None, "suppressed": 0})
            if finding.suppressed:
                entry["suppressed"] += 1
                continue
            if RANK[finding.severity] < RANK[minimum]:
                continue
            entry["count"] += 1
            if entry["max_severity"] is None or RANK[finding.severity] > RANK[entry["max_severity"]]:
                entry["max_severity"] = finding.severity
    return JsonResponse(summary)
