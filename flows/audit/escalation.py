"""Administrator equivalence and known privilege-escalation paths.

The action database says what each action is; which combinations let a principal raise its
own privileges is security knowledge that no such database holds, so the paths are listed
here. Each requirement is a tuple of alternatives; a path matches when every requirement is
granted, possibly by different policies of the same principal.
"""
import fnmatch
from dataclasses import dataclass

from . import actions as action_db
from .evidence import grant_finding
from .findings import Category, Severity


@dataclass(frozen=True)
class Path:
    name: str
    requires: tuple  # of tuples of lower-case alternatives
    how: str
    fix: str
    severity: Severity = Severity.HIGH


def _p(name, requires, how, fix, severity=Severity.HIGH):
    return Path(name, tuple(tuple(alternatives) for alternatives in requires), how, fix, severity)


PASS = ("iam:passrole",)
FIX_PASSROLE = ("restrict iam:PassRole to the specific roles this principal must hand over, "
                "with an iam:PassedToService condition, or remove it")
FIX_IAM = "remove this IAM write action or restrict its Resource to the resources that need it"

PATHS = (
    _p("CreatePolicyVersion", [("iam:createpolicyversion",)],
       "may publish a new default version of a customer managed policy, including one attached "
       "to itself, granting any permission", FIX_IAM, Severity.CRITICAL),
    _p("SetDefaultPolicyVersion", [("iam:setdefaultpolicyversion",)],
       "may switch a managed policy to an older, possibly broader, version", FIX_IAM,
       Severity.CRITICAL),
    _p("AttachUserPolicy", [("iam:attachuserpolicy",)],
       "may attach any managed policy (e.g. AdministratorAccess) to a user", FIX_IAM, Severity.CRITICAL),
    _p("AttachGroupPolicy", [("iam:attachgrouppolicy",)],
       "may attach any managed policy to a group, including its own", FIX_IAM, Severity.CRITICAL),
    _p("AttachRolePolicy", [("iam:attachrolepolicy",)],
       "may attach any managed policy to a role, including its own", FIX_IAM, Severity.CRITICAL),
    _p("PutUserPolicy", [("iam:putuserpolicy",)],
       "may write an inline policy granting anything to a user", FIX_IAM, Severity.CRITICAL),
    _p("PutGroupPolicy", [("iam:putgrouppolicy",)],
       "may write an inline policy granting anything to a group", FIX_IAM, Severity.CRITICAL),
    _p("PutRolePolicy", [("iam:putrolepolicy",)],
       "may write an inline policy granting anything to a role", FIX_IAM, Severity.CRITICAL),
    _p("AddUserToGroup", [("iam:addusertogroup",)],
       "may add a user it controls to a more privileged group", FIX_IAM, Severity.CRITICAL),
    _p("CreateAccessKey", [("iam:createaccesskey",)],
       "may create access keys for another, more privileged user and act as that user", FIX_IAM,
       Severity.CRITICAL),
    _p("CreateLoginProfile", [("iam:createloginprofile",)],
       "may set a console password for a user that has none and sign in as that user", FIX_IAM,
       Severity.CRITICAL),
    _p("UpdateLoginProfile", [("iam:updateloginprofile",)],
       "may change another user's console password and sign in as that user", FIX_IAM,
       Severity.CRITICAL),
    _p("UpdateAssumeRolePolicy", [("iam:updateassumerolepolicy",), ("sts:assumerole",)],
       "may rewrite a privileged role's trust policy to trust itself, then assume that role",
       FIX_IAM, Severity.CRITICAL),
    _p("PassRole to EC2", [PASS, ("ec2:runinstances", "ec2:requestspotinstances")],
       "may start an instance with a more privileged instance profile and use its credentials",
       FIX_PASSROLE),
    _p("PassRole to a new Lambda function",
       [PASS, ("lambda:createfunction",),
        ("lambda:invokefunction", "lambda:createeventsourcemapping", "lambda:addpermission",
         "lambda:createfunctionurlconfig")],
       "may create a function that runs as a more privileged role, then trigger it", FIX_PASSROLE),
    _p("Update Lambda function code", [("lambda:updatefunctioncode",)],
       "may replace the code of an existing function and so act with that function's role",
       "restrict lambda:UpdateFunctionCode to functions whose roles are no more privileged than "
       "this principal, or leave deployments to the pipeline"),
    _p("PassRole to a Glue development endpoint", [PASS, ("glue:createdevendpoint",)],
       "may create a Glue endpoint running as a more privileged role and log in to it", FIX_PASSROLE),
    _p("Update a Glue development endpoint", [("glue:updatedevendpoint",)],
       "may add its SSH key to an existing Glue endpoint and use that endpoint's role",
       "remove glue:UpdateDevEndpoint or restrict it to endpoints without privileged roles"),
    _p("PassRole to CloudFormation", [PASS, ("cloudformation:createstack", "cloudformation:createstackset")],
       "may launch a stack that runs as a more privileged service role", FIX_PASSROLE),
    _p("Update a CloudFormation stack", [("cloudformation:updatestack", "cloudformation:executechangeset")],
       "may change an existing stack whose service role is more privileged than itself",
       "restrict stack updates to stacks without privileged service roles"),
    _p("PassRole to Data Pipeline",
       [PASS, ("datapipeline:createpipeline",), ("datapipeline:putpipelinedefinition",)],
       "may define a pipeline that runs commands as a more privileged role", FIX_PASSROLE),
    _p("PassRole to CodeBuild",
       [PASS, ("codebuild:createproject",), ("codebuild:startbuild", "codebuild:startbuildbatch")],
       "may create a build project that runs as a more privileged role", FIX_PASSROLE),
    _p("PassRole to a SageMaker notebook",
       [PASS, ("sagemaker:createnotebookinstance",), ("sagemaker:createpresignednotebookinstanceurl",)],
       "may create a notebook that runs as a more privileged role and open it", FIX_PASSROLE),
    _p("Open an existing SageMaker notebook", [("sagemaker:createpresignednotebookinstanceurl",)],
       "may open a shell in an existing notebook and use the notebook's role",
       "restrict sagemaker:CreatePresignedNotebookInstanceUrl to notebooks with unprivileged roles"),
    _p("PassRole to a SageMaker training job", [PASS, ("sagemaker:createtrainingjob",)],
       "may run a training job with its own code as a more privileged role", FIX_PASSROLE),
    _p("PassRole to a SageMaker processing job", [PASS, ("sagemaker:createprocessingjob",)],
       "may run a processing job with its own code as a more privileged role", FIX_PASSROLE),
    _p("PassRole to an ECS task",
       [PASS, ("ecs:registertaskdefinition",), ("ecs:runtask", "ecs:starttask", "ecs:createservice")],
       "may run a container with its own code as a more privileged task role", FIX_PASSROLE),
    _p("Run commands through SSM", [("ssm:sendcommand",)],
       "may run commands on managed instances and use their instance roles",
       "restrict ssm:SendCommand to specific instances and documents"),
    _p("Open SSM sessions", [("ssm:startsession",)],
       "may open a shell on managed instances and use their instance roles",
       "restrict ssm:StartSession to specific instances"),
    _p("EC2 Instance Connect",
       [("ec2-instance-connect:sendsshpublickey", "ec2-instance-connect:sendserialconsolesshpublickey")],
       "may push an SSH key to running instances, log in and use their instance roles",
       "restrict EC2 Instance Connect to specific instances"),
)

