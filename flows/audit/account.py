"""Audit a whole account from the output of `aws iam get-account-authorization-details`.

Every role and user is audited with all of its policies (inline, customer managed, AWS
managed, and for users those of their groups), then roles reachable by assuming them are
followed, so a principal that may become an administrator through a chain of roles is found.
Functions (from the synced graph) add resource-policy and shared-role findings.
"""
from collections import defaultdict, deque
from dataclasses import dataclass, field

from . import actions as action_db
from .benign import BENIGN_ACTIONS, benign_on_any_resource, rollup
from .checks import check_identity
from .effective import Permissions, Principal
from .findings import Category, Finding, Severity, sorted_findings
from .policy import Policy, is_aws_owned, parse_policy
from .takeover import Target, check_function_takeover, role_power
from .trust import account_of, check_function_policy, check_role_trust, trusted_principals

SERVICE_LINKED_PATH = "/aws-service-role/"
STRONG = {Category.ADMIN, Category.PRIVILEGE_ESCALATION}


@dataclass
class AuditResult:
    findings: list
    action_data: str
    principals: int = 0
    functions: int = 0
    problems: list = field(default_factory=list)


def _default_document(policy):
    versions = policy.get("PolicyVersionList") or []
    for version in versions:
        if isinstance(version, dict) and version.get("IsDefaultVersion"):
            return version.get("Document")
    for version in versions:
        if isinstance(version, dict) and version.get("VersionId") == policy.get("DefaultVersionId"):
            return version.get("Document")
    return None


class Catalogue:
    """The file's managed policies and groups, each parsed once however many use them."""

    def __init__(self, details, now):
        self.now = now
        self.raw_policies = {_text(p.get("Arn")): p for p in _items(details.get("Policies"))}
        self.groups = {_text(g.get("GroupName")): g for g in _items(details.get("GroupDetailList"))}
        self._parsed = {}

    def managed(self, attachment):
        arn = _text(attachment.get("PolicyArn"))
        name = _text(attachment.get("PolicyName")) or arn or "(unnamed managed policy)"
        if not arn:
            return Policy(name=name, problems=["it is attached without a PolicyArn"])
        if arn not in self._parsed:
            raw = self.raw_policies.get(arn)
            if raw is None:
                self._parsed[arn] = Policy(name=name, arn=arn, problems=[
                    "it is attached, but its document is not in the authorization details"])
            else:
                document = _default_document(raw)
                self._parsed[arn] = parse_policy(document, name, arn, now=self.now) if document is not None \
                    else Policy(name=name, arn=arn, problems=["it has no default version document"])
        return self._parsed[arn]

    def inline(self, owner, entry):
        name = _text(entry.get("PolicyName")) or "(unnamed inline policy)"
        key = (owner, name)
        if key not in self._parsed:
            self._parsed[key] = parse_policy(entry.get("PolicyDocument"), name, now=self.now)
        return self._parsed[key]

    def policies_of(self, entity, inline_key):
        owner = _text(entity.get("Arn"))
        found = [self.inline(owner, e) for e in _items(entity.get(inline_key))]
        found += [self.managed(a) for a in _items(entity.get("AttachedManagedPolicies"))]
        return found


def _items(value):
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value):
    """Strings pass; anything else in a field that should hold one counts as absent."""
    return value if isinstance(value, str) else ""


def _boundary(entity, catalogue, policies):
    """The boundary's Permissions, or None; an unreadable boundary is reported and ignored
    (so findings err on the side of more access, never less)."""
    boundary = entity.get("PermissionsBoundary")
    if not isinstance(boundary, dict) or not _text(boundary.get("PermissionsBoundaryArn")):
        return None
    arn = boundary["PermissionsBoundaryArn"]
    policy = catalogue.managed({"PolicyArn": arn, "PolicyName": arn.rsplit("/", 1)[-1]})
    if policy.problems and not policy.statements:
        policies.append(Policy(name=f"permissions boundary {policy.name}", arn=None, problems=[
            *policy.problems, "the boundary was ignored, so permissions may be smaller than reported"]))
        return None
    return Permissions([policy])


