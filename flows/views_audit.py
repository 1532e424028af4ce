"""The audit pages: findings of every synced account, and one page per IAM role.

Both are server-rendered like the history pages; the only script is a copy button. The
analysis lives in flows.audit and flows.auditing; here we only select and arrange its output.
"""
import json
import logging
from collections import Counter
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .arns import parse_arn
from .audit import action_data_version
from .audit import actions as action_db
from .audit.account import permissions_of
from .audit.benign import BENIGN_ACTIONS
from .audit.effective import is_any_resource
from .audit.findings import Category, Severity
from .auditing import audit_account, benign_actions, graph_details, role_report
from .aws.lambda_ import STACK_TAG
from .models import Account, Finding, Resource
from .vocabulary import NodeType

log = logging.getLogger(__name__)

FILTERS = ("account", "category", "severity", "function", "role", "stack")
FINDINGS_PER_PAGE = 100
LEVELS = (action_db.LIST, action_db.READ, action_db.WRITE, action_db.TAGGING,
          action_db.PERMISSIONS_MANAGEMENT)
# An AdministratorAccess role is granted every action there is: the page names a sample per
# service and the count, not thousands of list items.
ACTIONS_NAMED_PER_SERVICE = 12
# A takeover finding can name every function of a large account: the page names the first few.
FUNCTIONS_LISTED = 20


def function_stacks(accounts=None):
    """{function ARN: CloudFormation stack name} for every function that belongs to a stack."""
    functions = Resource.objects.filter(type=NodeType.LAMBDA_FUNCTION)
    if accounts is not None:
        functions = functions.filter(account__in=accounts)
    stacks = {}
    for arn, attributes in functions.values_list("arn", "attributes"):
        attributes = attributes or {}
        stack = attributes.get("stack") or (attributes.get("tags") or {}).get(STACK_TAG)
        if stack:
            stacks[arn] = str(stack)
    return stacks


def concerned(finding):
    """The functions a finding is about: those it lists, or the function that is its principal."""
    arns = [str(a) for a in finding.functions or []]
    if is_function(finding.principal) and finding.principal not in arns:
        arns.append(finding.principal)
    return arns


def is_function(arn):
    return ":function:" in str(arn) and str(arn).startswith("arn:")


def is_role(arn):
    return ":role/" in str(arn) and str(arn).startswith("arn:")


def short_name(arn):
    """The readable end of an ARN: the function or role name."""
    arn = str(arn)
    if is_function(arn):
        return arn.split(":function:", 1)[1].split(":", 1)[0]
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]


def sort_key(finding):
    # Suppressed findings stay in the list (shown, not hidden), after the open ones of their severity.
    return (-finding.severity_rank, finding.suppressed, finding.category, finding.principal, finding.title)


def select_findings(params):
    """Findings matching the filters in `params` (a QueryDict or dict), sorted by severity.

    Returns (findings, stacks): stacks is {function ARN: stack} for what was selected."""
    findings = Finding.objects.select_related("account")
    account_id = params.get("account")
    accounts = Account.objects.filter(account_id=account_id) if account_id else None
    if accounts is not None:
        findings = findings.filter(account__in=accounts)
    if params.get("category"):
        findings = findings.filter(category=params["category"])
    if params.get("severity"):
        findings = findings.filter(severity=params["severity"])
    if params.get("role"):
        findings = findings.filter(principal=params["role"])
    rows = list(findings)
    # Function lists are JSON, which SQLite cannot search inside: filter those here.
    function = params.get("function")
    if function:
        rows = [f for f in rows if function in concerned(f)]
    arn = params.get("arn")
    if arn:
        rows = [f for f in rows if f.principal == arn or arn in concerned(f)]
    stacks = function_stacks(accounts)
    stack = params.get("stack")
    if stack:
        rows = [f for f in rows if any(stacks.get(a) == stack for a in concerned(f))]
    return sorted(rows, key=sort_key), stacks


def severity_counts(findings):
    """[{severity, open, suppressed}] in order from critical to info."""
    opened = Counter(f.severity for f in findings if not f.suppressed)
    hidden = Counter(f.severity for f in findings if f.suppressed)
    return [{"severity": str(s), "open": opened[str(s)], "suppressed": hidden[str(s)]} for s in Severity]


def stored_action_data(findings):
    versions = sorted({f.action_data for f in findings if f.action_data})
    return ", ".join(versions) if versions else action_data_version()


