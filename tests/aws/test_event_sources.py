"""Cognito user pool triggers, IoT topic rules, CloudWatch Logs subscription filters and SES
receipt rules, against the emulator; AppSync data sources from canned answers (the emulator
has no data sources)."""
import boto3
import pytest
from botocore.stub import Stubber

from flows.aws.appsync import (
    get_data_sources,
    get_graphql_apis,
    transform_api,
    transform_data_sources,
)
from flows.aws.cognito import transform_triggers
from flows.aws.iot import transform_topic_rule
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import make_function, only
from tests.data.event_source_responses import (
    APPSYNC_API,
    APPSYNC_DATA_SOURCES,
    IOT_RULE_LISTED,
    IOT_RULE_WITH_ERROR_ACTION,
    USER_POOL_LAMBDA_CONFIG,
)

ACCOUNT = "123456789012"


def allow(aws, function, sid, principal, source_arn):
    aws("lambda").add_permission(FunctionName=function, StatementId=sid, Action="lambda:InvokeFunction",
                                 Principal=principal, SourceArn=source_arn)


@pytest.mark.django_db
def test_it_links_a_user_pool_to_each_trigger_function(aws):
    signup = make_function(aws, "pre-signup")
    welcome = make_function(aws, "welcome")
    pool = aws("cognito-idp").create_user_pool(PoolName="customers", LambdaConfig={
        "PreSignUp": signup, "PostConfirmation": welcome})["UserPool"]
    pool_arn = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{pool['Id']}"
    allow(aws, "pre-signup", "cognito", "cognito-idp.amazonaws.com", pool_arn)

    run = sync_account(["us-east-1"], collectors=only("lambda", "cognito"))

    node = Resource.objects.get(arn=pool_arn)
    assert (node.type, node.name) == ("cognito_user_pool", "customers")
    edges = {e.key: e for e in Edge.objects.filter(kind="cognito_trigger", source_arn=pool_arn)}
    assert {k: e.target_arn for k, e in edges.items()} == {"PreSignUp": signup, "PostConfirmation": welcome}
    assert edges["PreSignUp"].attributes["permitted"] is True
    assert edges["PostConfirmation"].attributes["permitted"] is False
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_links_an_iot_rule_to_its_lambda_actions(aws):
    handler = make_function(aws, "telemetry")
    iot = aws("iot")
    iot.create_topic_rule(ruleName="telemetry_in", topicRulePayload={
        "sql": "SELECT * FROM 'devices/+/telemetry'", "actions": [{"lambda": {"functionArn": handler}}]})
    rule_arn = f"arn:aws:iot:us-east-1:{ACCOUNT}:rule/telemetry_in"
    allow(aws, "telemetry", "iot", "iot.amazonaws.com", rule_arn)

    run = sync_account(["us-east-1"], collectors=only("lambda", "iot"))

    node = Resource.objects.get(arn=rule_arn)
    assert node.type == "iot_topic_rule"
    assert node.attributes["sql"] == "SELECT * FROM 'devices/+/telemetry'"
    edge = Edge.objects.get(kind="iot_rule")
    assert (edge.source_arn, edge.target_arn, edge.key) == (rule_arn, handler, "action:0")
    assert edge.attributes["permitted"] is True
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_links_log_groups_with_subscription_filters_and_only_those(aws):
    shipper = make_function(aws, "log-shipper")
    logs = aws("logs")
    logs.create_log_group(logGroupName="/app/orders")
    logs.create_log_group(logGroupName="/app/quiet")
    logs.put_subscription_filter(logGroupName="/app/orders", filterName="errors",
                                 filterPattern="ERROR", destinationArn=shipper)
    group_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/orders"
    aws("lambda").add_permission(FunctionName="log-shipper", StatementId="logs", Action="lambda:InvokeFunction",
                                 Principal="logs.us-east-1.amazonaws.com", SourceArn=f"{group_arn}:*")

    run = sync_account(["us-east-1"], collectors=only("lambda", "logs"))

    assert list(Resource.objects.filter(type="log_group").values_list("arn", flat=True)) == [group_arn]
    edge = Edge.objects.get(kind="logs_subscription")
    assert (edge.source_arn, edge.target_arn, edge.key) == (group_arn, shipper, "errors")
    assert edge.attributes["filter_pattern"] == "ERROR"
    assert edge.attributes["permitted"] is True  # the regional principal and ":*" both match
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_links_receipt_rules_of_the_active_rule_set(aws):
    inbound = make_function(aws, "inbound-mail")
    ses = aws("ses")
    for rule_set in ("live", "draft"):
        ses.create_receipt_rule_set(RuleSetName=rule_set)
        ses.create_receipt_rule(RuleSetName=rule_set, Rule={
            "Name": f"{rule_set}-support", "Enabled": True, "Recipients": ["support@shop.example"],
            "Actions": [{"LambdaAction": {"FunctionArn": inbound, "InvocationType": "RequestResponse"}}]})
    ses.set_active_receipt_rule_set(RuleSetName="live")
    rule_arn = f"arn:aws:ses:us-east-1:{ACCOUNT}:receipt-rule-set/live:receipt-rule/live-support"
    allow(aws, "inbound-mail", "ses", "ses.amazonaws.com", rule_arn)

    run = sync_account(["us-east-1"], collectors=only("lambda", "ses"))

    assert list(Resource.objects.filter(type="ses_receipt_rule").values_list("arn", flat=True)) == [rule_arn]
    edge = Edge.objects.get(kind="ses")
    assert (edge.source_arn, edge.target_arn) == (rule_arn, inbound)
    assert edge.attributes["invocation_type"] == "RequestResponse"
    assert edge.attributes["permitted"] is True
    assert run.status == "success", run.errors


