"""Audit a synced account: read roles and functions from the graph, store Finding rows.

The analysis itself is flows.audit (pure); this module only translates the graph into the
shape of get-account-authorization-details and writes the results back.
"""
import hashlib
import re

from django.conf import settings
from django.db import transaction

from .audit import AuditResult, action_data_version, audit_authorization_details
from .audit.benign import BENIGN_ACTIONS
from .audit.findings import sorted_findings
from .models import Account, Edge, Finding, Invocation, InvocationMinute, Resource
from .vocabulary import NodeType


def _role_detail(resource):
    """A RoleDetailList entry from an iam_role node written by the iam collector."""
    attributes = resource.attributes or {}
    role = {
        "RoleName": resource.name, "Arn": resource.arn, "Path": attributes.get("path") or "/",
        "AssumeRolePolicyDocument": attributes.get("assume_role_policy"),
        "RolePolicyList": [{"PolicyName": p.get("name"), "PolicyDocument": p.get("document")}
                           for p in attributes.get("inline_policies") or [] if isinstance(p, dict)],
        "AttachedManagedPolicies": [{"PolicyName": p.get("name"), "PolicyArn": p.get("arn")}
                                    for p in attributes.get("policies") or [] if isinstance(p, dict)],
    }
    boundary = attributes.get("permissions_boundary")
    if isinstance(boundary, dict) and boundary.get("arn"):
        role["PermissionsBoundary"] = {"PermissionsBoundaryArn": boundary["arn"]}
    if "last_used" in attributes:
        last_used = attributes["last_used"] or {}
        role["RoleLastUsed"] = {"LastUsedDate": last_used.get("date")} if last_used.get("date") else {}
    return role


def _managed_policies(resources):
    """Policies entries for every attached policy whose document the collector could read."""
    found = {}
    for resource in resources:
        for policy in (resource.attributes or {}).get("policies") or []:
            if isinstance(policy, dict) and policy.get("arn") and policy.get("document") is not None:
                found[policy["arn"]] = {
                    "PolicyName": policy.get("name"), "Arn": policy["arn"],
                    "PolicyVersionList": [{"IsDefaultVersion": True, "Document": policy["document"],
                                           "VersionId": policy.get("version")}]}
    return list(found.values())


def _url_auth_type(attributes):
    """The weakest AuthType among the function's URLs (its own and its aliases'), or None."""
    url = attributes.get("function_url") or {}
    types = [u.get("auth_type") for u in attributes.get("function_urls") or [] if isinstance(u, dict)]
    types += [attributes.get("url_auth_type"), url.get("auth_type") if isinstance(url, dict) else None]
    types = [t for t in types if t]
    return "NONE" if "NONE" in types else (types[0] if types else None)


def _function(resource):
    attributes = resource.attributes or {}
    return {"arn": resource.arn, "role": attributes.get("role"),
            "resource_policy": attributes.get("resource_policy") or None,
            "url_auth_type": _url_auth_type(attributes)}


def _called_aliases(account):
    """{function ARN: {alias}} of the aliases its triggers call (edges record the qualifier)."""
    aliases = {}
    for target, attributes in Edge.objects.filter(account=account).values_list("target_arn", "attributes"):
        alias = (attributes or {}).get("alias")
        if isinstance(alias, str) and alias:
            aliases.setdefault(target, set()).add(alias)
    return aliases


def graph_details(account):
    """(authorization details, functions) for one synced account. Functions carry the aliases
    their triggers call and whether Flowscope has seen them run (stored invocations)."""
    roles = [r for r in Resource.objects.filter(account=account, type=NodeType.IAM_ROLE)
             if "policies" in (r.attributes or {}) or "inline_policies" in (r.attributes or {})]
    functions = [_function(r) for r in Resource.objects.filter(account=account, type=NodeType.LAMBDA_FUNCTION)]
    aliases = _called_aliases(account)
    arns = [f["arn"] for f in functions]
    running = set(Invocation.objects.filter(function_arn__in=arns).values_list("function_arn", flat=True)
                  .distinct()) | set(InvocationMinute.objects.filter(function_arn__in=arns)
                                     .values_list("function_arn", flat=True).distinct())
    for function in functions:
        function["aliases"] = sorted(aliases.get(function["arn"], ()))
        function["running"] = function["arn"] in running
    details = {"RoleDetailList": [_role_detail(r) for r in roles], "UserDetailList": [],
               "GroupDetailList": [], "Policies": _managed_policies(roles)}
    return details, functions


