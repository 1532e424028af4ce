from flows.audit import actions as action_db
from flows.audit.proposal import (
    DELIVER,
    LOG_WRITE,
    POLL,
    TRACING,
    USE,
    VPC,
    not_evidenced,
    propose,
    summarise,
)
from flows.auditing import role_report
from flows.models import Account, Edge, Resource

from .helpers import ACCOUNT, allow, principal

FUNCTION = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/orders-role"
QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:orders-failed"
NODE = {"arn": FUNCTION, "name": "orders", "region": "eu-west-1", "account": ACCOUNT,
        "attributes": {"log_group": "/aws/lambda/orders", "tracing": "Active", "vpc": True}}
EDGES = [
    {"source": QUEUE, "target": FUNCTION, "kind": "sqs", "attributes": {"event_source_arn": QUEUE}},
    {"source": FUNCTION, "target": TOPIC, "kind": "dead_letter", "attributes": {"target_arn": TOPIC}},
    {"source": FUNCTION, "target": ROLE, "kind": "execution_role", "attributes": {}},
]


def test_every_required_action_exists_in_the_action_database():
    names = [*LOG_WRITE, *TRACING, *VPC, "logs:CreateLogGroup"]
    names += [a for group in POLL.values() for a in group] + [a for group in DELIVER.values() for a in group]
    names += [a for group in USE.values() for a in group]
    assert [n for n in names if action_db.info(n) is None] == []


def test_it_proposes_what_the_graph_evidences_scoped_to_the_resources():
    proposal = propose(NODE, EDGES)
    by_action = {a: s["Resource"] for s in proposal.statements for a in s["Action"]}
    assert by_action["logs:PutLogEvents"] == [f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/orders:*"]
    assert by_action["sqs:ReceiveMessage"] == [QUEUE]
    assert by_action["sns:Publish"] == [TOPIC]
    assert "xray:PutTraceSegments" in by_action and "ec2:CreateNetworkInterface" in by_action
    assert all(sid.isalnum() for sid in proposal.reasons)
    assert any("dead-letter" in reason for reason in proposal.reasons.values())


def test_a_function_without_edges_only_needs_its_log_group():
    proposal = propose({"arn": FUNCTION, "name": "orders", "region": "eu-west-1", "account": ACCOUNT}, [])
    assert proposal.actions == {"logs:createloggroup", "logs:createlogstream", "logs:putlogevents"}


def test_it_lists_what_is_granted_but_never_evidenced_by_service():
    permissions = principal(allow(["dynamodb:*", "sqs:ReceiveMessage", "sqs:DeleteMessage"])).permissions
    extra = not_evidenced(permissions, [propose(NODE, EDGES)])
    assert "sqs" not in extra
    assert "dynamodb:DeleteTable" in extra["dynamodb"]


def test_it_summarises_permissions_by_service_and_access_level():
    summary = summarise(principal(allow(["s3:GetObject", "s3:PutObject", "s3:PutBucketPolicy"])).permissions)
    assert summary == {"s3": {"Read": 1, "Write": 2, "Permissions management": 1}}


def test_the_role_report_combines_summary_proposal_and_findings(db):
    account = Account.objects.create(account_id=ACCOUNT)
    Resource.objects.create(account=account, arn=ROLE, type="iam_role", name="orders-role", origin="iam:global",
                            attributes={"inline_policies": [{"name": "app", "document": allow("dynamodb:*")}],
                                        "policies": []})
    Resource.objects.create(account=account, arn=FUNCTION, type="lambda_function", name="orders",
                            region="eu-west-1", origin="lambda:eu-west-1", attributes={"role": ROLE})
    Edge.objects.create(account=account, source_arn=QUEUE, target_arn=FUNCTION, kind="sqs", origin="lambda",
                        attributes={"event_source_arn": QUEUE})

    report = role_report(account, ROLE)

    assert report["functions"] == [FUNCTION]
    assert report["summary"]["dynamodb"]["Write"] > 0
    actions = {a for s in report["proposed_policy"]["Statement"] for a in s["Action"]}
    assert "sqs:ReceiveMessage" in actions
    assert all(s["Sid"].isalnum() for s in report["proposed_policy"]["Statement"])
    assert "dynamodb" in report["not_evidenced"] and "sqs" not in report["not_evidenced"]


def test_it_proposes_access_to_resources_its_environment_names():
    table = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
    node = {**NODE, "attributes": {**NODE["attributes"], "environment_references": [
        {"variable": "ORDERS_TABLE", "arn": table, "type": "dynamodb_table"}]}}
    proposal = propose(node, [])
    by_action = {a: s["Resource"] for s in proposal.statements for a in s["Action"]}
    assert by_action["dynamodb:PutItem"] == [table, f"{table}/index/*"]
    assert any("ORDERS_TABLE" in reason for reason in proposal.reasons.values())
