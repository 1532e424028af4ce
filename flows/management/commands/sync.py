import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from flows.api import run_summary
from flows.locks import SyncInProgress
from flows.sync import sync_account
from flows.tasks import audit_after_sync, publish_progress


class Command(BaseCommand):
    help = ("Discover the serverless architecture of an AWS account (or several, with --role-arn) "
            "into the graph. Credentials and endpoint follow boto3's standard chain.")

    def add_arguments(self, parser):
        parser.add_argument("--region", action="append", dest="regions",
                            help="region to discover (repeatable); default FLOWSCOPE_REGIONS")
        parser.add_argument("--role-arn", action="append", dest="role_arns", default=[],
                            help="assume this role and discover its account (repeatable)")
        parser.add_argument("--json", action="store_true", help="print each run's summary as JSON")
        parser.add_argument("--no-audit", action="store_true",
                            help="skip the IAM audit that follows a sync")

    def handle(self, *args, regions, role_arns, json: bool, no_audit: bool, **options):
        regions = regions or settings.FLOWSCOPE["REGIONS"]
        worst = 0
        for role_arn in role_arns or [None]:
            try:
                # Browsers watching the dashboard see a CLI sync's progress too.
                run = sync_account(regions, role_arn=role_arn, progress=publish_progress)
            except SyncInProgress as exc:
                raise CommandError(str(exc)) from None
            except Exception as exc:  # no credentials, STS refused the role, bad endpoint...
                # Chained, so --traceback shows where it came from.
                raise CommandError(f"sync could not start{f' for {role_arn}' if role_arn else ''}: {exc}") from exc
            audit = None if no_audit else audit_after_sync(run)
            if json:
                self.stdout.write(_dumps(run_summary(run)))
            else:
                self._report(run)
                if audit is not None:
                    self.stdout.write(f"  audit: {len(audit.findings)} findings (see /audit/ or `manage.py audit`)")
            worst = max(worst, {"success": 0, "partial": 1, "failed": 2}.get(run.status, 2))
        if worst == 2:
            sys.exit(2)

    def _report(self, run):
        self.stdout.write(
            f"account {run.account.account_id} {','.join(run.regions)}: {run.status} in "
            f"{run.duration_ms / 1000:.1f}s, {run.api_calls} API calls; "
            f"{run.node_count} nodes, {run.edge_count} edges "
            f"(nodes +{run.nodes_added} -{run.nodes_removed} ~{run.nodes_changed}, "
            f"edges +{run.edges_added} -{run.edges_removed} ~{run.edges_changed})")
        for error in run.errors:
            level = error.get("level", "error")
            where = f"{error.get('service')}/{error.get('region')}"
            resource = f" [{error['resource']}]" if error.get("resource") else ""
            line = f"  {level}: {where}: {error.get('code')}: {error.get('message')}{resource}"
            self.stderr.write(line) if level == "error" else self.stdout.write(line)


def _dumps(value):
    return json.dumps(value, default=str)
