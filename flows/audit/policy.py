"""Policy documents in, normalised statements out, with the reason for anything unreadable.

Documents arrive as dicts, JSON strings or URL-encoded JSON strings (IAM's
GetRolePolicy returns the latter); every element may be a single value or a list. Nothing
here raises on bad input: problems are collected on the returned `Policy` instead.
"""
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import unquote

from . import actions as action_db

# Far above any real policy (IAM's largest quota is 10,240 characters; AWS managed policies
# reach ~100 kB): beyond this we stop rather than spend minutes on one document.
MAX_DOCUMENT_CHARS = 1_000_000
MAX_STATEMENTS = 5_000

DATE_KEYS = {"aws:currenttime", "aws:tokenissuetime", "aws:epochtime"}
# Temporary credentials live at most 36 hours, so a token cannot be older than this.
TOKEN_MAX_AGE = timedelta(hours=36)


@dataclass(frozen=True)
class Statement:
    policy: str
    index: int  # 1-based position in the document
    sid: str
    effect: str  # "Allow" | "Deny"
    action_patterns: tuple
    not_action: bool
    actions: frozenset  # lower-case known actions it covers
    unknown_actions: tuple  # patterns that match no known action
    resources: tuple
    not_resource: bool
    principals: tuple  # (("AWS", "arn:..."), ("Service", "lambda.amazonaws.com"), ("*", "*"))
    conditions: dict = field(hash=False, compare=False)
    never_applies: str = ""  # why the Condition can never be true, if it cannot

    @property
    def label(self):
        where = f'statement {self.index}' + (f' ("{self.sid}")' if self.sid else "")
        return f'{where} of policy "{self.policy}"'

    @property
    def conditional(self):
        return bool(self.conditions)

    def condition_text(self):
        parts = []
        for operator, values in self.conditions.items():
            for key, value in (values.items() if isinstance(values, dict) else []):
                parts.append(f"{operator} {key} {json.dumps(value)}")
        return "; ".join(parts)


@dataclass
class Policy:
    name: str
    arn: str | None = None
    statements: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def decode_document(raw):
    """(dict or None, problem or ""): accepts a dict, JSON text or URL-encoded JSON text."""
    if isinstance(raw, dict):
        return raw, ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        return None, f"the document is a {type(raw).__name__}, not a JSON object"
    if len(raw) > MAX_DOCUMENT_CHARS:
        return None, f"the document has {len(raw):,} characters, too large to analyse"
    text = raw.strip()
    if text.startswith("%"):
        text = unquote(text)
    try:
        document = json.loads(text)
    except ValueError as exc:
        try:
            document = json.loads(unquote(text))
        except ValueError:
            return None, f"the document is not valid JSON ({exc})"
    if not isinstance(document, dict):
        return None, f"the document is a JSON {type(document).__name__}, not an object"
    return document, ""


def as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def parse_policy(raw, name, arn=None, *, now=None, resource_required=True):
    """Parse one document into a Policy. `resource_required` is False for trust policies."""
    policy = Policy(name=name or "(unnamed)", arn=arn)
    document, problem = decode_document(raw)
    if problem:
        policy.problems.append(problem)
        return policy
    if len(json.dumps(document, default=str)) > MAX_DOCUMENT_CHARS:
        policy.problems.append("the document is too large to analyse")
        return policy
    if "Statement" not in document:
        policy.problems.append("the document has no Statement")
        return policy
    raw_statements = as_list(document["Statement"])
    if not raw_statements:
        policy.problems.append("the document's Statement list is empty")
    if len(raw_statements) > MAX_STATEMENTS:
        policy.problems.append(f"the document has {len(raw_statements):,} statements, too many to analyse")
        return policy
    for index, raw_statement in enumerate(raw_statements, start=1):
        statement, problems = parse_statement(raw_statement, policy.name, index, now, resource_required)
        policy.problems.extend(problems)
        if statement is not None:
            policy.statements.append(statement)
    return policy


