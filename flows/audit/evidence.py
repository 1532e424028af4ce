"""Turn matched grants into a Finding whose detail says what, why, which statement, and how to fix."""
from . import actions as action_db
from .findings import Finding

MAX_LISTED = 100


def statements_of(grants):
    seen, labels = set(), []
    for grant in grants:
        if grant.statement.label not in seen:
            seen.add(grant.statement.label)
            labels.append(grant.statement.label)
    return labels


def conditions_note(matched):
    notes = []
    for action, grants in matched.items():
        if any(g.certain_for(action) for g in grants):
            continue
        for grant in grants:
            if grant.statement.conditional:
                notes.append(f"{action_db.canonical(action)} only under the condition "
                             f"{grant.statement.condition_text()} ({grant.statement.label})")
            for deny in grant.partial_denies:
                if action in deny.actions:
                    notes.append(f"{action_db.canonical(action)} may be blocked by the Deny in "
                                 f"{deny.label}")
    return notes


def grant_finding(principal, category, severity, title, *, what, why, fix, matched, shown=None):
    """`matched`: {lower-case action: [Grant]} behind the finding (all non-empty); `shown`
    replaces the action names listed (e.g. the "*" pattern rather than its expansion)."""
    grants = [g for gs in matched.values() for g in gs]
    uncertain = conditions_note(matched)
    if uncertain:
        severity = severity.lowered()
    names = list(shown) if shown else sorted(action_db.canonical(a) for a in matched)
    listed = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    sources = "; ".join(statements_of(grants))
    detail = f"{what} ({listed}). {why} Granted by {sources}."
    if uncertain:
        detail += " Not certain: " + "; ".join(uncertain[:5]) + "."
    detail += f" How to fix: {fix}"
    policies = sorted({g.policy for g in grants})
    resources = sorted({("NotResource " if g.not_resource else "") + r
                        for g in grants for r in (g.resources or ("*",))})
    return Finding(
        principal=principal.arn, functions=list(principal.functions), severity=severity,
        category=category, title=title, detail=detail, policy=", ".join(policies) or None,
        actions=names[:MAX_LISTED], resources=resources[:MAX_LISTED],
        confidence="medium" if uncertain else "high",
    )