def finding_view(finding, stacks):
    """What the template shows of one finding; the detail's "How to fix" gets its own line."""
    explanation, _, fix = finding.detail.partition(" How to fix: ")
    principal = finding.principal
    functions = concerned(finding)
    return {
        "finding": finding,
        "explanation": explanation,
        "fix": fix,
        "principal_name": short_name(principal),
        "principal_url": role_url(principal) if is_role(principal)
        else reverse("node", args=[principal]) if is_function(principal) else None,
        "functions": [{"arn": a, "name": short_name(a), "url": reverse("node", args=[a]),
                       "stack": stacks.get(a)} for a in functions[:FUNCTIONS_LISTED]],
        "more_functions": max(0, len(functions) - FUNCTIONS_LISTED),
        "category_label": str(finding.category).replace("_", " "),
    }


def role_url(arn):
    return reverse("role", args=[arn])


def filter_options(all_findings, stacks):
    functions, roles = set(), set()
    for finding in all_findings:
        functions.update(concerned(finding))
        if is_role(finding.principal):
            roles.add(finding.principal)
    return {
        "accounts": list(Account.objects.order_by("account_id").values_list("account_id", flat=True)),
        "categories": [(str(c), str(c).replace("_", " ")) for c in Category],
        "severities": [str(s) for s in Severity],
        "functions": sorted(((a, short_name(a)) for a in functions), key=lambda p: (p[1], p[0])),
        "roles": sorted(((a, short_name(a)) for a in roles), key=lambda p: (p[1], p[0])),
        "stacks": sorted(set(stacks.values())),
    }


@login_required
def audit_page(request):
    params = {name: request.GET.get(name, "").strip() for name in FILTERS}
    findings, stacks = select_findings(params)
    everything, _ = select_findings({}) if any(params.values()) else (findings, stacks)
    synced = Resource.objects.exists()
    page = Paginator(findings, FINDINGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "flows/audit.html", {
        "findings": [finding_view(f, stacks) for f in page.object_list],
        "page": page,
        "counts": severity_counts(findings),
        "total": len(findings),
        "stored": len(everything),
        "params": params,
        "filtered": any(params.values()),
        "options": filter_options(everything, stacks),
        "action_data": stored_action_data(everything),
        "synced": synced,
        "query": urlencode({k: v for k, v in params.items() if v}),
        "takers": takers(findings, params.get("function")),
        "function_name": short_name(params["function"]) if params.get("function") else "",
        "benign": benign_rows(),
        "badge_minimum": settings.FLOWSCOPE["AUDIT_BADGE_MIN_SEVERITY"],
    })


def takers(findings, function):
    """Who may change `function` (its function_takeover findings), for the function's audit view."""
    if not function:
        return None
    return [{"finding": f, "name": short_name(f.principal),
             "url": role_url(f.principal) if is_role(f.principal) else None}
            for f in findings if f.category == Category.FUNCTION_TAKEOVER and function in (f.functions or [])]


def benign_rows():
    """The known-benign actions in force, with why each is benign (when it is a built-in one)."""
    return [{"action": action_db.canonical(a), "why": BENIGN_ACTIONS.get(a, "added by FLOWSCOPE_AUDIT_BENIGN_ACTIONS")}
            for a in benign_actions()]


@login_required
@require_POST
def run_audit(request):
    """Audit the chosen account (or every synced account) now, then show the audit page."""
    accounts = Account.objects.order_by("account_id")
    if request.POST.get("account"):
        accounts = accounts.filter(account_id=request.POST["account"])
    audited, found = 0, 0
    for account in accounts:
        try:
            result = audit_account(account)
        except Exception as exc:  # one account's bad data must not stop the others
            log.exception("audit of account %s failed", account.account_id)
            messages.error(request, f"The audit of account {account.account_id} failed: {exc}")
            continue
        audited += 1
        found += len(result.findings)
    if audited:
        messages.success(request, f"Audited {audited} account{'s' if audited != 1 else ''}: "
                                  f"{found} finding{'s' if found != 1 else ''}.")
    elif not accounts:
        messages.info(request, "Nothing to audit: no account has been synced yet.")
    # Back to the same filters; only known filter names travel, so this cannot redirect elsewhere.
    query = urlencode({k: request.POST[k] for k in FILTERS if request.POST.get(k)})
    return redirect(reverse("audit") + (f"?{query}" if query else ""))


def missing_grants(permissions, policy):
    """Statements of the proposed `policy` the role is not granted: [{action, resource, why}]."""
    missing = []
    for statement in policy.get("Statement") or []:
        for action in statement["Action"]:
            for resource in statement["Resource"]:
                if permissions is None:
                    granted = False
                elif is_any_resource(resource):
                    granted = bool(permissions.grants_for(action))
                else:
                    granted = bool(permissions.allows(action, resource))
                if not granted:
                    missing.append({"action": action, "resource": resource, "sid": statement["Sid"]})
    return missing


