import json

import boto3
import pytest
from botocore.stub import Stubber

from flows.aws.iam import FILTER, decode_document, get_authorization_details, transform_role
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import ROLE_POLICY, deny, make_function, only, session
from tests.data.iam_responses import INLINE, LOGS, PAGE_WITH_POLICIES, PAGE_WITH_ROLE, ROLE, TRUST

ACCOUNT = "123456789012"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ONE_PERMISSION = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}


@pytest.mark.django_db
def test_it_discovers_roles_with_every_policy_document_an_audit_needs(aws):
    iam = aws("iam")
    role_arn = iam.create_role(RoleName="chat-fn", Path="/service/", AssumeRolePolicyDocument=ROLE_POLICY,
                               Tags=[{"Key": "team", "Value": "chat"}],
                               PermissionsBoundary=ADMIN)["Role"]["Arn"]
    iam.attach_role_policy(RoleName="chat-fn", PolicyArn=ADMIN)
    iam.put_role_policy(RoleName="chat-fn", PolicyName="table", PolicyDocument=json.dumps(INLINE))
    custom = iam.create_policy(PolicyName="send", PolicyDocument=json.dumps(LOGS))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=custom, PolicyDocument=json.dumps(ONE_PERMISSION), SetAsDefault=True)
    iam.attach_role_policy(RoleName="chat-fn", PolicyArn=custom)

    run = sync_account(["us-east-1"], collectors=only("iam"))

    role = Resource.objects.get(arn=role_arn)
    attributes = role.attributes
    assert (role.type, role.name, role.region, role.origin) == ("iam_role", "chat-fn", "", "iam:global")
    assert attributes["path"] == "/service/"
    assert attributes["assume_role_policy"] == json.loads(ROLE_POLICY)
    assert attributes["inline_policies"] == [{"name": "table", "document": INLINE}]
    assert sorted(p["arn"] for p in attributes["attached_policies"]) == sorted([ADMIN, custom])
    documents = {p["arn"]: p for p in attributes["policies"]}
    assert set(documents) == {ADMIN, custom}   # attached ones only, not every AWS managed policy
    assert documents[ADMIN]["document"]["Statement"][0]["Action"] == "*"
    assert documents[ADMIN]["name"] == "AdministratorAccess"
    assert documents[custom]["document"] == ONE_PERMISSION
    assert documents[custom]["version"] == "v2"
    assert attributes["permissions_boundary"] == {
        "type": "PermissionsBoundaryPolicy", "arn": ADMIN, "name": "AdministratorAccess",
        "version": "v1", "document": documents[ADMIN]["document"]}
    assert attributes["tags"] == {"team": "chat"}
    assert attributes["create_date"]
    assert not any("document_error" in p for p in attributes["policies"])
    assert not Edge.objects.exists()
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_the_execution_role_edge_meets_the_discovered_role(aws):
    function_arn = make_function(aws, "chat")

    sync_account(["us-east-1"], collectors=only("lambda", "iam"))

    edge = Edge.objects.get(kind="execution_role")
    assert edge.source_arn == function_arn
    role = Resource.objects.get(arn=edge.target_arn)
    assert role.discovered is True
    assert role.attributes["assume_role_policy"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"}


@pytest.mark.django_db
def test_it_keeps_the_previous_roles_when_iam_is_denied(aws):
    role_arn = aws("iam").create_role(RoleName="kept", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    sync_account(["us-east-1"], collectors=only("iam", "sqs"))
    denied = session()
    deny(denied, "iam", "GetAccountAuthorizationDetails")

    run = sync_account(["us-east-1"], session=denied, collectors=only("iam", "sqs"))

    assert run.status == "partial"
    assert any(e["service"] == "iam" and e["fatal"] for e in run.errors)
    assert Resource.objects.filter(arn=role_arn, discovered=True).exists()


def test_it_reads_roles_and_policies_across_pages():
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        stubber.add_response("get_account_authorization_details", PAGE_WITH_ROLE,
                             {"Filter": FILTER, "MaxItems": 1000})
        stubber.add_response("get_account_authorization_details", PAGE_WITH_POLICIES,
                             {"Filter": FILTER, "MaxItems": 1000, "Marker": "m1"})
        roles, policies = get_authorization_details(client)
        stubber.assert_no_pending_responses()
    node = transform_role(roles[0], policies, ACCOUNT)
    basic = node.attributes["policies"][0]
    assert basic["name"] == "AWSLambdaBasicExecutionRole"
    assert (basic["version"], basic["document"]) == ("v2", LOGS)
    assert "UnattachedPolicy" not in json.dumps(node.attributes)


def test_it_decodes_url_encoded_documents_and_flags_unreadable_ones():
    node = transform_role(ROLE, {}, ACCOUNT)
    attributes = node.attributes
    assert attributes["assume_role_policy"] == TRUST
    assert "assume_role_policy_error" not in attributes
    table, broken = attributes["inline_policies"]
    assert table == {"name": "table", "document": INLINE}
    assert broken["document"] is None and broken["document_error"]


def test_it_flags_an_attached_policy_missing_from_the_listing():
    node = transform_role(ROLE, {}, ACCOUNT)
    gone = next(p for p in node.attributes["policies"] if p["arn"].endswith("/gone"))
    assert gone["document"] is None
    assert "not returned" in gone["document_error"]


def test_it_keeps_boundary_tags_and_last_use_in_plain_form():
    attributes = transform_role(ROLE, {}, ACCOUNT).attributes
    assert attributes["permissions_boundary"]["arn"] == "arn:aws:iam::123456789012:policy/boundary"
    assert attributes["permissions_boundary"]["document_error"]
    assert attributes["tags"] == {"team": "chat"}
    assert attributes["last_used"] == {"date": "2024-06-01T00:00:00+00:00", "region": "eu-west-1"}
    assert attributes["create_date"] == "2024-01-02T03:04:05+00:00"
    json.dumps(attributes)   # stored as JSON: nothing may be left as a datetime


@pytest.mark.parametrize("value", [None, 42, "[1, 2]", "not json at all", "%ZZ", ["Statement"]])
def test_it_never_raises_on_a_strange_document(value):
    document, error = decode_document(value)
    assert document is None
    assert error


def test_it_flags_an_unreadable_trust_policy_but_keeps_the_role():
    node = transform_role({**ROLE, "AssumeRolePolicyDocument": "{{"}, {}, ACCOUNT)
    assert node.attributes["assume_role_policy"] is None
    assert node.attributes["assume_role_policy_error"]
    assert node.name == "chat-fn"
