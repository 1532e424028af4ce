"""The demo: the seeded chat app is really in the emulator, and discovery graphs all of it."""
import json
import os
import re
import socket

import pytest
from botocore.exceptions import ClientError
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from flows.demo.seed import FLAWS, DemoAlreadySeeded, seed_demo
from flows.export import graph_document
from flows.models import Edge, Resource
from flows.sync import sync_account

NINE_TRIGGERS = {"alb", "api_gateway", "api_gateway_v2", "sns", "sqs", "dynamodb_stream",
                 "kinesis", "s3", "codecommit"}
SECRET_NAME = re.compile(r"(SECRET|TOKEN|KEY|WEBHOOK)")


@pytest.fixture
def demo(aws):
    return seed_demo(aws.endpoint)


@pytest.fixture
def graph(demo, db):
    run = sync_account(["us-east-1"])
    document = graph_document()
    document["run"] = run
    return document


def edges_of(document, kind, source=None, target=None):
    return [e for e in document["edges"] if e["kind"] == kind
            and (source is None or e["source"] == source)
            and (target is None or e["target"] == target)]


# ------------------------------------------------------------- the seed, read back with boto3

def test_it_seeds_websocket_and_http_routes(aws, demo):
    apis = aws("apigatewayv2")
    websocket = apis.get_api(ApiId=demo["websocket_api"])
    assert websocket["ProtocolType"] == "WEBSOCKET"
    assert websocket["RouteSelectionExpression"] == "$request.body.action"
    routes = apis.get_routes(ApiId=demo["websocket_api"])["Items"]
    integrations = {i["IntegrationId"]: i["IntegrationUri"]
                    for i in apis.get_integrations(ApiId=demo["websocket_api"])["Items"]}
    targets = {r["RouteKey"]: integrations[r["Target"].split("/")[1]] for r in routes}
    assert set(targets) == {"$connect", "$disconnect", "$default", "sendMessage"}
    assert demo["functions"]["chat-connect"] in targets["$connect"]
    assert demo["functions"]["chat-message"] in targets["sendMessage"]

    http_routes = apis.get_routes(ApiId=demo["http_api"])["Items"]
    assert [r["RouteKey"] for r in http_routes] == ["GET /status"]


def test_it_seeds_rest_methods_with_a_token_authorizer(aws, demo):
    rest = aws("apigateway")
    resources = rest.get_resources(restApiId=demo["rest_api"], embed=["methods"])["items"]
    methods = {(r["path"], m) for r in resources for m in r.get("resourceMethods", {})}
    assert methods == {("/messages", "GET"), ("/messages", "POST"), ("/messages", "OPTIONS"),
                       ("/messages/{id}", "GET"), ("/messages/{id}", "PATCH"),
                       ("/messages/{id}", "DELETE"), ("/health", "ANY")}
    authorizer = rest.get_authorizer(restApiId=demo["rest_api"], authorizerId=demo["rest_authorizer"])
    assert authorizer["type"] == "TOKEN"
    assert demo["functions"]["chat-authorizer"] in authorizer["authorizerUri"]


