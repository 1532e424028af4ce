"""Effective permissions of one principal across all its policies: Allow minus Deny.

A Deny removes actions outright when it is unconditional and covers every resource the Allow
names; a Deny that is conditional or narrower only makes the grant less certain (it is kept
and recorded on the grant), because offline we cannot tell when it applies.
"""
import re
from dataclasses import dataclass
from functools import cached_property

from . import actions as action_db
from .policy import is_aws_owned, resources_match, wildcard_match

# Resource patterns that name no particular resource: "*", "arn:aws:s3:::*",
# "arn:aws:secretsmanager:*:*:secret:*", "arn:aws:ssm:*:*:parameter/*".
FULL_ACCESS_SHARE = 0.9
ANY_NAME = re.compile(r"^([A-Za-z][A-Za-z0-9-]*[:/])?\*$")


def is_any_resource(pattern):
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    rest = parts[5]
    if parts[2] == "s3":  # bucket names look like resource-type prefixes
        return rest in ("*", "*/*")
    return bool(ANY_NAME.match(rest))


@dataclass(frozen=True)
class Grant:
    statement: object  # policy.Statement with Effect Allow
    actions: frozenset  # what survives unconditional Denies
    partial_denies: tuple  # Deny statements that may remove part of it

    @property
    def resources(self):
        return self.statement.resources

    @property
    def not_resource(self):
        return self.statement.not_resource

    @property
    def policy(self):
        return self.statement.policy

    @property
    def broad(self):
        """Applies to every resource of the action's type (Resource "*" or NotResource)."""
        return self.not_resource or any(is_any_resource(r) for r in self.resources)

    def usable_for(self, action):
        """False when a write action is granted only on AWS-owned resources (no effect)."""
        if self.not_resource or not action_db.is_write(action):
            return True
        return any(not is_aws_owned(r) for r in self.resources)

    def certain_for(self, action):
        """No Condition and no Deny that might cut this action away."""
        return not self.statement.conditional and not any(
            action in deny.actions for deny in self.partial_denies)


def _deny_covers(deny, allow):
    if deny.not_resource:
        return False
    if "*" in deny.resources:
        return True
    if allow.not_resource:
        return False
    return all(any(wildcard_match(d, a) for d in deny.resources) for a in allow.resources)


class Permissions:
    """What a set of parsed policies lets one principal do."""

    def __init__(self, policies, boundary=None):
        """`boundary`: the Permissions of a permissions boundary, which caps what is allowed."""
        self.policies = list(policies)
        self.boundary = boundary
        statements = [s for p in self.policies for s in p.statements if not s.never_applies]
        self.denies = [s for s in statements if s.effect == "Deny"]
        self.grants = []
        for allow in (s for s in statements if s.effect == "Allow"):
            remaining, partial = allow.actions, []
            for deny in self.denies:
                if not (remaining & deny.actions):
                    continue
                if not deny.conditional and _deny_covers(deny, allow):
                    remaining = remaining - deny.actions
                else:
                    partial.append(deny)
            if boundary is not None:
                # Resource-level limits of the boundary are not intersected: actions only.
                remaining = remaining & boundary.actions
            if remaining:
                self.grants.append(Grant(allow, remaining, tuple(partial)))

    @cached_property
    def actions(self):
        return frozenset().union(*(g.actions for g in self.grants))

    def grants_for(self, action, *, usable=True):
        action = action.lower()
        return [g for g in self.grants if action in g.actions and (not usable or g.usable_for(action))]

    def allows(self, action, arn):
        """Grants that let `action` reach the resource `arn`, unless a Deny certainly stops it."""
        action = action.lower()
        for deny in self.denies:
            if action in deny.actions and not deny.conditional and resources_match(deny, arn):
                return []
        return [g for g in self.grants_for(action) if resources_match(g.statement, arn, variables=True)]

    def broad_actions(self, *, certain_only=False):
        found = set()
        for grant in self.grants:
            if grant.broad and (not certain_only or not grant.statement.conditional):
                found |= grant.actions
        return found

    @cached_property
    def full_access(self):
        """"certain", "conditional" or "": (nearly) every action allowed on every resource.

        Nine tenths rather than all, so that a narrow Deny next to "Action": "*" does not
        make an administrator look ordinary."""
        threshold = FULL_ACCESS_SHARE * len(action_db.database())
        if sum(len(g.actions) for g in self.grants if g.broad) < threshold:
            return ""  # cheap answer for almost every principal
        if len(self.broad_actions(certain_only=True)) >= threshold:
            return "certain"
        if len(self.broad_actions()) >= threshold:
            return "conditional"
        return ""


@dataclass
class Principal:
    """A role or user with everything the checks need to know about it."""

    arn: str
    kind: str  # "role" | "user"
    permissions: Permissions
    group_arns: tuple = ()
    # Customer managed policies attached directly or through a group (rewritable by it).
    managed_policy_arns: tuple = ()
    functions: tuple = ()  # Lambda functions that run with this role
    # Known-benign actions (flows.audit.benign): not reported one by one on Resource "*".
    benign: frozenset = frozenset()

    @property
    def name(self):
        return self.arn.rsplit("/", 1)[-1]
