"""The infrastructure under deploy/ validates, and matches what Flowscope reads."""
import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "deploy").rglob("*.yaml"))
POLICY = json.loads((ROOT / "policies" / "flowscope-readonly.json").read_text())


class CloudFormationLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, ...) as plain values."""


CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: (
    loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else
    loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else loader.construct_mapping(node)))


def test_there_are_templates_and_cfn_lint_finds_nothing_wrong_in_them():
    assert TEMPLATES
    cfn_lint = Path(sys.executable).parent / "cfn-lint"  # the console script of the dev extra
    result = subprocess.run([str(cfn_lint), *map(str, TEMPLATES)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_stream_template_sets_up_the_account_policy_and_its_role():
    template = yaml.load((ROOT / "deploy" / "cloudformation" / "flowscope-log-stream.yaml").read_text(),
                         Loader=CloudFormationLoader)
    resources = template["Resources"]
    policy = resources["SubscriptionFilterPolicy"]["Properties"]
    assert policy["PolicyType"] == "SUBSCRIPTION_FILTER_POLICY"
    role = resources["LogsToKinesisRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "logs.amazonaws.com"
    # The read-only policy reads exactly the stream this template makes by default.
    name = template["Parameters"]["StreamName"]["Default"]
    reads = [s for s in POLICY["Statement"] if s.get("Sid") == "ReadLambdaLogStream"]
    assert reads and reads[0]["Resource"] == f"arn:aws:kinesis:*:*:stream/{name}"
    assert set(reads[0]["Action"]) == {"kinesis:DescribeStreamSummary", "kinesis:ListShards",
                                       "kinesis:GetShardIterator", "kinesis:GetRecords"}
