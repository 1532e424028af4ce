import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from flows.audit import (
    RENDERERS,
    AuditResult,
    action_data_version,
    apply_exclusions,
    audit_authorization_details,
    failing,
    load_exclusions,
)
from flows.audit.findings import Category, Finding, Severity
from flows.audit.report import ExclusionError


class Command(BaseCommand):
    help = ("Audit IAM: every role and user of an authorization-details file (offline), or the "
            "synced accounts' Lambda roles and resource policies. Exits 1 when a finding at or "
            "above --fail-on is not suppressed.")

    def add_arguments(self, parser):
        parser.add_argument("--authorization-details", metavar="FILE",
                            help="output of `aws iam get-account-authorization-details` (offline mode)")
        parser.add_argument("--format", choices=sorted(RENDERERS), default="table")
        parser.add_argument("--fail-on", choices=["critical", "high", "medium"],
                            help="exit 1 when an unsuppressed finding has this severity or worse")
        parser.add_argument("--exclusions", metavar="FILE",
                            help="JSON or TOML file of {principal, category, reason} exclusions")
        parser.add_argument("--account", action="append", dest="accounts",
                            help="synced mode: only this account id (repeatable); default all")

    def handle(self, *args, authorization_details, format, fail_on, exclusions, accounts, **options):
        try:
            excluded = load_exclusions(exclusions) if exclusions else []
        except (OSError, ExclusionError) as exc:
            raise CommandError(f"exclusions: {exc}")
        if authorization_details:
            result = self._offline(authorization_details)
            artifact = authorization_details
        else:
            from flows.auditing import audit_accounts

            result = audit_accounts(accounts)
            artifact = None
        findings = apply_exclusions(result.findings, excluded)
        renderer = RENDERERS[format]
        output = renderer(findings, result.action_data, artifact=artifact) if format == "sarif" \
            else renderer(findings, result.action_data)
        self.stdout.write(output, ending="" if output.endswith("\n") else "\n")
        if failed := failing(findings, fail_on):
            raise CommandError(f"{len(failed)} unsuppressed findings at or above {fail_on}", returncode=1)

    def _offline(self, path):
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}")
        try:
            details = json.loads(text)
        except ValueError as exc:
            # Bad input is a finding, not a crash: the pipeline still gets a report.
            return AuditResult([Finding(
                principal=str(path), severity=Severity.MEDIUM, category=Category.UNPARSEABLE,
                title="Authorization details could not be read",
                detail=f"{path} is not valid JSON ({exc}). Nothing was audited. How to fix: save the "
                       "output of `aws iam get-account-authorization-details` unchanged.")],
                action_data_version())
        return audit_authorization_details(details)
