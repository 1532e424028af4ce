"""Trigger consistency: does each push trigger have the function's permission to invoke it?

For every push-trigger edge (ALB, API Gateway, SNS, S3, CodeCommit, EventBridge, Cognito, IoT,
CloudWatch Logs, SES) into a function, look for an Allow statement in the resource policy of
what the trigger invokes (the function, or the alias it names: aliases have policies of their
own) that lets that service, from that source, call lambda:InvokeFunction; for a function URL,
a statement allowing lambda:InvokeFunctionUrl. Edges get ``permitted`` (True, False, or None
with a ``permission_note`` when the policy could not be read); statements that allow no
discovered trigger are listed on the function as ``unmatched_permissions``. Pure: works on the
in-memory graph.
"""
import json
import re
from fnmatch import fnmatchcase

from .vocabulary import INVOKING_PRINCIPAL, PUSH_TRIGGER_KINDS, EdgeKind, NodeType

INVOKE_ACTIONS = ("lambda:invokefunction", "lambda:invoke*", "lambda:*", "*")
URL_INVOKE_ACTIONS = ("lambda:invokefunctionurl", "lambda:invoke*", "lambda:*", "*")
SOURCE_ARN_KEYS = ("aws:sourcearn",)
SOURCE_ACCOUNT_KEYS = ("aws:sourceaccount", "aws:sourceowner")


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_policy(document):
    """A policy document as a dict, from a dict or a JSON string; None when unreadable."""
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        try:
            parsed = json.loads(document)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _principals(statement):
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        found = []
        for kind in ("Service", "AWS", "Federated", "CanonicalUser"):
            found.extend(str(p) for p in _as_list(principal.get(kind)))
        return found
    return [str(p) for p in _as_list(principal)]


def _condition_values(statement, keys):
    values = []
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return values
    for block in condition.values():
        if isinstance(block, dict):
            for key, value in block.items():
                if str(key).lower() in keys:
                    values.extend(str(v) for v in _as_list(value))
    return values


def _allows(statement, wanted_action, wildcards):
    if str(statement.get("Effect", "")).lower() != "allow":
        return False
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    return any(a in wildcards or fnmatchcase(wanted_action, a) for a in actions)


def _allows_invoke(statement):
    return _allows(statement, "lambda:invokefunction", INVOKE_ACTIONS)


def _allows_url_invoke(statement):
    return _allows(statement, "lambda:invokefunctionurl", URL_INVOKE_ACTIONS)


def _regionless(principal):
    # Older CloudWatch Logs permissions name the regional principal (logs.eu-west-1.amazonaws.com).
    return re.sub(r"^([a-z0-9-]+)\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com$", r"\1.amazonaws.com", principal)


def applies_to(statement, qualified_arn):
    """Whether a statement's Resource covers the function (or alias) invoked as qualified_arn.

    AWS keeps one policy per qualifier; a policy read through an endpoint that merges them
    still answers right, because each statement names the ARN it was added for."""
    resources = [str(r) for r in _as_list(statement.get("Resource"))]
    return not resources or any(fnmatchcase(qualified_arn, r) for r in resources)


def _arn_matches(pattern, candidate):
    # Either side may hold wildcards: a permission scoped to "api/*/GET/x" matches a route we
    # know as "api/*/GET/x" whatever stage serves it.
    return fnmatchcase(candidate, pattern) or fnmatchcase(pattern, candidate)


def statement_permits(statement, edge_kind, source_arns, account):
    """Whether one resource-policy statement lets this trigger invoke the function."""
    if not _allows_invoke(statement):
        return False
    wanted = INVOKING_PRINCIPAL[edge_kind]
    principals = _principals(statement)
    if not any(p == "*" or _regionless(p) == wanted for p in principals):
        return False
    arns = _condition_values(statement, SOURCE_ARN_KEYS)
    if arns and not any(_arn_matches(p, s) for p in arns for s in source_arns):
        return False
    accounts = _condition_values(statement, SOURCE_ACCOUNT_KEYS)
    if accounts and account and account not in accounts:
        return False
    return True


def url_statement_permits(statement, auth_type):
    """Whether a statement lets callers reach the function through its URL.

    With AuthType NONE, AWS lets a request in only when the policy allows lambda:InvokeFunctionUrl
    to everyone ("*"); with AWS_IAM, any principal the statement names may call it."""
    if not _allows_url_invoke(statement):
        return False
    url_auth = [v.upper() for v in _condition_values(statement, ("lambda:functionurlauthtype",))]
    if url_auth and (auth_type or "").upper() not in url_auth:
        return False
    principals = _principals(statement)
    if (auth_type or "").upper() == "NONE":
        return "*" in principals
    return bool(principals)


