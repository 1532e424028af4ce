import io
import json
import zipfile

import pytest

from flows.aws.lambda_ import transform_event_invoke_configs, transform_event_source_mapping
from flows.models import Edge, Resource
from flows.sync import sync_account

ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def zipped_handler():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def make_function(aws, name, role_arn, region="us-east-1", **extra):
    return aws("lambda", region).create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="index.handler",
        Code={"ZipFile": zipped_handler()}, **extra)


@pytest.fixture
def role_arn(aws):
    return aws("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]


@pytest.mark.django_db
def test_it_discovers_functions_with_config_tags_and_env_names_only(aws, role_arn):
    make_function(aws, "api-handler", role_arn, MemorySize=512, Timeout=30,
                  Environment={"Variables": {"TABLE": "chat", "API_SECRET": "hunter2"}},
                  Tags={"team": "chat", "aws:cloudformation:stack-name": "chat-stack"})

    run = sync_account(["us-east-1"])

    fn = Resource.objects.get(type="lambda_function")
    assert fn.name == "api-handler"
    assert fn.attributes["memory_size"] == 512
    assert fn.attributes["timeout"] == 30
    assert fn.attributes["runtime"] == "python3.12"
    assert fn.attributes["role"] == role_arn
    assert fn.attributes["environment_variables"] == ["API_SECRET", "TABLE"]
    assert "hunter2" not in json.dumps(fn.attributes)
    assert fn.attributes["tags"]["team"] == "chat"
    assert fn.attributes["stack"] == "chat-stack"
    assert Edge.objects.filter(source_arn=fn.arn, target_arn=role_arn, kind="execution_role").exists()
    assert run.status == "success", run.errors
    assert run.api_calls > 0


@pytest.mark.django_db
def test_it_links_sqs_queue_to_function_with_mapping_attributes(aws, role_arn):
    fn = make_function(aws, "worker", role_arn)
    queue_url = aws("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName="worker", BatchSize=7,
        MaximumBatchingWindowInSeconds=3,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["job"]}})}]})

    sync_account(["us-east-1"])

    edge = Edge.objects.get(kind="sqs")
    assert edge.source_arn == queue_arn
    assert edge.target_arn == fn["FunctionArn"]
    assert edge.attributes["batch_size"] == 7
    assert edge.attributes["maximum_batching_window_seconds"] == 3
    assert edge.attributes["filter_criteria"] == [json.dumps({"body": {"kind": ["job"]}})]
    assert edge.attributes["state"]


@pytest.mark.django_db
def test_it_links_destinations_of_event_invoke_configs(aws, role_arn):
    fn = make_function(aws, "uploader", role_arn)
    sqs = aws("sqs")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName="failed")["QueueUrl"],
                                       AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = aws("sns").create_topic(Name="done")["TopicArn"]
    aws("lambda").put_function_event_invoke_config(
        FunctionName="uploader", MaximumRetryAttempts=1,
        DestinationConfig={"OnSuccess": {"Destination": topic_arn}, "OnFailure": {"Destination": dlq_arn}})

    sync_account(["us-east-1"])

    destinations = {e.attributes["condition"]: e.target_arn
                    for e in Edge.objects.filter(kind="destination", source_arn=fn["FunctionArn"])}
    assert destinations == {"on_success": topic_arn, "on_failure": dlq_arn}


def test_it_maps_a_stream_mapping_to_its_table_and_keeps_the_stream():
    edges, problem = transform_event_source_mapping({
        "UUID": "u1", "BatchSize": 100, "State": "Enabled", "StartingPosition": "LATEST",
        "EventSourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/chat/stream/2024-01-01T00:00:00.000",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:fanout:live"})
    assert problem is None
    edge = edges[0]
    assert edge.kind == "dynamodb_stream"
    assert edge.source == "arn:aws:dynamodb:us-east-1:123456789012:table/chat"
    assert edge.target == "arn:aws:lambda:us-east-1:123456789012:function:fanout"
    assert edge.attributes["alias"] == "live"
    assert edge.attributes["starting_position"] == "LATEST"


def test_it_reports_event_sources_it_does_not_graph():
    edges, problem = transform_event_source_mapping({
        "UUID": "u2", "EventSourceArn": "arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/x",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f"})
    assert edges is None and "elasticmapreduce" in problem


def test_it_keeps_the_qualifier_of_a_destination_on_an_alias():
    edges = transform_event_invoke_configs("arn:aws:lambda:us-east-1:123456789012:function:f", [{
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:prod",
        "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}}}])
    assert edges[0].attributes["qualifier"] == "prod"
    assert edges[0].key == "on_failure:prod"