def test_it_reads_appsync_apis_and_their_lambda_data_sources():
    client = boto3.client("appsync", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("list_graphql_apis", {"graphqlApis": [APPSYNC_API]}, {})
        stub.add_response("list_data_sources", {"dataSources": APPSYNC_DATA_SOURCES[:1], "nextToken": "t"},
                          {"apiId": APPSYNC_API["apiId"]})
        stub.add_response("list_data_sources", {"dataSources": APPSYNC_DATA_SOURCES[1:]},
                          {"apiId": APPSYNC_API["apiId"], "nextToken": "t"})
        [api] = get_graphql_apis(client)
        sources = get_data_sources(client, api["apiId"])
    node = transform_api(api, "us-east-1", ACCOUNT)
    assert (node.type, node.name, node.attributes["stack"]) == ("appsync_api", "catalogue", "catalogue-stack")
    [edge] = transform_data_sources(node.arn, sources)
    assert (edge.kind, edge.key) == ("appsync", "products")
    assert edge.target == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:products-resolver"
    assert edge.attributes["alias"] == "live"
    assert edge.attributes["service_role_arn"].endswith(":role/appsync-products")


def test_a_newer_pre_token_config_wins_over_the_old_field():
    edges = transform_triggers("arn:aws:cognito-idp:us-east-1:123456789012:userpool/p", USER_POOL_LAMBDA_CONFIG)
    by_trigger = {e.key: e for e in edges}
    assert set(by_trigger) == {"PreTokenGeneration", "CustomSMSSender", "UserMigration"}
    assert by_trigger["PreTokenGeneration"].target.endswith(":function:tokens-v2")
    assert by_trigger["PreTokenGeneration"].attributes["lambda_version"] == "V2_0"


def test_an_iot_error_action_is_an_edge_too():
    node, edges = transform_topic_rule(IOT_RULE_LISTED, IOT_RULE_WITH_ERROR_ACTION, "us-east-1", ACCOUNT)
    assert [(e.key, e.attributes["error_action"]) for e in edges] == [("action:1", False), ("error_action", True)]
    assert node.attributes["disabled"] is True


@pytest.mark.django_db
def test_a_region_without_the_service_is_a_note_not_a_failure(aws):
    # IoT Core is not offered in af-south-1 (botocore's endpoint data); Lambda is.
    run = sync_account(["af-south-1"], collectors=only("iot"))

    assert run.status == "success", run.errors
    assert [e["code"] for e in run.errors] == ["ServiceNotInRegion"]
