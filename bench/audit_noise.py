"""Audit noise on the demo: findings per function, and how many graph nodes wear a badge.

Seeds the demo architecture into the embedded emulator, syncs it, records one invocation per
function (what the live feed stores once the demo's traffic runs), audits, and prints for each
function the open findings that concern it (about its role, about itself, or naming it) by
severity, then totals. Run it on two commits to compare before and after.

    .venv/bin/python bench/audit_noise.py
"""
import collections
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path.cwd() if (Path.cwd() / "manage.py").exists() else Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/noise.sqlite3"
os.environ.pop("REDIS_URL", None)

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from flows.auditing import audit_account
from flows.demo.emulator import Emulator
from flows.demo.seed import seed_demo
from flows.models import Finding, Invocation, Resource
from flows.sync import sync_account
from flows.views_audit import concerned, is_function, is_role, short_name

SEVERITIES = ("critical", "high", "medium", "low", "info")


def is_noise(finding):
    """What issue 12 called noise: "no recorded use" beside functions seen running, and LOW
    "may write to any resource" for the basic execution role's log actions."""
    return finding.title == "Role has no recorded use" or (
        finding.category == "write_any_resource" and finding.severity == "low")


def main():
    call_command("migrate", verbosity=0)
    emulator = Emulator().start()
    os.environ.update(emulator.environment())
    try:
        demo = seed_demo(emulator.endpoint)
        run = sync_account([demo["region"]])
    finally:
        emulator.stop()
    functions = list(Resource.objects.filter(account=run.account, type="lambda_function").order_by("name"))
    for function in functions:
        Invocation.objects.create(function_arn=function.arn, request_id=f"noise-{function.name}",
                                  log_group=f"/aws/lambda/{function.name}", started_at=timezone.now())
    audit_account(run.account)

    minimum = settings.FLOWSCOPE.get("AUDIT_BADGE_MIN_SEVERITY", "info")
    threshold = SEVERITIES.index(minimum)
    findings = [f for f in Finding.objects.filter(account=run.account) if not f.suppressed]
    per_function = collections.defaultdict(list)
    badged = set()
    for finding in findings:
        for arn in concerned(finding):
            per_function[arn].append(finding)
        if SEVERITIES.index(finding.severity) <= threshold:
            badged.update(concerned(finding))
            if is_role(finding.principal) or is_function(finding.principal):
                badged.add(finding.principal)
    print(f"open findings: {len(findings)}; by category: "
          + ", ".join(f"{c} {n}" for c, n in sorted(collections.Counter(f.category for f in findings).items())))
    print(f"{'function':24} {'total':>5} " + " ".join(f"{s:>8}" for s in SEVERITIES)
          + f" {'noise':>5} {'takeover':>8}  badge")
    for function in functions:
        mine = per_function[function.arn]
        counts = collections.Counter(f.severity for f in mine)
        print(f"{short_name(function.arn):24} {len(mine):5d} "
              + " ".join(f"{counts[s]:8d}" for s in SEVERITIES)
              + f" {sum(map(is_noise, mine)):5d} {sum(f.category == 'function_takeover' for f in mine):8d}"
              + f"  {'yes' if function.arn in badged else '-'}")
    total = sum(len(per_function[f.arn]) for f in functions)
    noise = sum(is_noise(f) for f in functions for f in per_function[f.arn])
    print(f"noise: {noise} of {total} function findings ({noise / total:.0%})")
    nodes = Resource.objects.filter(account=run.account, type__in=("lambda_function", "iam_role")).count()
    print(f"findings per function: {total / len(functions):.2f} ({total} over {len(functions)} functions); "
          f"badged nodes: {len(badged & set(Resource.objects.values_list('arn', flat=True)))} of {nodes} "
          f"functions and roles (badges at {minimum} and above)")


if __name__ == "__main__":
    main()