def test_it_seeds_the_message_pipeline_and_its_dead_letter_queue(aws, demo):
    mappings = {m["EventSourceArn"]: m for m in aws("lambda").list_event_source_mappings()["EventSourceMappings"]}
    assert set(mappings) == {demo["table_stream"], demo["queue"], demo["clickstream"]}
    delivery = mappings[demo["queue"]]
    assert delivery["FunctionArn"] == demo["functions"]["chat-delivery-worker"]
    assert delivery["BatchSize"] == 25 and delivery["MaximumBatchingWindowInSeconds"] == 5
    assert delivery["FilterCriteria"]["Filters"]
    assert mappings[demo["table_stream"]]["StartingPosition"] == "TRIM_HORIZON"
    assert mappings[demo["clickstream"]]["StartingPosition"] == "LATEST"

    subscriptions = aws("sns").list_subscriptions_by_topic(TopicArn=demo["topic"])["Subscriptions"]
    assert {(s["Protocol"], s["Endpoint"]) for s in subscriptions} == {
        ("sqs", demo["queue"]), ("lambda", demo["functions"]["chat-notify"])}

    redrive = aws("sqs").get_queue_attributes(QueueUrl=demo["queue_url"],
                                              AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(redrive["RedrivePolicy"])["deadLetterTargetArn"] == demo["dlq"]

    stream = aws("dynamodb").describe_table(TableName="chat-messages")["Table"]["StreamSpecification"]
    assert stream == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_it_seeds_bucket_notifications_and_destinations(aws, demo):
    config = aws("s3").get_bucket_notification_configuration(Bucket="chat-uploads")
    [to_lambda] = config["LambdaFunctionConfigurations"]
    assert to_lambda["LambdaFunctionArn"] == demo["functions"]["chat-thumbnailer"]
    rules = {r["Name"].lower(): r["Value"] for r in to_lambda["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": "uploads/", "suffix": ".jpg"}
    [to_queue] = config["QueueConfigurations"]
    assert to_queue["QueueArn"] == demo["exports_queue"]

    invoke_config = aws("lambda").get_function_event_invoke_config(FunctionName="chat-thumbnailer")
    assert invoke_config["DestinationConfig"]["OnSuccess"]["Destination"] == demo["media_events_topic"]
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == demo["media_failures_queue"]


def test_it_seeds_the_load_balancer_repository_triggers_and_schedule(aws, demo):
    elb = aws("elbv2")
    [rule] = [r for r in elb.describe_rules(ListenerArn=demo["listener"])["Rules"] if not r["IsDefault"]]
    assert rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/admin/*"]
    assert rule["Actions"][0]["TargetGroupArn"] == demo["target_groups"]["chat-admin-tg"]
    health = elb.describe_target_health(TargetGroupArn=demo["target_groups"]["chat-admin-tg"])
    assert [t["Target"]["Id"] for t in health["TargetHealthDescriptions"]] == [demo["functions"]["chat-admin"]]

    triggers = aws("codecommit").get_repository_triggers(repositoryName="chat-infra")["triggers"]
    assert {t["destinationArn"] for t in triggers} == {demo["functions"]["chat-infra-notifier"],
                                                      demo["ops_topic"]}

    [target] = aws("events").list_targets_by_rule(Rule="chat-nightly-cleanup")["Targets"]
    assert target["Arn"] == demo["functions"]["chat-cleanup"]


def test_it_seeds_the_deliberate_permission_and_iam_flaws(aws, demo):
    lam = aws("lambda")
    with pytest.raises(ClientError) as missing:
        lam.get_policy(FunctionName=FLAWS["missing_permission"]["function"])
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    stale = json.loads(lam.get_policy(FunctionName="chat-thumbnailer")["Policy"])["Statement"]
    assert FLAWS["stale_permission"]["sid"] in {s["Sid"] for s in stale}
    public = json.loads(lam.get_policy(FunctionName=FLAWS["public_function"])["Policy"])["Statement"]
    assert "*" in [s["Principal"] if isinstance(s["Principal"], str) else s["Principal"].get("AWS")
                   for s in public]

    iam = aws("iam")
    attached = iam.list_attached_role_policies(RoleName=FLAWS["administrator_role"])["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]
    roles = [lam.get_function_configuration(FunctionName=name)["Role"] for name in demo["functions"]]
    assert roles.count(demo["roles"][FLAWS["shared_role"]]) == 3


def test_it_tags_functions_with_three_stacks_and_teams(aws, demo):
    lam = aws("lambda")
    tags = [lam.list_tags(Resource=arn)["Tags"] for arn in demo["functions"].values()]
    assert {t["aws:cloudformation:stack-name"] for t in tags} == {"chat-realtime", "chat-media", "chat-ops"}
    assert all(t.get("team") for t in tags)


def test_it_refuses_to_seed_the_same_emulator_twice(aws, demo):
    with pytest.raises(DemoAlreadySeeded):
        seed_demo(aws.endpoint)


@pytest.mark.parametrize("endpoint", [None, "", "https://lambda.us-east-1.amazonaws.com"])
def test_it_refuses_to_seed_anything_but_an_emulator(endpoint):
    with pytest.raises(ValueError):
        seed_demo(endpoint)


# ------------------------------------------------------------- the demo as Flowscope graphs it

@pytest.mark.django_db
def test_it_graphs_every_trigger_kind_of_the_demo(graph, demo):
    assert graph["run"].status == "success", graph["run"].errors
    kinds = {e["kind"] for e in graph["edges"]}
    missing = (NINE_TRIGGERS | {"eventbridge", "destination", "dead_letter", "execution_role"}) - kinds
    assert not missing, f"edge kinds not graphed: {sorted(missing)}; sync errors: {graph['run'].errors}"

    thumbnailer = demo["functions"]["chat-thumbnailer"]
    destinations = {e["attributes"]["condition"]: e["target"]
                    for e in edges_of(graph, "destination", source=thumbnailer)}
    assert destinations == {"on_success": demo["media_events_topic"],
                            "on_failure": demo["media_failures_queue"]}
    assert edges_of(graph, "dead_letter", source=demo["queue"], target=demo["dlq"])
    assert edges_of(graph, "sqs", source=demo["queue"], target=demo["functions"]["chat-delivery-worker"])
    assert edges_of(graph, "sns", source=demo["topic"], target=demo["queue"])
    assert edges_of(graph, "dynamodb_stream", source=demo["table"], target=demo["functions"]["chat-fanout"])
    assert edges_of(graph, "kinesis", source=demo["clickstream"], target=demo["functions"]["chat-analytics"])
    assert edges_of(graph, "s3", source=demo["bucket"], target=thumbnailer)
    assert edges_of(graph, "s3", source=demo["bucket"], target=demo["exports_queue"])
    assert edges_of(graph, "codecommit", source=demo["repository"], target=demo["ops_topic"])
    assert edges_of(graph, "alb", source=demo["load_balancer"], target=demo["functions"]["chat-admin"])
    assert edges_of(graph, "alb", source=demo["load_balancer"], target=demo["functions"]["chat-web"])
    assert edges_of(graph, "eventbridge", target=demo["functions"]["chat-cleanup"])
    shared = edges_of(graph, "execution_role", target=demo["roles"][FLAWS["shared_role"]])
    assert len(shared) == 3


@pytest.mark.django_db
def test_it_keeps_the_websocket_route_key_and_selection_expression(graph, demo):
    routes = {e["attributes"].get("route_key"): e
              for e in edges_of(graph, "api_gateway_v2", target=demo["functions"]["chat-message"])}
    assert {"$default", "sendMessage"} <= set(routes)
    assert routes["sendMessage"]["attributes"]["route_selection_expression"] == "$request.body.action"
    [connect] = edges_of(graph, "api_gateway_v2", target=demo["functions"]["chat-connect"])
    assert connect["attributes"]["route_key"] == "$connect"
    [status] = edges_of(graph, "api_gateway_v2", target=demo["functions"]["chat-status"])
    assert status["attributes"]["route_key"] == "GET /status"


@pytest.mark.django_db
def test_it_flags_the_missing_permission_and_lists_the_stale_one(graph, demo):
    notify = demo["functions"][FLAWS["missing_permission"]["function"]]
    [unpermitted] = edges_of(graph, "sns", source=demo["topic"], target=notify)
    assert unpermitted["attributes"]["permitted"] is False
    # Every other push trigger of the demo has its permission.
    others = [e for e in graph["edges"] if e["kind"] in NINE_TRIGGERS | {"eventbridge"}
              and "permitted" in e["attributes"] and e is not unpermitted]
    assert others
    assert [e for e in others if e["attributes"]["permitted"] is not True] == []

    stale = [p for p in graph["unmatched_permissions"]
             if p["sid"] == FLAWS["stale_permission"]["sid"]]
    assert stale == [{"function": demo["functions"]["chat-thumbnailer"],
                      "sid": FLAWS["stale_permission"]["sid"], "principal": "s3.amazonaws.com",
                      "source_arn": FLAWS["stale_permission"]["source_arn"]}]


@pytest.mark.django_db
def test_it_exports_environment_variable_names_but_never_values(aws, graph, demo):
    lam = aws("lambda")
    names, secrets = set(), set()
    for name in demo["functions"]:
        variables = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        names |= set(variables)
        secrets |= {value for key, value in variables.items() if SECRET_NAME.search(key)}
    exported = json.dumps(graph, default=str)
    assert len(secrets) >= 5
    assert [value for value in secrets if value in exported] == []
    exported_names = {n for node in graph["nodes"]
                      for n in node["attributes"].get("environment_variables", [])}
    assert exported_names == names


# ------------------------------------------------------------- the management command

@pytest.mark.django_db(transaction=True)
def test_the_demo_command_seeds_syncs_and_creates_the_user(capsys, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "DEMO_PASSWORD": "demo-password-for-tests"}
    saved = dict(os.environ)

    call_command("demo", "--no-serve", "--user", "demo-tester")

    out = capsys.readouterr().out
    user = get_user_model().objects.get(username="demo-tester")
    assert user.check_password("demo-password-for-tests")
    assert "password: demo-password-for-tests" in out
    assert re.search(r"Sync success .* nodes: [1-9]\d*, edges: [1-9]\d*", out)
    counts = {kind: int(count) for kind, count in re.findall(r"^\s+([a-z0-9_]+)\s+(\d+)$", out, re.MULTILINE)}
    assert NINE_TRIGGERS <= {kind for kind, count in counts.items() if count > 0}, out
    assert "Triggers without invoke permission: 1 " in out
    assert FLAWS["stale_permission"]["sid"] in out

    # With --no-serve the command's emulator is stopped and the environment it exported put back.
    host, port = re.search(r"AWS emulator at http://([\d.]+):(\d+),", out).groups()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=5)
    assert os.environ.get("AWS_ENDPOINT_URL") == saved.get("AWS_ENDPOINT_URL")


@pytest.mark.django_db
def test_the_demo_command_refuses_a_busy_emulator_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(CommandError, match="in use"):
            call_command("demo", "--no-serve", "--emulator-port", str(busy.getsockname()[1]))


@pytest.mark.django_db(transaction=True)
def test_the_demo_command_gives_an_existing_user_a_fresh_random_password(capsys, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "DEMO_PASSWORD": ""}
    get_user_model().objects.create_user("demo", password="old-password-123")

    call_command("demo", "--no-serve")

    printed = re.search(r"password: (\S+)", capsys.readouterr().out)[1]
    user = get_user_model().objects.get(username="demo")
    assert len(printed) >= 12
    assert user.check_password(printed)
    assert not user.check_password("old-password-123")


@pytest.mark.django_db
def test_a_sync_of_the_demo_finds_its_url_alias_trigger_and_state_machine(aws, demo):
    run = sync_account([demo["region"]])

    url = Edge.objects.get(kind="function_url")
    assert (url.source_arn, url.target_arn) == (demo["function_url"], demo["functions"]["chat-status"])
    assert url.attributes["auth_type"] == "NONE" and url.attributes["permitted"] is True
    weekly = Edge.objects.get(kind="eventbridge", source_arn=demo["weekly_rule"])
    assert weekly.attributes["alias"] == "live" and weekly.attributes["permitted"] is True
    tasks = {e.target_arn: e.attributes["integration_pattern"]
             for e in Edge.objects.filter(kind="state_machine_task", source_arn=demo["state_machine"])}
    assert tasks == {demo["functions"]["chat-history"]: "request_response",
                     demo["functions"]["chat-notify"]: "wait_for_task_token",
                     demo["functions"]["chat-cleanup"]: "request_response"}
    assert Edge.objects.filter(kind="eventbridge", source_arn=demo["flagged_rule"],
                               target_arn=demo["state_machine"]).exists()
    assert Resource.objects.get(arn=demo["state_machine"]).attributes["stack"] == "chat-realtime"
    assert not Resource.objects.filter(type="unknown").exists()
    assert run.status == "success", run.errors
