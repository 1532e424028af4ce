"""Who may act on a role or a function: role trust policies and Lambda resource policies."""
from .findings import Category, Finding, Severity
from .policy import parse_policy

# Condition keys that pin a service principal to one source (the confused-deputy guard).
SOURCE_KEYS = {"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourceorgid",
               "aws:sourceorgpaths", "lambda:eventsourcetoken"}
# Condition keys that narrow an open ("*") principal to an organisation or account.
NARROWING_KEYS = SOURCE_KEYS | {"aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount",
                                "aws:principalarn", "aws:sourcevpc", "aws:sourcevpce", "sts:externalid"}


def condition_keys(statement):
    return {str(k).lower() for block in statement.conditions.values() if isinstance(block, dict)
            for k in block}


def account_of(principal_value):
    """The 12-digit account of an AWS principal ("123456789012", an ARN), or "" if none."""
    if principal_value.isdigit() and len(principal_value) == 12:
        return principal_value
    parts = principal_value.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else ""


def is_open(kind, value):
    return (kind, value) == ("*", "*") or (kind == "AWS" and value == "*")


def _allows(statement, *action_names):
    return statement.effect == "Allow" and any(a in statement.actions for a in action_names)


def check_role_trust(role_arn, document, functions=()):
    """cross_account findings for a role's trust policy (and unparseable when unreadable)."""
    policy = parse_policy(document, "trust policy", resource_required=False)
    own = account_of(role_arn)
    findings = []
    if policy.problems:
        findings.append(Finding(
            principal=role_arn, functions=list(functions), severity=Severity.INFO,
            category=Category.UNPARSEABLE, title="Trust policy could not be fully read",
            detail="The role's trust policy: " + "; ".join(policy.problems[:10]) + ".",
            policy="trust policy"))
    for statement in policy.statements:
        if not _allows(statement, "sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml"):
            continue
        narrowed = bool(condition_keys(statement) & NARROWING_KEYS)
        for kind, value in statement.principals:
            if is_open(kind, value):
                findings.append(Finding(
                    principal=role_arn, functions=list(functions),
                    severity=Severity.HIGH if narrowed else Severity.CRITICAL,
                    category=Category.CROSS_ACCOUNT, title="Any AWS account may assume this role",
                    detail=f"{statement.label} trusts every principal (\"*\")"
                           + (f" under the condition {statement.condition_text()}" if narrowed else
                              " with no condition") + ". Anyone with an AWS account can obtain this "
                           "role's permissions. How to fix: name the accounts or roles that may assume it.",
                    policy="trust policy", actions=list(statement.action_patterns), resources=[role_arn],
                    confidence="medium" if narrowed else "high"))
            elif kind == "AWS" and account_of(value) and own and account_of(value) != own:
                external_id = "sts:externalid" in condition_keys(statement)
                findings.append(Finding(
                    principal=role_arn, functions=list(functions),
                    severity=Severity.LOW if external_id else Severity.MEDIUM,
                    category=Category.CROSS_ACCOUNT, title=f"Account {account_of(value)} may assume this role",
                    detail=f"{statement.label} trusts {value}, outside account {own}. That account's "
                           "administrators decide who uses this role"
                           + ("; an ExternalId condition guards against confused deputies." if external_id
                              else ", and no sts:ExternalId condition is set.")
                           + " How to fix: confirm the trust is intended and add an ExternalId for "
                           "third parties.",
                    policy="trust policy", actions=list(statement.action_patterns), resources=[role_arn]))
    return findings


def trusted_principals(document):
    """[(principal value, needs identity permission, conditional)] that may assume the role.

    Within one account, a trust policy naming a user or role ARN is enough on its own; one
    naming the account (root) or "*" also needs the caller's own sts:AssumeRole grant."""
    policy = parse_policy(document, "trust policy", resource_required=False)
    found = []
    for statement in policy.statements:
        if not _allows(statement, "sts:assumerole"):
            continue
        for kind, value in statement.principals:
            if is_open(kind, value):
                found.append(("*", True, statement.conditional))
            elif kind == "AWS":
                named = ":user/" in value or ":role/" in value or ":assumed-role/" in value
                found.append((value, not named, statement.conditional))
    return found