def _principals(details, catalogue, functions_by_role, benign=frozenset()):
    principals = []
    for role in _items(details.get("RoleDetailList")):
        if not _text(role.get("Arn")):
            continue
        policies = catalogue.policies_of(role, "RolePolicyList")
        boundary = _boundary(role, catalogue, policies)
        principals.append((role, Principal(
            arn=role["Arn"], kind="role", permissions=Permissions(policies, boundary),
            managed_policy_arns=tuple(p.arn for p in policies if p.arn and not is_aws_owned(p.arn)),
            functions=tuple(sorted(functions_by_role.get(role["Arn"], ()))), benign=benign)))
    for user in _items(details.get("UserDetailList")):
        if not _text(user.get("Arn")):
            continue
        policies = catalogue.policies_of(user, "UserPolicyList")
        group_arns = []
        names = user.get("GroupList") if isinstance(user.get("GroupList"), list) else []
        for group_name in (n for n in names if isinstance(n, str)):
            group = catalogue.groups.get(group_name)
            if group is None:
                policies.append(Policy(name=f"group {group_name}", problems=[
                    "the user belongs to this group, but the group is not in the authorization details"]))
                continue
            group_arns.append(_text(group.get("Arn")))
            policies += catalogue.policies_of(group, "GroupPolicyList")
        boundary = _boundary(user, catalogue, policies)
        principals.append((user, Principal(
            arn=user["Arn"], kind="user", permissions=Permissions(policies, boundary),
            group_arns=tuple(group_arns), benign=benign,
            managed_policy_arns=tuple(p.arn for p in policies if p.arn and not is_aws_owned(p.arn)))))
    return principals


def _unused_role(role, principal, running):
    """RoleLastUsed lags by hours (and emulators never set it): a role whose functions
    Flowscope saw run is in use, whatever IAM says."""
    last_used = role.get("RoleLastUsed")
    if not isinstance(last_used, dict) or last_used.get("LastUsedDate"):
        return []
    if running & set(principal.functions):
        return []
    return [Finding(
        principal=principal.arn, functions=list(principal.functions), severity=Severity.LOW,
        category=Category.UNUSED_PERMISSION, title="Role has no recorded use",
        detail="IAM records no use of this role (RoleLastUsed is empty; IAM tracks the last 400 days). "
               "Every permission it holds is granted but unused. How to fix: delete the role if "
               "nothing needs it.", resources=[principal.arn])]