def parse_statement(raw, policy_name, index, now=None, resource_required=True):
    """(Statement or None, [problem]) for one element of the Statement list."""
    where = f"statement {index}"
    if not isinstance(raw, dict):
        return None, [f"{where} is a {type(raw).__name__}, not an object"]
    problems = []
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        return None, [f'{where} has Effect {json.dumps(effect, default=str)}, not "Allow" or "Deny"']
    if ("Action" in raw) == ("NotAction" in raw):
        return None, [f"{where} must have exactly one of Action and NotAction"]
    not_action = "NotAction" in raw
    patterns = tuple(as_list(raw.get("NotAction" if not_action else "Action")))
    bad = [p for p in patterns if not action_db.is_valid_pattern(p)]
    if bad:
        problems.append(f"{where} has malformed actions: {', '.join(map(_short, bad))}")
    valid = tuple(p for p in patterns if action_db.is_valid_pattern(p))
    if not_action:
        covered = action_db.expand_not(valid)
        unknown = ()
    else:
        expanded = [(p, action_db.expand(p)) for p in valid]
        covered = frozenset().union(*(found for _, found in expanded))
        unknown = tuple(p for p, found in expanded if not found)
    if unknown:
        problems.append(f"{where} names actions unknown to the action database: {', '.join(unknown)}")
    if "Resource" in raw and "NotResource" in raw:
        return None, problems + [f"{where} has both Resource and NotResource"]
    not_resource = "NotResource" in raw
    resources = tuple(str(r) for r in as_list(raw.get("NotResource" if not_resource else "Resource")))
    if resource_required and not resources and not not_resource:
        return None, problems + [f"{where} has no Resource"]
    conditions = raw.get("Condition") or {}
    if not isinstance(conditions, dict):
        problems.append(f"{where} has a Condition that is not an object; treated as always true")
        conditions = {}
    principals = _principals(raw.get("Principal"))
    if "NotPrincipal" in raw:
        principals += tuple(("Not" + kind, value) for kind, value in _principals(raw["NotPrincipal"]))
    statement = Statement(
        policy=policy_name, index=index, sid=str(raw.get("Sid") or ""), effect=effect,
        action_patterns=tuple(str(p) for p in patterns), not_action=not_action,
        actions=covered, unknown_actions=unknown, resources=resources, not_resource=not_resource,
        principals=principals, conditions=_drop_vacuous(conditions, now),
        never_applies=never_true(conditions, now),
    )
    return statement, problems


def _short(value):
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _principals(raw):
    if raw is None:
        return ()
    if raw == "*":
        return (("*", "*"),)
    if not isinstance(raw, dict):
        return (("?", str(raw)),)
    return tuple((str(kind), str(value)) for kind, values in raw.items() for value in as_list(values))


# --- Conditions: only date comparisons against the clock are decidable offline. ----------

def _parse_time(value):
    try:
        if isinstance(value, (int, float)) or str(value).isdigit():
            return datetime.fromtimestamp(float(value), UTC)
        parsed = datetime.fromisoformat(str(value))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _date_verdict(operator, key, values, now):
    """True (always holds from now on), False (can never hold again) or None (undecided)."""
    if operator.endswith("IfExists") or key.lower() not in DATE_KEYS:
        return None
    times = [_parse_time(v) for v in as_list(values)]
    if not times or None in times:
        return None
    # A token in use now was issued at most TOKEN_MAX_AGE ago.
    earliest = now - TOKEN_MAX_AGE if key.lower() == "aws:tokenissuetime" else now
    if operator in ("DateLessThan", "DateLessThanEquals"):
        return False if all(t < earliest for t in times) else None
    if operator in ("DateGreaterThan", "DateGreaterThanEquals"):
        return True if any(t < earliest for t in times) else None
    return None


def never_true(conditions, now=None):
    """Why this Condition block can never be satisfied, or "" when it might be."""
    if not isinstance(conditions, dict):
        return ""
    now = now or datetime.now(UTC)
    for operator, block in conditions.items():
        for key, values in (block.items() if isinstance(block, dict) else []):
            if _date_verdict(str(operator), str(key), values, now) is False:
                return f"its condition {operator} {key} {json.dumps(values, default=str)} lies in the past"
    return ""


def _drop_vacuous(conditions, now=None):
    """The Condition without comparisons that always hold (e.g. DateGreaterThan 2020)."""
    now = now or datetime.now(UTC)
    kept = {}
    for operator, block in conditions.items():
        if not isinstance(block, dict):
            kept[operator] = block
            continue
        remaining = {k: v for k, v in block.items()
                     if _date_verdict(str(operator), str(k), v, now) is not True}
        if remaining:
            kept[operator] = remaining
    return kept


# --- Resource and principal patterns ---------------------------------------------------

VARIABLE = re.compile(r"(\$\{[^}]*\})")
ESCAPES = {"${*}": "*", "${?}": "?", "${$}": "$"}


@lru_cache(maxsize=16384)
def _compiled(pattern, variables):
    """Regex for a Resource pattern. A policy variable such as ${aws:username} matches
    anything when `variables` (judging an Allow: it may resolve to this ARN) and nothing
    otherwise (a Deny we cannot resolve must not remove access)."""
    parts = []
    for token in VARIABLE.split(pattern):
        if token in ESCAPES:
            parts.append(re.escape(ESCAPES[token]))
        elif VARIABLE.fullmatch(token):
            parts.append(".*" if variables else "(?!)")
        else:
            parts.extend(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in token)
    return re.compile("".join(parts), re.DOTALL)


def wildcard_match(pattern, value, *, variables=False):
    """IAM matching of one Resource pattern against a value (ARNs are case-sensitive)."""
    return pattern == "*" or bool(_compiled(pattern, variables).fullmatch(value))


def resources_match(statement_or_grant, arn, *, variables=False):
    """Whether the statement's Resource/NotResource element applies to `arn`."""
    hit = any(wildcard_match(p, arn, variables=variables) for p in statement_or_grant.resources)
    return not hit if statement_or_grant.not_resource else hit


def is_aws_owned(pattern):
    """ARNs in the "aws" account (AWS managed policies) cannot be changed by any customer."""
    parts = pattern.split(":", 5)
    return len(parts) == 6 and parts[4] == "aws"
