"""The finding vocabulary (categories, severities) and the Finding record itself."""
from dataclasses import asdict, dataclass, field
from enum import StrEnum

FINDINGS_FORMAT = "flowscope.findings/1"


class Category(StrEnum):
    ADMIN = "admin"
    PRIVILEGE_ESCALATION = "privilege_escalation"
    DATA_EXFILTRATION = "data_exfiltration"
    CREDENTIALS_EXPOSURE = "credentials_exposure"
    PERMISSIONS_MANAGEMENT = "permissions_management"
    SERVICE_WILDCARD = "service_wildcard"
    WRITE_ANY_RESOURCE = "write_any_resource"
    INFRASTRUCTURE_MODIFICATION = "infrastructure_modification"
    PUBLIC_INVOKE = "public_invoke"
    CONFUSED_DEPUTY = "confused_deputy"
    CROSS_ACCOUNT = "cross_account"
    UNUSED_PERMISSION = "unused_permission"
    SHARED_ROLE = "shared_role"
    FUNCTION_TAKEOVER = "function_takeover"
    UNPARSEABLE = "unparseable"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self):
        """4 for critical down to 0 for info: higher is worse."""
        return list(reversed(Severity)).index(self)

    def lowered(self):
        """One step less severe (conditions make a grant less certain); info stays info."""
        return Severity(list(Severity)[min(list(Severity).index(self) + 1, len(Severity) - 1)])


@dataclass
class Finding:
    principal: str
    severity: Severity
    category: Category
    title: str
    detail: str
    policy: str | None = None
    actions: list = field(default_factory=list)
    resources: list = field(default_factory=list)
    functions: list = field(default_factory=list)
    suppressed: bool = False
    # "high" when every grant behind the finding is unconditional, "medium" otherwise.
    confidence: str = "high"
    suppressed_reason: str = ""

    def to_dict(self):
        data = asdict(self)
        data["severity"] = str(self.severity)
        data["category"] = str(self.category)
        if not self.suppressed_reason:
            data.pop("suppressed_reason")
        return data

    @property
    def sort_key(self):
        return (-self.severity.rank, self.category, self.principal, self.title)


def sorted_findings(findings):
    return sorted(findings, key=lambda f: f.sort_key)