# A principal that may write policies onto itself can grant itself anything.
SELF_REWRITE = {
    "role": ("iam:putrolepolicy", "iam:attachrolepolicy"),
    "user": ("iam:putuserpolicy", "iam:attachuserpolicy"),
}
GROUP_REWRITE = ("iam:putgrouppolicy", "iam:attachgrouppolicy")
VERSION_REWRITE = ("iam:createpolicyversion",)


def self_rewrite(principal):
    """{action: [Grant]} that let the principal change its own permissions."""
    perms, matched = principal.permissions, {}
    for action in SELF_REWRITE.get(principal.kind, ()):
        if grants := perms.allows(action, principal.arn):
            matched[action] = grants
    for group in principal.group_arns:
        for action in GROUP_REWRITE:
            if grants := perms.allows(action, group):
                matched.setdefault(action, []).extend(grants)
    for policy_arn in principal.managed_policy_arns:
        for action in VERSION_REWRITE:
            if grants := perms.allows(action, policy_arn):
                matched.setdefault(action, []).extend(grants)
    return matched


def check_admin(principal):
    perms = principal.permissions
    if perms.full_access:
        return [_full_access_finding(principal)]
    matched = self_rewrite(principal)
    if not matched:
        return []
    return [grant_finding(
        principal, Category.ADMIN, Severity.CRITICAL, "Administrator-equivalent: may rewrite its own permissions",
        what=f"This {principal.kind} may change the policies that apply to itself",
        why="A principal that can rewrite its own policies can grant itself any permission, so it is "
            "an administrator in all but name.",
        fix="remove IAM policy-writing actions from it, or restrict their Resource so they cannot "
            "reach this principal, its groups or its policies.",
        matched=matched)]


