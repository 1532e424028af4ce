"""IAM: roles with everything an audit needs (trust policy, inline and attached documents)."""
import json
from urllib.parse import unquote

from ..vocabulary import NodeType
from .base import Node

FILTER = ["Role", "LocalManagedPolicy", "AWSManagedPolicy"]
MISSING_POLICY = "default version not returned by GetAccountAuthorizationDetails"


def get_authorization_details(client):
    """(role details, {policy ARN: policy detail}) over every page of the account's details.

    Only the default version of each managed policy is kept: the others are history, and
    keeping them for over a thousand AWS managed policies would only cost memory.
    """
    roles, policies = [], {}
    # 1,000 per page (the most IAM serves, 100 by default): AWS managed policies alone fill
    # well over a thousand entries, so this keeps the listing to a few calls.
    pages = client.get_paginator("get_account_authorization_details").paginate(
        Filter=FILTER, PaginationConfig={"PageSize": 1000})
    for page in pages:
        roles.extend(page.get("RoleDetailList", []))
        for policy in page.get("Policies", []):
            if policy.get("Arn"):
                policies[policy["Arn"]] = summarise_policy(policy)
    return roles, policies


def summarise_policy(policy):
    """Name, default version id and the raw default-version document of a managed policy."""
    default = policy.get("DefaultVersionId")
    versions = policy.get("PolicyVersionList") or []
    chosen = next((v for v in versions if v.get("IsDefaultVersion")), None) or next(
        (v for v in versions if default and v.get("VersionId") == default), None)
    return {"name": policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1],
            "version": (chosen or {}).get("VersionId") or default,
            "document": (chosen or {}).get("Document"),
            "found": chosen is not None}


def decode_document(value):
    """(dict, None) for a policy document given as a dict, JSON or URL-encoded JSON; else
    (None, a sentence saying why it could not be read). Never raises."""
    if isinstance(value, dict):
        return value, None
    if not isinstance(value, str):
        return None, f"policy document is a {type(value).__name__}, not JSON"
    # The IAM API URL-encodes documents; boto3 usually decodes them, but not on every path.
    for candidate in (value, unquote(value)):
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            return parsed, None
        return None, "policy document is JSON but not an object"
    return None, "policy document is neither JSON nor URL-encoded JSON"


def document_entry(entry, raw):
    """``entry`` with "document" set, plus "document_error" when the document is unreadable."""
    document, error = decode_document(raw)
    entry["document"] = document
    if error:
        entry["document_error"] = error
    return entry


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def managed_policy_entry(entry, policies):
    """``entry`` (holding "arn") with the name, default version and document of that policy."""
    known = policies.get(entry["arn"]) or {}
    entry["name"] = entry.get("name") or known.get("name")
    entry["version"] = known.get("version")
    if not known.get("found"):
        entry.update(document=None, document_error=MISSING_POLICY)
        return entry
    return document_entry(entry, known["document"])


def transform_role(role, policies, account):
    """A role node carrying its trust policy, inline policies and attached policy documents."""
    trust, trust_error = decode_document(role.get("AssumeRolePolicyDocument"))
    attached = [{"arn": p.get("PolicyArn"), "name": p.get("PolicyName")}
                for p in role.get("AttachedManagedPolicies") or [] if isinstance(p, dict)]
    documents = [managed_policy_entry(dict(policy), policies) for policy in attached]
    boundary = role.get("PermissionsBoundary") or {}
    last_used = role.get("RoleLastUsed") or {}
    tags = [t for t in role.get("Tags") or [] if isinstance(t, dict)]
    profiles = [p for p in role.get("InstanceProfileList") or [] if isinstance(p, dict)]
    attributes = {
        "path": role.get("Path"),
        "role_id": role.get("RoleId"),
        "create_date": _iso(role.get("CreateDate")),
        "assume_role_policy": trust,
        "inline_policies": [document_entry({"name": p.get("PolicyName")}, p.get("PolicyDocument"))
                            for p in role.get("RolePolicyList") or [] if isinstance(p, dict)],
        "attached_policies": attached,
        "policies": documents,
        # The boundary caps what the policies grant: its document is part of the picture.
        "permissions_boundary": managed_policy_entry(
            {"type": boundary.get("PermissionsBoundaryType"),
             "arn": boundary.get("PermissionsBoundaryArn")}, policies) if boundary else None,
        "tags": {t.get("Key"): t.get("Value") for t in tags},
        "last_used": {"date": _iso(last_used.get("LastUsedDate")),
                      "region": last_used.get("Region")} if last_used.get("LastUsedDate") else None,
        "instance_profiles": [p.get("InstanceProfileName") for p in profiles],
    }
    if trust_error:
        attributes["assume_role_policy_error"] = trust_error
    return Node(arn=role["Arn"], type=NodeType.IAM_ROLE, name=role.get("RoleName") or role["Arn"],
                region="", account=account, attributes=attributes)


def collect(ctx):
    """IAM roles with their trust, inline and attached policies."""
    roles, policies = get_authorization_details(ctx.client("iam"))
    nodes = []
    for role in roles:
        if not role.get("Arn"):
            ctx.note("MalformedRole", f"role {role.get('RoleName')!r} has no ARN")
            continue
        nodes.append(transform_role(role, policies, ctx.account))
    ctx.add(nodes)