def _opens_url_to_everyone(policy):
    return any(_allows(statement, "lambda:invokefunctionurl")
               and any(is_open(kind, value) for kind, value in statement.principals)
               and not condition_keys(statement) & NARROWING_KEYS
               for statement in policy.statements)


def check_function_policy(function_arn, document, url_auth_type=None):
    """public_invoke, confused_deputy and cross_account findings for one function."""
    findings = []
    policy = parse_policy(document, "resource policy", resource_required=False) if document else None
    if url_auth_type == "NONE":
        opened = policy is not None and _opens_url_to_everyone(policy)
        findings.append(Finding(
            principal=function_arn, functions=[function_arn],
            severity=Severity.CRITICAL if opened else Severity.HIGH, category=Category.PUBLIC_INVOKE,
            title="Function URL is open to the internet" if opened else "Function URL needs no authentication",
            detail=("The function URL's AuthType is NONE and the resource policy allows "
                    "lambda:InvokeFunctionUrl to every principal (\"*\"): anyone on the internet who "
                    "learns the URL can invoke the function." if opened else
                    "The function URL's AuthType is NONE: only the resource policy stands between the "
                    "internet and the function, and one public lambda:InvokeFunctionUrl statement "
                    "opens it to anyone.")
            + " How to fix: set AuthType to AWS_IAM, or authenticate inside the function and "
              "document why it is public.",
            policy="function URL", actions=["lambda:InvokeFunctionUrl"], resources=[function_arn]))
    if not document:
        return findings
    policy = parse_policy(document, "resource policy", resource_required=False)
    own = account_of(function_arn)
    if policy.problems:
        findings.append(Finding(
            principal=function_arn, functions=[function_arn], severity=Severity.INFO,
            category=Category.UNPARSEABLE, title="Resource policy could not be fully read",
            detail="The function's resource policy: " + "; ".join(policy.problems[:10]) + ".",
            policy="resource policy"))
    for statement in policy.statements:
        if statement.effect != "Allow":
            continue
        keys = condition_keys(statement)
        for kind, value in statement.principals:
            common = {"principal": function_arn, "functions": [function_arn], "policy": "resource policy",
                      "actions": list(statement.action_patterns), "resources": list(statement.resources)}
            if is_open(kind, value) and not keys & NARROWING_KEYS:
                url_only = "lambda:functionurlauthtype" in keys
                findings.append(Finding(
                    severity=Severity.HIGH if url_only else Severity.CRITICAL,
                    category=Category.PUBLIC_INVOKE, title="Anyone may invoke this function",
                    detail=f"{statement.label} grants {', '.join(statement.action_patterns)} to every "
                           "principal (\"*\") without a SourceArn, SourceAccount or organisation "
                           "condition: anyone can call it and run up cost or reach what it touches. "
                           "How to fix: name the invoking service with an aws:SourceArn condition.",
                    **common))
            elif kind == "Service" and not keys & SOURCE_KEYS:
                findings.append(Finding(
                    severity=Severity.MEDIUM, category=Category.CONFUSED_DEPUTY,
                    title=f"{value} may invoke it on behalf of any account",
                    detail=f"{statement.label} lets {value} invoke the function with no aws:SourceArn "
                           "or aws:SourceAccount condition, so a resource in someone else's account "
                           "(their bucket, topic or API) can make the service call it (confused "
                           "deputy). How to fix: add aws:SourceArn (and aws:SourceAccount) for the "
                           "one resource that should trigger it.",
                    **common))
            elif kind == "AWS" and account_of(value) and own and account_of(value) != own:
                findings.append(Finding(
                    severity=Severity.MEDIUM, category=Category.CROSS_ACCOUNT,
                    title=f"Account {account_of(value)} may invoke this function",
                    detail=f"{statement.label} grants {value}, outside account {own}, "
                           f"{', '.join(statement.action_patterns)}. How to fix: confirm the other "
                           "account is meant to call it and narrow the grant to one role.",
                    **common))
    return findings
