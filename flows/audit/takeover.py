"""function_takeover: who may change what a function runs, or who may call it.

Whoever can replace a function's code or configuration runs code with its execution role, and
whoever can add to its resource policy decides who may invoke it. For every function we ask
each principal's effective permissions (Allow minus Deny, capped by a permissions boundary)
whether the action reaches that function's ARN, so resource ARNs, wildcards, NotAction,
NotResource, Deny and boundaries count exactly as in the rest of the audit. A route that only
holds under a Condition (or past a conditional Deny) is reported with medium confidence and one
step less severe. Severity follows what the function's role may do: taking over a function
that runs as an administrator is critical.
"""
import re
from collections import defaultdict
from dataclasses import dataclass

from .escalation import passable_to
from .evidence import grant_finding
from .findings import Category, Severity
from .policy import resources_match

CODE = "lambda:updatefunctioncode"
CONFIGURATION = "lambda:updatefunctionconfiguration"
ALIAS = "lambda:updatealias"
PUBLISH = "lambda:publishversion"
PERMISSION = "lambda:addpermission"
PASS_ROLE = "iam:passrole"
CREATE = "lambda:createfunction"
# A new function running as the role still has to be run: invoked directly, wired to an
# event source, or opened to a caller.
RUN_NEW = ("lambda:invokefunction", "lambda:createeventsourcemapping", "lambda:addpermission",
           "lambda:createfunctionurlconfig")
# A principal holding none of these cannot take over any function: skip it cheaply.
ENTRY_ACTIONS = frozenset({CODE, CONFIGURATION, ALIAS, PERMISSION, CREATE})
LAMBDA_SERVICE = {"lambda.amazonaws.com"}

# What makes a role worth taking over, from its own findings.
POWER = {Category.ADMIN, Category.PRIVILEGE_ESCALATION, Category.DATA_EXFILTRATION,
         Category.CREDENTIALS_EXPOSURE, Category.PERMISSIONS_MANAGEMENT, Category.SERVICE_WILDCARD,
         Category.WRITE_ANY_RESOURCE, Category.INFRASTRUCTURE_MODIFICATION}
WEAK_ROLE = (Severity.LOW, "narrowly scoped")
UNKNOWN_ROLE = (Severity.MEDIUM, "its permissions could not be read")
LISTED_FUNCTIONS = 10


@dataclass(frozen=True)
class Target:
    """A function as the takeover check needs it."""

    arn: str  # unqualified function ARN
    role: str  # execution role ARN ("" when unknown)
    aliases: tuple = ()  # aliases that its triggers call

    @property
    def name(self):
        return self.arn.split(":function:", 1)[-1]

    @property
    def prefix(self):
        """"arn:aws:lambda:REGION:ACCOUNT:function:": where a new function would be created."""
        return self.arn.split(":function:", 1)[0] + ":function:"


@dataclass
class Route:
    label: str
    matched: dict  # {lower-case action: [Grant]}
    certain: bool = True  # every action has a grant without Condition or conditional Deny


def role_power(findings):
    """(Severity, why) of what a role may do, from its own findings: the severity of its most
    severe finding that says it is powerful, or low when it has none."""
    strongest = None
    for finding in findings:
        if finding.category in POWER and (strongest is None or finding.severity.rank > strongest.severity.rank):
            strongest = finding
    if strongest is None:
        return WEAK_ROLE
    return strongest.severity, f"“{strongest.title}”"


def _literal_head(pattern):
    return re.split(r"[*?]|\$\{", pattern, maxsplit=1)[0]


def _reaches_some_function(grant, prefix):
    """Whether the grant's Resource can name some function under `prefix` (one that does not
    exist yet, for CreateFunction). NotResource is taken to leave some name free."""
    if grant.not_resource:
        return True
    for pattern in grant.resources:
        head = _literal_head(pattern)
        if head == pattern:
            if pattern.startswith(prefix):
                return True
        elif head.startswith(prefix) or prefix.startswith(head):
            return True
    return False


def _somewhere(perms, action, prefix):
    """Grants of `action` on some function under `prefix`, unless a Deny certainly covers all."""
    probe = prefix + "*"
    for deny in perms.denies:
        if action in deny.actions and not deny.conditional and resources_match(deny, probe):
            return []
    return [g for g in perms.grants_for(action) if _reaches_some_function(g, prefix)]