def describe_statement(function_arn, statement, qualifier=None):
    arns = _condition_values(statement, SOURCE_ARN_KEYS)
    described = {
        "function": function_arn,
        "sid": str(statement.get("Sid", "")),
        "principal": ", ".join(_principals(statement)),
        "source_arn": arns[0] if arns else None,
    }
    if qualifier:
        described["qualifier"] = qualifier
    return described


def invoke_source_arns(edge):
    """The ARNs AWS names as SourceArn when this trigger invokes the function."""
    return _as_list(edge.attributes.get("invoke_source_arns")) or [edge.source]


def _statements(document):
    policy = parse_policy(document) or {}
    return [s for s in _as_list(policy.get("Statement")) if isinstance(s, dict)]


def _policies_by_qualifier(node):
    """{qualifier or None: (statements, or None when the policy could not be read; why)}.

    None is the unqualified function ($LATEST); aliases have policies of their own."""
    attributes = node.attributes
    policies = {None: (None, attributes["resource_policy_error"]) if attributes.get("resource_policy_error")
                else (_statements(attributes.get("resource_policy")), None)}
    errors = attributes.get("alias_policy_errors") or {}
    for alias, document in (attributes.get("alias_policies") or {}).items():
        policies[alias] = (None, errors[alias]) if alias in errors else (_statements(document), None)
    for alias in errors:
        policies.setdefault(alias, (None, errors[alias]))
    return policies


def _qualifier(edge):
    qualifier = edge.attributes.get("alias")
    return None if qualifier in (None, "", "$LATEST") else str(qualifier)


def _alias_routing(node, alias):
    for entry in node.attributes.get("aliases") or []:
        if isinstance(entry, dict) and entry.get("name") == alias:
            return entry
    return None


def check_trigger_permissions(builder):
    incoming = {}
    for edge in builder.edges.values():
        if edge.kind in PUSH_TRIGGER_KINDS or edge.kind == EdgeKind.FUNCTION_URL:
            incoming.setdefault(edge.target, []).append(edge)

    for node in builder.nodes.values():
        if node.type != NodeType.LAMBDA_FUNCTION or not node.discovered:
            continue
        policies = _policies_by_qualifier(node)
        used = {qualifier: set() for qualifier in policies}
        for edge in incoming.get(node.arn, []):
            qualifier = _qualifier(edge)
            alias = _alias_routing(node, qualifier) if qualifier else None
            if alias is not None:
                # Weighted aliases send part of the traffic to another version: say so on the edge.
                edge.attributes["alias_version"] = alias.get("function_version")
                if alias.get("routing"):
                    edge.attributes["alias_routing"] = alias["routing"]
            if qualifier not in policies:
                edge.attributes["permitted"] = None
                edge.attributes["permission_note"] = (
                    f"the policy of {qualifier} was not read: the aliases could not be listed "
                    f"({node.attributes['aliases_error']})" if node.attributes.get("aliases_error") else
                    f"the policy of {qualifier} was not read: it is not an alias of this function "
                    "(a version, or an alias deleted since)")
                continue
            statements, error = policies[qualifier]
            if statements is None:
                edge.attributes["permitted"] = None
                edge.attributes["permission_note"] = (
                    f"the resource policy of {node.arn}{':' + qualifier if qualifier else ''} "
                    f"could not be read: {error}")
                continue
            invoked_as = f"{node.arn}:{qualifier}" if qualifier else node.arn
            if edge.kind == EdgeKind.FUNCTION_URL:
                auth_type = edge.attributes.get("auth_type")
                matches = [i for i, s in enumerate(statements)
                           if applies_to(s, invoked_as) and url_statement_permits(s, auth_type)]
                if not matches and str(auth_type).upper() == "AWS_IAM":
                    edge.attributes["permission_note"] = (
                        "no resource policy statement allows lambda:InvokeFunctionUrl; callers of "
                        "this account may still be allowed by their own IAM policies")
            else:
                kind = EdgeKind(edge.kind)
                sources = invoke_source_arns(edge)
                matches = [i for i, s in enumerate(statements)
                           if applies_to(s, invoked_as) and statement_permits(s, kind, sources, node.account)]
            edge.attributes["permitted"] = bool(matches)
            used[qualifier].update(matches)
        unmatched, seen = [], set()
        for qualifier, (statements, _) in policies.items():
            invoked_as = f"{node.arn}:{qualifier}" if qualifier else node.arn
            for i, statement in enumerate(statements or []):
                if i in used[qualifier] or not applies_to(statement, invoked_as):
                    continue
                if not (_allows_invoke(statement) or _allows_url_invoke(statement)):
                    continue
                described = describe_statement(node.arn, statement, qualifier)
                key = json.dumps(described, sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    unmatched.append(described)
        node.attributes["unmatched_permissions"] = unmatched
