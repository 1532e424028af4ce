from flows.graph import GraphBuilder, Node
from flows.references import resolve_environment_references
from flows.vocabulary import NodeType

ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:history"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/chat-messages"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
BUCKET = "arn:aws:s3:::chat-uploads"


def build(environment):
    builder = GraphBuilder()
    fn = Node(FN, NodeType.LAMBDA_FUNCTION, "history", "us-east-1", ACCOUNT, {"environment_variables": sorted(environment)})
    fn.private["environment"] = environment
    builder.add("lambda:us-east-1", [fn])
    builder.add("dynamodb:us-east-1", [Node(TABLE, NodeType.DYNAMODB_TABLE, "chat-messages", "us-east-1", ACCOUNT)])
    builder.add("sqs:us-east-1", [Node(QUEUE, NodeType.SQS_QUEUE, "jobs", "us-east-1", ACCOUNT)])
    builder.add("s3:global", [Node(BUCKET, NodeType.S3_BUCKET, "chat-uploads", "eu-west-1", ACCOUNT)])
    resolve_environment_references(builder)
    return builder.nodes[FN]


def test_it_finds_resources_named_by_value_arn_or_queue_url_and_keeps_no_value():
    fn = build({"TABLE": "chat-messages", "QUEUE_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs",
                "BUCKET_ARN": BUCKET, "API_SECRET": "hunter2", "PAGE_SIZE": "50"})
    assert fn.attributes["environment_references"] == [
        {"variable": "BUCKET_ARN", "arn": BUCKET, "type": "s3_bucket"},
        {"variable": "QUEUE_URL", "arn": QUEUE, "type": "sqs_queue"},
        {"variable": "TABLE", "arn": TABLE, "type": "dynamodb_table"},
    ]
    assert "environment" not in fn.private
    assert "hunter2" not in repr(fn.attributes)


def test_a_name_that_matches_nothing_or_an_unknown_arn_is_no_reference():
    fn = build({"TABLE": "other-table", "TOPIC": f"arn:aws:sns:us-east-1:{ACCOUNT}:not-discovered", "N": None})
    assert fn.attributes["environment_references"] == []


def test_a_function_that_starts_a_state_machine_names_it():
    machine = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:checkout"
    builder = GraphBuilder()
    fn = Node(FN, NodeType.LAMBDA_FUNCTION, "history", "us-east-1", ACCOUNT)
    fn.private["environment"] = {"STATE_MACHINE_ARN": machine}
    builder.add("lambda:us-east-1", [fn])
    builder.add("stepfunctions:us-east-1", [Node(machine, NodeType.STEPFUNCTIONS_STATE_MACHINE, "checkout",
                                                 "us-east-1", ACCOUNT)])
    resolve_environment_references(builder)
    assert fn.attributes["environment_references"] == [
        {"variable": "STATE_MACHINE_ARN", "arn": machine, "type": "stepfunctions_state_machine"}]