class Taker:
    """One principal's routes to taking over functions. Its grants and unconditional Denies
    per action are looked up once, and its per-prefix and per-role answers cached: thousands
    of functions are checked against the same few statements."""

    def __init__(self, principal):
        self.principal = principal
        self.perms = perms = principal.permissions
        self._grants, self._denies = {}, {}
        for action in (CODE, CONFIGURATION, ALIAS, PUBLISH, PERMISSION):
            # (grant, applies to every resource): most deployers hold "*", which needs no regex.
            self._grants[action] = [(g, "*" in g.resources and not g.not_resource) for g in perms.grants_for(action)]
            self._denies[action] = [d for d in perms.denies if action in d.actions and not d.conditional]
        self._create, self._pass, self._certain = {}, {}, {}

    def _on(self, action, arns):
        """Grants of `action` reaching one of `arns` (what Permissions.allows answers, for many
        functions at the cost of a few comparisons each)."""
        grants = self._grants[action]
        if not grants:
            return []
        found = []
        for arn in arns:
            if any(resources_match(d, arn) for d in self._denies[action]):
                continue
            for grant, everywhere in grants:
                if (everywhere or resources_match(grant.statement, arn, variables=True)) \
                        and not any(grant is g for g in found):
                    found.append(grant)
        return found

    def _new_function(self, target):
        if target.prefix not in self._create:
            create = _somewhere(self.perms, CREATE, target.prefix)
            run = {a: g for a in RUN_NEW if (g := _somewhere(self.perms, a, target.prefix))}
            self._create[target.prefix] = (create, run)
        return self._create[target.prefix]

    def _passable(self, role):
        if role not in self._pass:
            self._pass[role] = passable_to(self.perms.allows(PASS_ROLE, role), LAMBDA_SERVICE)
        return self._pass[role]

    def _sure(self, matched):
        """Route certainty, cached: the same few grants come back for thousands of functions."""
        key = tuple((a, tuple(map(id, grants))) for a, grants in matched.items())
        if key not in self._certain:
            self._certain[key] = all(any(g.certain_for(a) for g in grants) for a, grants in matched.items())
        return self._certain[key]

    def routes(self, target):
        return [Route(label, matched, self._sure(matched)) for label, matched in self._routes(target)]

    def _routes(self, target):
        found, unqualified = [], [target.arn]
        if grants := self._on(CODE, unqualified):
            found.append(("change the code", {CODE: grants}))
        if grants := self._on(CONFIGURATION, unqualified):
            found.append(("change the configuration (layers, environment, role)", {CONFIGURATION: grants}))
        qualified = unqualified + [f"{target.arn}:{alias}" for alias in target.aliases]
        if target.aliases and (grants := self._on(ALIAS, qualified)):
            matched = {ALIAS: grants}
            if published := self._on(PUBLISH, qualified):
                matched[PUBLISH] = published
            found.append((f"repoint the alias triggers call ({', '.join(target.aliases)})", matched))
        if grants := self._on(PERMISSION, qualified):
            found.append(("let anyone invoke (add to the resource policy)", {PERMISSION: grants}))
        if target.role and target.role != self.principal.arn and (passed := self._passable(target.role)):
            create, run = self._new_function(target)
            if create and run:
                found.append(("pass the role to a new function and run it",
                              {PASS_ROLE: passed, CREATE: create, **run}))
        return found


def check_function_takeover(principals, targets, powers, *, ignore=()):
    """function_takeover findings: one per principal and severity, listing the functions.

    `targets`: [Target]; `powers`: {role ARN: (Severity, why)} from role_power; `ignore`:
    principals never reported (Flowscope's own read-only role)."""
    ignored = set(ignore)
    findings = []
    for principal in principals:
        if principal.arn in ignored or not (principal.permissions.actions & ENTRY_ACTIONS):
            continue
        taker = Taker(principal)
        groups = defaultdict(list)  # (severity, certain) -> [(target, routes, why)]
        for target in targets:
            if target.role == principal.arn:
                continue  # a function's own role gains nothing by taking it over
            routes = taker.routes(target)
            if not routes:
                continue
            certain = [r for r in routes if r.certain]
            severity, why = powers.get(target.role, UNKNOWN_ROLE) if target.role else UNKNOWN_ROLE
            groups[(severity, bool(certain))].append((target, certain or routes, why))
        for (severity, _certain), entries in sorted(groups.items(), key=lambda item: -item[0][0].rank):
            findings.append(_finding(principal, severity, entries))
    return findings


def _finding(principal, severity, entries):
    matched, seen = defaultdict(list), set()
    for _, routes, _ in entries:
        for route in routes:
            for action, grants in route.matched.items():
                for grant in grants:
                    if (action, id(grant)) not in seen:
                        seen.add((action, id(grant)))
                        matched[action].append(grant)
    labels = list(dict.fromkeys(r.label for _, routes, _ in entries for r in routes))
    certain = all(r.certain for _, routes, _ in entries for r in routes)
    by_role = defaultdict(list)  # functions grouped under their role: far shorter than one line each
    for target, _, why in entries:
        by_role[(target.role.rsplit("/", 1)[-1] or "unknown role", why)].append(target.name)
    described = [f"{role} ({why}): {', '.join(names[:LISTED_FUNCTIONS])}"
                 + (f" and {len(names) - LISTED_FUNCTIONS} more" if len(names) > LISTED_FUNCTIONS else "")
                 for (role, why), names in list(by_role.items())[:LISTED_FUNCTIONS]]
    more = len(by_role) - LISTED_FUNCTIONS
    # One finding per principal, role rating and certainty; the title names no function so
    # that its fingerprint (and a suppression) survives functions coming and going.
    title = f"May take over functions whose roles are rated {severity}" + ("" if certain else ", under conditions")
    finding = grant_finding(
        principal, Category.FUNCTION_TAKEOVER, severity, title,
        what=f"This {principal.kind} may {' or '.join(labels)} of functions running as these roles: "
             + "; ".join(described) + (f"; and {more} more roles" if more > 0 else ""),
        why="Whoever changes a function's code or configuration runs code with its execution role, "
            "and whoever edits its resource policy decides who may invoke it.",
        fix="restrict these Lambda actions (and iam:PassRole) to the functions this principal "
            "deploys, or leave deployments to a pipeline role.",
        matched=dict(matched))
    finding.functions = sorted(target.arn for target, _, _ in entries)
    return finding
