"""The one source of truth for node types and edge kinds (the export format's vocabulary)."""
from enum import StrEnum

GRAPH_FORMAT = "flowscope.graph/1"


class NodeType(StrEnum):
    LAMBDA_FUNCTION = "lambda_function"
    ALB = "alb"
    API_GATEWAY_REST = "api_gateway_rest"
    API_GATEWAY_V2 = "api_gateway_v2"
    SNS_TOPIC = "sns_topic"
    SQS_QUEUE = "sqs_queue"
    DYNAMODB_TABLE = "dynamodb_table"
    KINESIS_STREAM = "kinesis_stream"
    S3_BUCKET = "s3_bucket"
    CODECOMMIT_REPOSITORY = "codecommit_repository"
    EVENTBRIDGE_RULE = "eventbridge_rule"
    IAM_ROLE = "iam_role"
    # Beyond the minimum: targets we meet while following edges.
    EVENTBRIDGE_BUS = "eventbridge_bus"
    UNKNOWN = "unknown"


class EdgeKind(StrEnum):
    ALB = "alb"
    API_GATEWAY = "api_gateway"
    API_GATEWAY_V2 = "api_gateway_v2"
    SNS = "sns"
    SQS = "sqs"
    DYNAMODB_STREAM = "dynamodb_stream"
    KINESIS = "kinesis"
    S3 = "s3"
    CODECOMMIT = "codecommit"
    EVENTBRIDGE = "eventbridge"
    DESTINATION = "destination"
    DEAD_LETTER = "dead_letter"
    EXECUTION_ROLE = "execution_role"


# Triggers that push to Lambda (the source service calls Invoke), so the function's
# resource policy must allow them. Event source mappings are pulled by Lambda itself.
PUSH_TRIGGER_KINDS = frozenset(
    {EdgeKind.ALB, EdgeKind.API_GATEWAY, EdgeKind.API_GATEWAY_V2, EdgeKind.SNS, EdgeKind.S3,
     EdgeKind.CODECOMMIT, EdgeKind.EVENTBRIDGE}
)

TRIGGER_KINDS = PUSH_TRIGGER_KINDS | {EdgeKind.SQS, EdgeKind.KINESIS, EdgeKind.DYNAMODB_STREAM}

# The service principal that invokes a function for each push trigger.
INVOKING_PRINCIPAL = {
    EdgeKind.ALB: "elasticloadbalancing.amazonaws.com",
    EdgeKind.API_GATEWAY: "apigateway.amazonaws.com",
    EdgeKind.API_GATEWAY_V2: "apigateway.amazonaws.com",
    EdgeKind.SNS: "sns.amazonaws.com",
    EdgeKind.S3: "s3.amazonaws.com",
    EdgeKind.CODECOMMIT: "codecommit.amazonaws.com",
    EdgeKind.EVENTBRIDGE: "events.amazonaws.com",
}


class SyncStatus(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