def service_rows(summary, permissions, *, with_actions=True):
    """Permissions by service, widest first: counts per access level and, unless the role is
    an administrator (thousands of names nobody reads), the actions themselves."""
    names = {}
    if with_actions and permissions is not None:
        for action in sorted(permissions.actions):
            names.setdefault(action_db.service_of(action), []).append(action_db.canonical(action))
    rows = []
    for service, levels in summary.items():
        counts = [levels.get(level, 0) for level in LEVELS]
        rows.append({"service": service, "levels": counts, "total": sum(levels.values()),
                     "level_text": ", ".join(f"{level} {n}" for level, n in zip(LEVELS, counts, strict=True) if n),
                     "actions": names.get(service, [])})
    return sorted(rows, key=lambda r: (-r["levels"][-1], -r["levels"][2], r["service"]))


def not_evidenced_rows(not_evidenced):
    rows = []
    for service, names in sorted(not_evidenced.items()):
        rows.append({"service": service, "count": len(names),
                     "named": names[:ACTIONS_NAMED_PER_SERVICE],
                     "more": max(0, len(names) - ACTIONS_NAMED_PER_SERVICE)})
    return sorted(rows, key=lambda r: (-r["count"], r["service"]))


def last_used_text(attributes):
    if "last_used" not in attributes:
        return None
    used = attributes.get("last_used") or {}
    if not used.get("date"):
        return "IAM records no use of this role in its tracking period (400 days)."
    where = f" in {used['region']}" if used.get("region") else ""
    return f"IAM last recorded a use of this role on {used['date']}{where}."


@login_required
def role_page(request, arn):
    parts = parse_arn(arn)
    candidates = list(Resource.objects.select_related("account")
                      .filter(type=NodeType.IAM_ROLE, arn=arn).order_by("account__account_id"))
    # A role seen from several accounts (a stub elsewhere): prefer the account that owns it.
    owned = [r for r in candidates if parts and r.account.account_id == parts.account]
    role = (owned or candidates or [None])[0]
    if role is None:
        raise Http404("No such role in the synced graph")
    account = role.account
    report = role_report(account, arn)
    details, _ = graph_details(account)
    permissions = permissions_of(details, arn)
    attributes = role.attributes or {}
    readable = "policies" in attributes or "inline_policies" in attributes
    stacks = function_stacks(Account.objects.filter(pk=account.pk))
    findings = sorted(report["findings"], key=sort_key)
    functions = Resource.objects.filter(account=account, arn__in=report["functions"]).order_by("name")
    admin = permissions.full_access if permissions is not None else ""
    services = service_rows(report["summary"], permissions, with_actions=not admin)
    return render(request, "flows/role.html", {
        "role": role,
        "account": account,
        "readable": readable,
        "policies": [p for p in attributes.get("policies") or [] if isinstance(p, dict)],
        "inline_policies": [p for p in attributes.get("inline_policies") or [] if isinstance(p, dict)],
        "levels": LEVELS,
        "admin": admin,
        "services": services,
        "granted_total": len(permissions.actions) if permissions is not None else 0,
        "functions": [{"arn": f.arn, "name": f.name, "url": reverse("node", args=[f.arn]),
                       "stack": stacks.get(f.arn), "reasons": list(dict.fromkeys(report["reasons"].get(f.arn, {}).values()))}
                      for f in functions],
        "findings": findings,
        # Low and info findings wait behind one line: the page leads with the answer.
        "major_findings": [finding_view(f, stacks) for f in findings if f.severity_rank >= Severity.MEDIUM.rank],
        "minor_findings": [finding_view(f, stacks) for f in findings if f.severity_rank < Severity.MEDIUM.rank],
        "proposed_json": json.dumps(report["proposed_policy"], indent=2),
        "download_name": f"{role.name}-least-privilege.json",
        "proposed_statements": len(report["proposed_policy"]["Statement"]),
        "not_evidenced": not_evidenced_rows(report["not_evidenced"]),
        "not_evidenced_total": sum(len(v) for v in report["not_evidenced"].values()),
        "missing": missing_grants(permissions, report["proposed_policy"]) if readable else [],
        "last_used": last_used_text(attributes),
        "action_data": stored_action_data(findings),
        "audit_url": reverse("audit") + "?" + urlencode({"role": arn}),
    })
