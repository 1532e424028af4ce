"""Known-benign grants: actions nearly every Lambda account grants on Resource "*" because
AWS's own managed policies for Lambda do, and whose excess is small. They are not reported
role by role (13 identical LOW findings taught nobody anything); one informational note
lists the roles holding them. Users replace the list with FLOWSCOPE_AUDIT_BENIGN_ACTIONS."""
from . import actions as action_db
from .findings import Category, Finding, Severity

# {lower-case action: why it is benign on "*"}; docs/audit.md gives the same reasons.
BENIGN_ACTIONS = {
    "logs:createloggroup": "AWSLambdaBasicExecutionRole: Lambda creates the function's own log group",
    "logs:createlogstream": "AWSLambdaBasicExecutionRole: one stream per execution environment",
    "logs:putlogevents": "AWSLambdaBasicExecutionRole: append-only, it cannot read or delete logs",
    "cloudwatch:putmetricdata": "append-only custom metrics (embedded metric format, Powertools)",
    "ec2:createnetworkinterface": "AWSLambdaVPCAccessExecutionRole: Lambda's ENIs in the function's subnets",
    "ec2:deletenetworkinterface": "AWSLambdaVPCAccessExecutionRole: Lambda removes the ENIs it created",
    "ec2:assignprivateipaddresses": "AWSLambdaVPCAccessExecutionRole: addresses for those ENIs",
    "ec2:unassignprivateipaddresses": "AWSLambdaVPCAccessExecutionRole: releases those addresses",
}


def benign_on_any_resource(principal):
    """The benign actions this principal holds on every resource, in the order of the list."""
    perms = principal.permissions
    return [a for a in sorted(principal.benign) if any(g.broad for g in perms.grants_for(a))]


def rollup(holders):
    """One info finding for every principal holding benign grants on "*"; `holders` is
    [(principal, [actions])]. None when nobody holds any."""
    holders = [(p, actions) for p, actions in holders if actions]
    if not holders:
        return None
    actions = sorted({a for _, held in holders for a in held})
    names = [action_db.canonical(a) for a in actions]
    return Finding(
        principal="(known-benign grants)", severity=Severity.INFO, category=Category.WRITE_ANY_RESOURCE,
        title=f"Known-benign grants on every resource: {len(holders)} principal{'s' if len(holders) != 1 else ''}",
        detail=f"{len(holders)} principals hold {', '.join(names)} on Resource \"*\", as AWS's managed "
               "policies for Lambda grant them (basic execution, VPC access). They only append logs and "
               "metrics or manage Lambda's own network interfaces, so they are not reported one by one. "
               "How to fix: nothing urgent; scope logs actions to the function's own log group when you "
               "next touch the role, or set FLOWSCOPE_AUDIT_BENIGN_ACTIONS to report them again.",
        actions=names, resources=sorted(p.arn for p, _ in holders))