def _can_assume(principal, role_arn, trusted):
    """(True/False, conditional) for `principal` assuming the role with these trusted entries."""
    for value, needs_permission, conditional in trusted:
        if not needs_permission and (value == principal.arn or (
                principal.kind == "role" and value.startswith(
                    principal.arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/"))):
            return True, conditional
        if needs_permission and (value == "*" or account_of(value) == account_of(principal.arn)):
            if value != "*" and not (value.endswith(":root") or value.isdigit()):
                continue
            grants = principal.permissions.allows("sts:AssumeRole", role_arn)
            if grants:
                return True, conditional or not all(g.certain_for("sts:assumerole") for g in grants)
    return False, False


def _assume_edges(principals, roles_trust):
    """{principal ARN: [(role ARN, conditional)]}: the roles each principal may assume directly."""
    edges = defaultdict(list)
    for principal in principals:
        for role_arn, trusted in roles_trust.items():
            if role_arn == principal.arn:
                continue
            ok, conditional = _can_assume(principal, role_arn, trusted)
            if ok:
                edges[principal.arn].append((role_arn, conditional))
    return edges


def _reachable(edges, start):
    """{role ARN: [(role ARN, conditional), ...] chain from `start`} over assume-role edges."""
    seen, queue = {start: []}, deque([start])
    while queue:
        current = queue.popleft()
        for role_arn, conditional in edges.get(current, []):
            if role_arn not in seen:
                seen[role_arn] = seen[current] + [(role_arn, conditional)]
                queue.append(role_arn)
    del seen[start]
    return seen


def _assume_chains(principals, edges, strong_roles):
    """privilege_escalation findings for principals that reach a privileged role by assuming roles."""
    findings = []
    for principal in principals:
        if principal.arn in strong_roles and strong_roles[principal.arn] == Category.ADMIN:
            continue
        for role_arn, chain in _reachable(edges, principal.arn).items():
            if role_arn in strong_roles:
                findings.append(_chain_finding(principal, chain, strong_roles[role_arn]))
    return findings


def _takeovers_through_roles(principals, edges, direct, ignore):
    """function_takeover findings for principals that may assume a role that can take over
    functions: the role's findings again, under the principal, for the functions it cannot
    already take over itself (and not its own)."""
    findings = []
    for principal in principals:
        if principal.arn in ignore:
            continue
        own = {arn for f in direct.get(principal.arn, ()) for arn in f.functions}
        for role_arn, chain in _reachable(edges, principal.arn).items():
            for finding in direct.get(role_arn, ()):
                functions = [f for f in finding.functions if f not in own and f not in principal.functions]
                if functions:
                    findings.append(_via_chain(principal, chain, finding, functions))
    return findings


def _via_chain(principal, chain, finding, functions):
    conditional = any(c for _, c in chain)
    explanation, _, fix = finding.detail.partition(" How to fix: ")
    steps = " -> ".join([principal.arn] + [arn for arn, _ in chain])
    return Finding(
        principal=principal.arn, functions=functions, category=Category.FUNCTION_TAKEOVER,
        severity=finding.severity.lowered() if conditional else finding.severity,
        title=f"{finding.title}, by assuming {chain[-1][0].rsplit('/', 1)[-1]}",
        detail=f"This {principal.kind} may assume {chain[-1][0]} ({steps}), and that role "
               + explanation.replace("This role may ", "may ", 1)
               + (" Not certain: a trust policy or grant along the way has a Condition." if conditional else "")
               + " How to fix: remove this principal from the trust policies along the chain, or " + fix,
        policy=finding.policy, actions=["sts:AssumeRole", *finding.actions],
        resources=[arn for arn, _ in chain] + finding.resources,
        confidence="medium" if conditional or finding.confidence != "high" else "high")


def _chain_finding(principal, chain, target_category):
    conditional = any(c for _, c in chain)
    target = chain[-1][0]
    steps = " -> ".join([principal.arn] + [arn for arn, _ in chain])
    power = "is administrator-equivalent" if target_category == Category.ADMIN else "can escalate privileges"
    severity = Severity.CRITICAL if target_category == Category.ADMIN else Severity.HIGH
    return Finding(
        principal=principal.arn, functions=list(principal.functions),
        severity=severity.lowered() if conditional else severity, category=Category.PRIVILEGE_ESCALATION,
        title=f"Privilege escalation: may assume {target.rsplit('/', 1)[-1]}",
        detail=f"This {principal.kind} may assume {target} ({steps}), which {power}. Trust policies "
               "that name a principal let it assume the role without any permission of its own. "
               "How to fix: remove this principal from the trust policies along the chain, or reduce "
               "the permissions of the role at its end."
               + (" Not certain: a trust policy or grant along the way has a Condition." if conditional else ""),
        policy="trust policy", actions=["sts:AssumeRole"], resources=[arn for arn, _ in chain],
        confidence="medium" if conditional else "high")


def _service_linked(finding):
    finding.severity = Severity.INFO
    finding.detail += (" This is a service-linked role: AWS defines its policies and you cannot "
                       "change them.")
    return finding


def audit_authorization_details(details, *, functions=(), now=None, shared_role_threshold=2, ignore=(),
                                benign=tuple(BENIGN_ACTIONS)):
    """Findings for every principal in the file and every function given.

    `functions`: [{"arn", "role", "resource_policy", "url_auth_type", "aliases", "running"}]
    from the synced graph ("aliases": those its triggers call; "running": Flowscope saw it
    run). `ignore`: principals never reported as able to take over a function (Flowscope's
    own read-only role). `benign`: actions rolled up into one info note instead of being
    reported per principal on Resource "*" (flows.audit.benign)."""
    if not isinstance(details, dict):
        finding = Finding(
            principal="(input)", severity=Severity.MEDIUM, category=Category.UNPARSEABLE,
            title="Authorization details could not be read",
            detail=f"Expected the JSON object printed by get-account-authorization-details, got "
                   f"{type(details).__name__}. Nothing was audited.")
        return AuditResult([finding], action_db.action_data_version())
    catalogue = Catalogue(details, now)
    functions = [f for f in functions if isinstance(f, dict) and _text(f.get("arn"))]
    functions_by_role = defaultdict(list)
    for function in functions:
        if _text(function.get("role")):
            functions_by_role[function["role"]].append(function["arn"])

    running = {f["arn"] for f in functions if f.get("running")}

    benign = frozenset(a.lower() for a in benign)
    entries = _principals(details, catalogue, functions_by_role, benign)
    findings, strong, roles_trust, powers, service_linked, benign_holders = [], {}, {}, {}, set(), []
    for entity, principal in entries:
        own = check_identity(principal)
        if benign and not principal.permissions.full_access:  # an admin holds everything anyway
            benign_holders.append((principal, benign_on_any_resource(principal)))
        if principal.kind == "role":
            own += check_role_trust(principal.arn, entity.get("AssumeRolePolicyDocument"), principal.functions)
            own += _unused_role(entity, principal, running)
            roles_trust[principal.arn] = trusted_principals(entity.get("AssumeRolePolicyDocument"))
            for finding in own:
                if finding.category in STRONG and finding.confidence == "high" \
                        and strong.get(principal.arn) != Category.ADMIN:
                    strong[principal.arn] = finding.category
        if SERVICE_LINKED_PATH in _text(entity.get("Path")):
            own = [_service_linked(f) for f in own]
            service_linked.add(principal.arn)
        if principal.kind == "role":
            powers[principal.arn] = role_power(own)
        findings += own
    principals = [p for _, p in entries]
    edges = _assume_edges(principals, roles_trust)
    findings += _assume_chains(principals, edges, strong)
    targets = [Target(arn=f["arn"], role=_text(f.get("role")),
                      aliases=tuple(sorted({a for a in f.get("aliases") or () if isinstance(a, str) and a})))
               for f in functions]
    if note := rollup(benign_holders):
        findings.append(note)
    takeovers = check_function_takeover(principals, targets, powers, ignore=ignore)
    direct = defaultdict(list)
    for finding in takeovers:
        direct[finding.principal].append(finding)
    takeovers += _takeovers_through_roles(principals, edges, direct, set(ignore))
    findings += [_service_linked(f) if f.principal in service_linked else f for f in takeovers]

    for function in functions:
        findings += check_function_policy(function["arn"], function.get("resource_policy"),
                                          function.get("url_auth_type"))
    for role_arn, function_arns in functions_by_role.items():
        if len(function_arns) >= shared_role_threshold:
            findings.append(Finding(
                principal=role_arn, functions=sorted(function_arns), severity=Severity.LOW,
                category=Category.SHARED_ROLE, title=f"One role for {len(function_arns)} functions",
                detail=f"{len(function_arns)} functions run with this role, so each holds the union of "
                       "what all of them need and a flaw in any one reaches the others' resources. "
                       "How to fix: give each function its own role with only what it uses.",
                resources=[role_arn]))
    return AuditResult(sorted_findings(findings), action_db.action_data_version(),
                       principals=len(entries), functions=len(functions))


def permissions_of(details, arn):
    """The effective Permissions of one role or user of the details, or None if absent."""
    catalogue = Catalogue(details if isinstance(details, dict) else {}, None)
    for _, principal in _principals(details if isinstance(details, dict) else {}, catalogue, {}):
        if principal.arn == arn:
            return principal.permissions
    return None
