"""Trigger consistency: does each push trigger have the function's permission to invoke it?

For every push-trigger edge (ALB, API Gateway, SNS, S3, CodeCommit, EventBridge) into a
function, look for an Allow statement in the function's resource policy that lets that
service, from that source, call lambda:InvokeFunction. Edges get ``permitted`` (True, False,
or None when the policy could not be read); statements that allow no discovered trigger are
listed on the function as ``unmatched_permissions``. Pure: works on the in-memory graph.
"""
import json
from fnmatch import fnmatchcase

from .vocabulary import INVOKING_PRINCIPAL, PUSH_TRIGGER_KINDS, EdgeKind, NodeType

INVOKE_ACTIONS = ("lambda:invokefunction", "lambda:invoke*", "lambda:*", "*")
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


def _allows_invoke(statement):
    if str(statement.get("Effect", "")).lower() != "allow":
        return False
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    return any(a in INVOKE_ACTIONS or fnmatchcase("lambda:invokefunction", a) for a in actions)


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
    if not any(p == "*" or p == wanted for p in principals):
        return False
    arns = _condition_values(statement, SOURCE_ARN_KEYS)
    if arns and not any(_arn_matches(p, s) for p in arns for s in source_arns):
        return False
    accounts = _condition_values(statement, SOURCE_ACCOUNT_KEYS)
    if accounts and account and account not in accounts:
        return False
    return True


def describe_statement(function_arn, statement):
    arns = _condition_values(statement, SOURCE_ARN_KEYS)
    return {
        "function": function_arn,
        "sid": str(statement.get("Sid", "")),
        "principal": ", ".join(_principals(statement)),
        "source_arn": arns[0] if arns else None,
    }


def invoke_source_arns(edge):
    """The ARNs AWS names as SourceArn when this trigger invokes the function."""
    return _as_list(edge.attributes.get("invoke_source_arns")) or [edge.source]


def check_trigger_permissions(builder):
    incoming = {}
    for edge in builder.edges.values():
        if edge.kind in PUSH_TRIGGER_KINDS:
            incoming.setdefault(edge.target, []).append(edge)

    for node in builder.nodes.values():
        if node.type != NodeType.LAMBDA_FUNCTION or not node.discovered:
            continue
        edges = incoming.get(node.arn, [])
        attributes = node.attributes
        if attributes.get("resource_policy_error"):
            for edge in edges:
                edge.attributes["permitted"] = None
            attributes["unmatched_permissions"] = []
            continue
        policy = parse_policy(attributes.get("resource_policy")) or {}
        statements = [s for s in _as_list(policy.get("Statement")) if isinstance(s, dict)]
        used = set()
        for edge in edges:
            kind = EdgeKind(edge.kind)
            sources = invoke_source_arns(edge)
            matches = [i for i, s in enumerate(statements)
                       if statement_permits(s, kind, sources, node.account)]
            edge.attributes["permitted"] = bool(matches)
            used.update(matches)
        attributes["unmatched_permissions"] = [
            describe_statement(node.arn, s) for i, s in enumerate(statements)
            if i not in used and _allows_invoke(s)
        ]
