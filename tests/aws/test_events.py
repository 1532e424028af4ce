import pytest

from flows.aws.events import transform_rule, transform_target
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import (
    before_each_call,
    deny,
    make_function,
    make_queue,
    only,
    session,
)
from tests.data.events_responses import (
    LAMBDA_TARGET_ON_ALIAS,
    RULE,
    SCHEDULE_RULE,
    STATE_MACHINE_TARGET,
    TARGET_WITHOUT_ARN,
)

ACCOUNT = "123456789012"
PATTERN = '{"source": ["shop.orders"]}'


@pytest.mark.django_db
def test_it_discovers_rules_on_every_bus_and_links_their_targets(aws):
    function_arn = make_function(aws, "bill")
    _, queue_arn = make_queue(aws, "audit")
    _, dlq_arn = make_queue(aws, "audit-dlq")
    events = aws("events")
    events.create_event_bus(Name="orders")
    rule_arn = events.put_rule(Name="order-placed", EventBusName="orders", EventPattern=PATTERN,
                               Description="every order")["RuleArn"]
    events.put_targets(Rule="order-placed", EventBusName="orders", Targets=[
        {"Id": "bill", "Arn": f"{function_arn}:live",
         "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"o": <id>}'}},
        {"Id": "audit", "Arn": queue_arn, "DeadLetterConfig": {"Arn": dlq_arn},
         "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600}}])
    schedule_arn = events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)", State="DISABLED")["RuleArn"]

    run = sync_account(["us-east-1"], collectors=only("lambda", "sqs", "events"))

    rule = Resource.objects.get(arn=rule_arn)
    assert rule.type == "eventbridge_rule"
    assert rule.name == "order-placed"
    assert rule.attributes["event_bus"] == "orders"
    assert rule.attributes["event_pattern"] == PATTERN
    assert rule.attributes["state"] == "ENABLED"
    assert rule.attributes["target_count"] == 2
    schedule = Resource.objects.get(arn=schedule_arn)
    assert schedule.attributes["event_bus"] == "default"
    assert schedule.attributes["schedule_expression"] == "rate(1 day)"
    assert schedule.attributes["state"] == "DISABLED"

    to_function = Edge.objects.get(kind="eventbridge", target_arn=function_arn)
    assert to_function.source_arn == rule_arn
    assert to_function.key == "bill"
    assert to_function.attributes["alias"] == "live"
    assert to_function.attributes["input_transformer"] is True
    to_queue = Edge.objects.get(kind="eventbridge", target_arn=queue_arn)
    assert to_queue.attributes["dead_letter_arn"] == dlq_arn
    assert to_queue.attributes["retry_policy"] == {"maximum_retry_attempts": 2,
                                                   "maximum_event_age_seconds": 600}
    assert to_queue.attributes["input_transformer"] is False
    # The target's DLQ is a property of the delivery, not an edge of its own.
    assert not Edge.objects.filter(kind="dead_letter").exists()
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_checks_the_function_permits_the_rule(aws):
    function_arn = make_function(aws, "bill")
    events = aws("events")
    allowed = events.put_rule(Name="allowed", EventPattern=PATTERN)["RuleArn"]
    events.put_rule(Name="other", EventPattern=PATTERN)
    for rule in ("allowed", "other"):
        events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": function_arn}])
    aws("lambda").add_permission(FunctionName="bill", StatementId="ev", Action="lambda:InvokeFunction",
                                 Principal="events.amazonaws.com", SourceArn=allowed)

    sync_account(["us-east-1"], collectors=only("lambda", "events"))

    permitted = {e.source_arn.rsplit("/", 1)[1]: e.attributes["permitted"]
                 for e in Edge.objects.filter(kind="eventbridge")}
    assert permitted == {"allowed": True, "other": False}


@pytest.mark.django_db
def test_it_gives_targets_of_other_services_a_stub_node(aws):
    events = aws("events")
    rule_arn = events.put_rule(Name="fulfil", EventPattern=PATTERN)["RuleArn"]
    machine = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:fulfil"
    events.put_targets(Rule="fulfil", Targets=[{
        "Id": "sfn", "Arn": machine, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events-to-sfn"}])

    sync_account(["us-east-1"], collectors=only("events"))

    edge = Edge.objects.get(kind="eventbridge")
    assert (edge.source_arn, edge.target_arn) == (rule_arn, machine)
    stub = Resource.objects.get(arn=machine)
    # Typed from its ARN even when Step Functions was not read: never "unknown" (issue 13).
    assert (stub.type, stub.discovered) == ("stepfunctions_state_machine", False)


@pytest.mark.django_db
def test_it_skips_a_rule_deleted_between_listing_and_reading_targets(aws):
    events = aws("events")
    kept = events.put_rule(Name="kept", EventPattern=PATTERN)["RuleArn"]
    events.put_rule(Name="doomed", EventPattern=PATTERN)
    racing = session()

    def delete_doomed(params):
        if params["Rule"] == "doomed":
            events.delete_rule(Name="doomed")

    before_each_call(racing, "events", "ListTargetsByRule", delete_doomed)

    run = sync_account(["us-east-1"], session=racing, collectors=only("events"))

    assert list(Resource.objects.values_list("arn", flat=True)) == [kept]
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_fails_the_service_when_listing_rules_is_denied(aws):
    aws("events").put_rule(Name="kept", EventPattern=PATTERN)
    sync_account(["us-east-1"], collectors=only("events", "sqs"))
    denied = session()
    deny(denied, "events", "ListRules")

    run = sync_account(["us-east-1"], session=denied, collectors=only("events", "sqs"))

    assert run.status == "partial"
    assert any(e["service"] == "events" and e["fatal"] for e in run.errors)
    assert Resource.objects.filter(type="eventbridge_rule", name="kept").exists()


def test_it_reads_pattern_bus_and_manager_of_a_rule():
    node = transform_rule(RULE, "orders", "us-east-1", ACCOUNT)
    assert node.arn == RULE["Arn"]
    assert node.attributes["event_pattern"] == RULE["EventPattern"]
    assert node.attributes["managed_by"] == "schemas.amazonaws.com"
    assert "schedule_expression" not in node.attributes


def test_it_takes_the_bus_from_the_listing_when_a_rule_omits_it():
    node = transform_rule(SCHEDULE_RULE, "default", "us-east-1", ACCOUNT)
    assert node.attributes["event_bus"] == "default"
    assert node.attributes["schedule_expression"] == "cron(0 3 * * ? *)"


def test_it_links_a_lambda_target_to_the_function_with_alias_dlq_and_retries():
    edge = transform_target(RULE["Arn"], LAMBDA_TARGET_ON_ALIAS)
    assert edge.target == "arn:aws:lambda:us-east-1:123456789012:function:bill"
    assert edge.attributes["alias"] == "live"
    assert edge.attributes["dead_letter_arn"] == "arn:aws:sqs:us-east-1:123456789012:bill-dlq"
    assert edge.attributes["retry_policy"] == {"maximum_retry_attempts": 4,
                                               "maximum_event_age_seconds": 3600}
    assert edge.attributes["input_transformer"] is True


def test_it_keeps_role_and_constant_input_of_other_targets():
    edge = transform_target(RULE["Arn"], STATE_MACHINE_TARGET)
    assert edge.target == STATE_MACHINE_TARGET["Arn"]
    assert edge.attributes["role_arn"] == STATE_MACHINE_TARGET["RoleArn"]
    assert edge.attributes["constant_input"] is True
    assert "alias" not in edge.attributes and "retry_policy" not in edge.attributes


def test_it_ignores_a_target_without_arn():
    assert transform_target(RULE["Arn"], TARGET_WITHOUT_ARN) is None