def benign_actions():
    """The known-benign actions in force: FLOWSCOPE_AUDIT_BENIGN_ACTIONS, else the built-in list."""
    configured = settings.FLOWSCOPE["AUDIT_BENIGN_ACTIONS"]
    return tuple(BENIGN_ACTIONS) if configured is None else tuple(a.lower() for a in configured)


def own_identities(account):
    """Flowscope's own principals: the role it assumes, who it was at the last sync, and the
    roles the periodic sync is configured to assume."""
    return {arn for arn in (account.role_arn, account.identity_arn, *settings.FLOWSCOPE["ROLE_ARNS"]) if arn}


def fingerprint(finding):
    key = "\n".join([finding.principal, str(finding.category), finding.title, finding.policy or ""])
    return hashlib.sha256(key.encode()).hexdigest()


def audit_account(account):
    """Audit one account from its synced graph and replace its stored findings.

    Suppression set by an administrator survives re-audits for as long as the finding is
    still reported; findings no longer reported are deleted."""
    details, functions = graph_details(account)
    result = audit_authorization_details(details, functions=functions, ignore=own_identities(account),
                                         benign=benign_actions())
    with transaction.atomic():
        kept = {f.fingerprint: f for f in Finding.objects.select_for_update().filter(account=account)}
        seen = set()
        for item in result.findings:
            key = fingerprint(item)
            if key in seen:
                continue
            seen.add(key)
            previous = kept.get(key)
            if previous is not None and previous.suppressed and not item.suppressed:
                item.suppressed, item.suppressed_reason = True, previous.suppressed_reason
            values = {
                "principal": item.principal, "functions": item.functions, "severity": str(item.severity),
                "severity_rank": item.severity.rank, "category": str(item.category), "title": item.title[:512],
                "detail": item.detail, "policy": (item.policy or None) and item.policy[:1024],
                "actions": item.actions, "resources": item.resources, "confidence": item.confidence,
                "suppressed": item.suppressed, "suppressed_reason": item.suppressed_reason,
                "action_data": result.action_data[:128],
            }
            Finding.objects.update_or_create(account=account, fingerprint=key, defaults=values)
        Finding.objects.filter(account=account).exclude(fingerprint__in=seen).delete()
    return result


def audit_accounts(account_ids=None):
    """Audit the given synced accounts (default: all) and return their findings combined."""
    accounts = Account.objects.all()
    if account_ids:
        accounts = accounts.filter(account_id__in=account_ids)
    combined = AuditResult(findings=[], action_data=action_data_version())
    for account in accounts:
        result = audit_account(account)
        combined.findings += result.findings
        combined.principals += result.principals
        combined.functions += result.functions
    combined.findings = sorted_findings(combined.findings)
    return combined


def role_report(account, role_arn):
    """What a role page shows: effective permissions by service and access level, the
    functions using the role, the policy their graph evidences, and what is granted beyond it."""
    from django.db.models import Q

    from .audit.account import permissions_of
    from .audit.proposal import not_evidenced, propose, summarise

    details, _ = graph_details(account)
    permissions = permissions_of(details, role_arn)
    functions = [r for r in Resource.objects.filter(account=account, type=NodeType.LAMBDA_FUNCTION)
                 if (r.attributes or {}).get("role") == role_arn]
    proposals = []
    for function in functions:
        edges = Edge.objects.filter(account=account).filter(
            Q(source_arn=function.arn) | Q(target_arn=function.arn))
        proposals.append(propose(
            {"arn": function.arn, "name": function.name, "region": function.region,
             "account": account.account_id, "attributes": function.attributes},
            [{"source": e.source_arn, "target": e.target_arn, "kind": e.kind, "attributes": e.attributes}
             for e in edges]))
    merged = {"Version": "2012-10-17", "Statement": [
        dict(s, Sid=re.sub(r"[^A-Za-z0-9]", "", p.function.rsplit(":", 1)[-1].title() + s["Sid"])[:100])
        for p in proposals for s in p.statements]}
    return {
        "role": role_arn,
        "functions": [f.arn for f in functions],
        "summary": summarise(permissions) if permissions else {},
        "proposed_policy": merged,
        "reasons": {p.function: p.reasons for p in proposals},
        "not_evidenced": not_evidenced(permissions, proposals) if permissions else {},
        "findings": list(Finding.objects.filter(account=account, principal=role_arn)),
    }
