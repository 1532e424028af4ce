import json

import pytest

from flows.aws.stepfunctions import resolve_function_name, transform_state_machine
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import ROLE_POLICY, make_function, only
from tests.data.stepfunctions_responses import CHILD, DESCRIBED_MACHINE, FN

ACCOUNT = "123456789012"


def state_machine(aws, name, definition):
    role = aws("iam").create_role(RoleName=f"{name}-sfn", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    arn = aws("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=role)["stateMachineArn"]
    return arn, role


@pytest.mark.django_db
def test_it_links_a_state_machine_to_the_functions_its_tasks_invoke_and_its_role(aws):
    charge = make_function(aws, "charge")
    approve = make_function(aws, "approve")
    machine, role = state_machine(aws, "checkout", {"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": charge}, "Next": "Approve"},
        "Approve": {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "Ask", "States": {
            "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": "approve:live"}, "End": True}}}}}})

    run = sync_account(["us-east-1"], collectors=only("lambda", "stepfunctions"))

    node = Resource.objects.get(arn=machine)
    assert (node.type, node.name, node.attributes["type"]) == ("stepfunctions_state_machine", "checkout", "STANDARD")
    tasks = {e.target_arn: e.attributes for e in Edge.objects.filter(kind="state_machine_task", source_arn=machine)}
    assert set(tasks) == {charge, approve}
    assert tasks[approve]["integration_pattern"] == "wait_for_task_token"
    assert tasks[approve]["inside"] == ["Map Approve"]
    assert tasks[approve]["alias"] == "live"
    assert Edge.objects.filter(kind="execution_role", source_arn=machine, target_arn=role).exists()
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_an_eventbridge_rule_into_a_state_machine_meets_its_node(aws):
    machine, role = state_machine(aws, "fulfil", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    events = aws("events")
    rule = events.put_rule(Name="order-paid", EventPattern='{"source": ["shop"]}')["RuleArn"]
    events.put_targets(Rule="order-paid", Targets=[{"Id": "sfn", "Arn": machine, "RoleArn": role}])

    sync_account(["us-east-1"], collectors=only("events", "stepfunctions"))

    edge = Edge.objects.get(kind="eventbridge", source_arn=rule)
    assert edge.target_arn == machine
    node = Resource.objects.get(arn=machine)
    assert (node.type, node.discovered) == ("stepfunctions_state_machine", True)


@pytest.mark.django_db
def test_api_gateway_integrations_that_start_executions_point_at_the_state_machine(aws):
    machine, role = state_machine(aws, "intake", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    rest = aws("apigateway")
    api = rest.create_rest_api(name="orders")["id"]
    root = rest.get_resources(restApiId=api)["items"][0]["id"]
    rest.put_method(restApiId=api, resourceId=root, httpMethod="POST", authorizationType="NONE")
    rest.put_integration(
        restApiId=api, resourceId=root, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:states:action/StartExecution", credentials=role,
        requestTemplates={"application/json": json.dumps({"input": "$util.escapeJavaScript($input.json('$'))",
                                                          "stateMachineArn": machine})})
    v2 = aws("apigatewayv2")
    http = v2.create_api(Name="intake-http", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=http, IntegrationType="AWS_PROXY", IntegrationSubtype="StepFunctions-StartExecution",
        CredentialsArn=role, PayloadFormatVersion="1.0",
        RequestParameters={"StateMachineArn": machine, "Input": "$request.body"})["IntegrationId"]
    v2.create_route(ApiId=http, RouteKey="POST /orders", Target=f"integrations/{integration}")

    run = sync_account(["us-east-1"], collectors=only("apigateway", "apigatewayv2", "stepfunctions"))

    rest_edge = Edge.objects.get(kind="api_gateway", target_arn=machine)
    assert rest_edge.attributes["action"] == "StartExecution"
    assert rest_edge.attributes["credentials"] == role
    http_edge = Edge.objects.get(kind="api_gateway_v2", target_arn=machine)
    assert http_edge.key == "POST /orders"
    assert http_edge.attributes["integration_subtype"] == "StepFunctions-StartExecution"
    assert run.status == "success", run.errors


def test_it_walks_parallel_branches_maps_and_nested_executions():
    node, edges, problems = transform_state_machine(DESCRIBED_MACHINE, "aws", "us-east-1", ACCOUNT)
    by_path = {e.key: e for e in edges if e.kind == "state_machine_task"}
    assert set(by_path) == {"Validate", "Fan out[0]/Charge", "Fan out[1]/Approve", "Each item/Pack", "Ship"}
    assert by_path["Validate"].target == f"{FN}:validate" and by_path["Validate"].attributes["retry"] is True
    assert by_path["Fan out[0]/Charge"].target == f"{FN}:charge"
    assert by_path["Fan out[0]/Charge"].attributes["alias"] == "live"
    assert by_path["Fan out[1]/Approve"].target == f"{FN}:approve"
    assert by_path["Fan out[1]/Approve"].attributes["integration_pattern"] == "wait_for_task_token"
    assert by_path["Fan out[1]/Approve"].attributes["inside"] == ["Parallel Fan out branch 2"]
    assert by_path["Each item/Pack"].target == f"{FN}:pack"
    assert (by_path["Ship"].target, by_path["Ship"].attributes["integration_pattern"]) == (CHILD, "sync")
    assert [e.target for e in edges if e.kind == "execution_role"] == [DESCRIBED_MACHINE["roleArn"]]
    assert problems == [f"task Each item/Dynamic of {node.arn}: FunctionName comes from the state's input"]
    assert node.attributes["state_count"] == 9
    assert node.attributes["tracing"] is True and node.attributes["logging_level"] == "ERROR"


def test_it_resolves_every_form_of_function_name():
    assert resolve_function_name("pack", "aws", "eu-west-1", ACCOUNT) == (
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:pack", None, None)
    assert resolve_function_name("pack:7", "aws", "eu-west-1", ACCOUNT)[1] == "7"
    assert resolve_function_name("210987654321:function:pack", "aws", "eu-west-1", ACCOUNT)[0] == (
        "arn:aws:lambda:eu-west-1:210987654321:function:pack")
    assert resolve_function_name("not a name!", "aws", "eu-west-1", ACCOUNT)[0] is None


def test_a_definition_that_is_not_json_keeps_the_node_and_says_so():
    node, edges, problems = transform_state_machine(dict(DESCRIBED_MACHINE, definition="{oops"),
                                                    "aws", "us-east-1", ACCOUNT)
    assert node.name == "orders" and [e.kind for e in edges] == ["execution_role"]
    assert "not valid JSON" in problems[0]
