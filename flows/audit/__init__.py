"""IAM audit: policy documents in, findings out. Pure analysis: no boto3, no ORM."""
from .account import AuditResult, audit_authorization_details
from .actions import action_data_version
from .findings import FINDINGS_FORMAT, Category, Finding, Severity
from .report import RENDERERS, apply_exclusions, failing, load_exclusions

__all__ = [
    "FINDINGS_FORMAT", "RENDERERS", "AuditResult", "Category", "Finding", "Severity",
    "action_data_version", "apply_exclusions", "audit_authorization_details", "failing",
    "load_exclusions",
]