def _full_access_finding(principal):
    perms = principal.permissions
    broad = [g for g in perms.grants if g.broad]
    # The few statements that carry most of the access explain it best.
    broad.sort(key=lambda g: -len(g.actions))
    top = broad[:3]
    missing = len(action_db.database()) - len(perms.broad_actions())
    scope = "every action" if missing <= 0 else f"every action but {missing}"
    finding = grant_finding(
        principal, Category.ADMIN, Severity.CRITICAL, f"Administrator access: {scope} on every resource",
        what=f"This {principal.kind} may perform {scope} on every resource",
        why="Anyone who controls it (its code, its keys, its session) controls the whole account, "
            "including IAM, data and billing; escalation, data and write findings are all implied.",
        fix="replace the broad grant with the specific actions and resources this principal uses.",
        matched={a: [g] for g in top for a in sorted(g.actions)[:1]},
        shown=sorted({("NotAction " if g.statement.not_action else "") + p
                      for g in top for p in g.statement.action_patterns}))
    if perms.full_access == "conditional" and finding.confidence == "high":
        finding.confidence, finding.severity = "medium", Severity.HIGH
    return finding


# Actions that act on a user: granted only on the caller itself (the self-service pattern
# "user/${aws:username}"), they reach no one more privileged.
ON_USERS = {"iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile"}
SELF_VARIABLE = "${aws:username}"


def _beyond_self(principal, action):
    grants = principal.permissions.grants_for(action)
    if action not in ON_USERS or principal.kind != "user":
        return grants
    return [g for g in grants if g.not_resource or any(
        r != principal.arn and not r.endswith("/" + SELF_VARIABLE) for r in g.resources)]


def _receiving_services(path):
    """Service principals a path hands the role to (what iam:PassedToService would name)."""
    services = {a.split(":", 1)[0] for alternatives in path.requires for a in alternatives} - {"iam"}
    return {"ecs-tasks.amazonaws.com" if s == "ecs" else f"{s}.amazonaws.com" for s in services}


def _passable(grants, path):
    """PassRole grants whose iam:PassedToService condition (if any) admits the path's service."""
    return passable_to(grants, _receiving_services(path))


def passable_to(grants, wanted):
    """PassRole grants whose iam:PassedToService condition (if any) admits one of the
    service principals in `wanted` (e.g. {"lambda.amazonaws.com"})."""
    kept = []
    for grant in grants:
        admitted = True
        for operator, block in grant.statement.conditions.items():
            for key, values in (block.items() if isinstance(block, dict) else []):
                if str(key).lower() != "iam:passedtoservice":
                    continue
                names = [str(v).lower() for v in (values if isinstance(values, list) else [values])]
                op = str(operator).lower().removeprefix("forallvalues:").removeprefix("foranyvalue:")
                if op in ("stringequals", "stringequalsignorecase"):
                    admitted &= bool(wanted & set(names))
                elif op == "stringlike":
                    admitted &= any(fnmatch.fnmatchcase(w, n) for w in wanted for n in names)
                elif op in ("stringnotequals", "stringnotequalsignorecase"):
                    admitted &= bool(wanted - set(names))
        if admitted:
            kept.append(grant)
    return kept


def check_escalation(principal):
    if principal.permissions.full_access:
        return []  # reported once as admin
    findings = []
    for path in PATHS:
        matched = {}
        for alternatives in path.requires:
            found = {a: g for a in alternatives if (g := _beyond_self(principal, a))}
            if alternatives == PASS:
                found = {a: kept for a, g in found.items() if (kept := _passable(g, path))}
            if not found:
                break
            matched.update(found)
        else:
            findings.append(grant_finding(
                principal, Category.PRIVILEGE_ESCALATION, path.severity,
                f"Privilege escalation: {path.name}",
                what=f"This {principal.kind} {path.how}",
                why="That lets it, or whoever controls it, gain permissions it was not given.",
                fix=path.fix + ".", matched=matched))
    return findings
