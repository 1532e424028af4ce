"""IAM audit benchmark: our offline audit against `cloudsplaining scan` on the same file.

Both run as the command a pipeline would run (a fresh process each time, start-up included);
the best of --runs wall times is kept for each. Correctness is graded by the lab's labels
only: principals named privesc* or fn* can escalate privileges, fp* cannot. We count as
"flagged" a principal with an admin or privilege_escalation finding; cloudsplaining flags a
principal when one of its policies (or its groups' policies) has privilege-escalation findings.

    .venv/bin/pip install -e '.[bench]'   # cloudsplaining
    .venv/bin/python bench/audit_bench.py [--file F] [--runs 3]

Judged by: labelled principals right >= 95 %, and wall time <= 0.5 x cloudsplaining's.
"""
import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RELATIVE = Path("benchmarks/iam/cloudsplaining-example.json")
CANDIDATES = [REPO.parent / "shared" / RELATIVE, Path("/work/shared") / RELATIVE]


def default_file():
    return next((p for p in CANDIDATES if p.exists()), CANDIDATES[0])


def labels(details):
    """{principal ARN: True (can escalate) / False (cannot)} for the labelled users and roles."""
    found = {}
    for entity in details.get("UserDetailList", []) + details.get("RoleDetailList", []):
        name = entity["Arn"].rsplit("/", 1)[-1]
        if name.startswith(("privesc", "fn")):
            found[entity["Arn"]] = True
        elif name.startswith("fp"):
            found[entity["Arn"]] = False
    return found


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command, runs):
    """(best wall seconds, best CPU seconds, last completed process). CPU time is reported
    too because wall time on a shared machine moves with everyone else's load."""
    best, best_cpu, last = None, None, None
    for _ in range(runs):
        started, cpu_before = time.perf_counter(), _children_cpu()
        last = subprocess.run(command, check=False, capture_output=True, text=True, cwd=REPO)
        elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
        if last.returncode not in (0, 1):
            sys.exit(f"{command[0]} failed ({last.returncode}):\n{last.stderr[-2000:]}")
        best = elapsed if best is None else min(best, elapsed)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    return best, best_cpu, last


def run_flowscope(path, runs):
    command = [sys.executable, str(REPO / "manage.py"), "audit", "--authorization-details", str(path),
               "--format", "json"]
    seconds, cpu, done = timed(command, runs)
    document = json.loads(done.stdout)
    flagged = {f["principal"] for f in document["findings"]
               if f["category"] in ("admin", "privilege_escalation")}
    return seconds, cpu, flagged, document


def _escalates(policy):
    found = (policy or {}).get("PrivilegeEscalation")
    if isinstance(found, dict):
        found = found.get("findings")
    return bool(found)


def _policies_of(entry, results):
    for kind in ("inline_policies", "customer_managed_policies", "aws_managed_policies"):
        for policy_id in (entry.get(kind) or {}):
            yield results.get(kind, {}).get(policy_id)


def run_cloudsplaining(path, runs):
    executable = shutil.which("cloudsplaining", path=str(Path(sys.executable).parent)) \
        or shutil.which("cloudsplaining")
    if not executable:
        sys.exit("cloudsplaining is not installed: .venv/bin/pip install -e '.[bench]'")
    with tempfile.TemporaryDirectory() as output:
        command = [executable, "scan", "--input-file", str(path), "--output", output, "--skip-open-report"]
        seconds, cpu, _ = timed(command, runs)
        results = json.loads(next(Path(output).glob("iam-results-*.json")).read_text())
    groups = {g.get("name"): g for g in results.get("groups", {}).values()}
    groups.update(results.get("groups", {}))
    flagged = set()
    for kind in ("users", "roles"):
        for entry in results.get(kind, {}).values():
            owned = list(_policies_of(entry, results))
            for group_key, group_name in (entry.get("groups") or {}).items():
                group = groups.get(group_key) or groups.get(group_name) or {}
                owned += list(_policies_of(group, results))
            if any(_escalates(p) for p in owned):
                flagged.add(entry["arn"])
    return seconds, cpu, flagged


def grade(truth, flagged):
    right = [arn for arn, escalates in truth.items() if (arn in flagged) == escalates]
    wrong = sorted(set(truth) - set(right))
    return len(right), wrong


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path, default=default_file())
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    details = json.loads(args.file.read_text())
    truth = labels(details)

    ours_s, ours_cpu, ours_flagged, document = run_flowscope(args.file, args.runs)
    theirs_s, theirs_cpu, theirs_flagged = run_cloudsplaining(args.file, args.runs)
    ours_right, ours_wrong = grade(truth, ours_flagged)
    theirs_right, theirs_wrong = grade(truth, theirs_flagged)
    total = len(truth)

    print(f"file: {args.file} ({len(details.get('UserDetailList', []))} users, "
          f"{len(details.get('RoleDetailList', []))} roles, {total} labelled principals)")
    print(f"action data: {document['action_data']}")
    print(f"flowscope audit : {ours_s:6.2f} s wall, {ours_cpu:6.2f} s CPU (best of {args.runs}), "
          f"{len(document['findings'])} findings, {ours_right}/{total} labelled right ({ours_right / total:.1%})")
    print(f"cloudsplaining  : {theirs_s:6.2f} s wall, {theirs_cpu:6.2f} s CPU (best of {args.runs}), "
          f"{theirs_right}/{total} labelled right ({theirs_right / total:.1%})")
    print(f"time ratio (flowscope / cloudsplaining): {ours_s / theirs_s:.2f} wall, "
          f"{ours_cpu / theirs_cpu:.2f} CPU  (target <= 0.50)")
    print(f"accuracy target >= 95 %: {'met' if ours_right / total >= 0.95 else 'NOT met'}")
    for name, wrong, flagged in (("flowscope", ours_wrong, ours_flagged),
                                 ("cloudsplaining", theirs_wrong, theirs_flagged)):
        print(f"{name} wrong ({len(wrong)}):")
        for arn in wrong:
            print(f"  {'missed' if truth[arn] else 'false alarm'}: {arn.rsplit('/', 1)[-1]}")


if __name__ == "__main__":
    main()
