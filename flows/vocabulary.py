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
    LAMBDA_FUNCTION_URL = "lambda_function_url"      # id: the URL itself
    STEPFUNCTIONS_STATE_MACHINE = "stepfunctions_state_machine"
    COGNITO_USER_POOL = "cognito_user_pool"
    IOT_TOPIC_RULE = "iot_topic_rule"
    LOG_GROUP = "log_group"
    SES_RECEIPT_RULE = "ses_receipt_rule"
    APPSYNC_API = "appsync_api"
    MSK_CLUSTER = "msk_cluster"
    KAFKA_CLUSTER = "kafka_cluster"                  # self-managed: id from the bootstrap servers
    MQ_BROKER = "mq_broker"
    DOCUMENTDB_CLUSTER = "documentdb_cluster"
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
    FUNCTION_URL = "function_url"
    STATE_MACHINE_TASK = "state_machine_task"
    COGNITO_TRIGGER = "cognito_trigger"
    IOT_RULE = "iot_rule"
    LOGS_SUBSCRIPTION = "logs_subscription"
    SES = "ses"
    APPSYNC = "appsync"
    MSK = "msk"
    KAFKA = "kafka"
    MQ = "mq"
    DOCUMENTDB = "documentdb"


# Triggers that push to Lambda (the source service calls Invoke), so the function's
# resource policy must allow them. Event source mappings are pulled by Lambda itself; Step
# Functions and AppSync invoke through a role of their own (the execution role, the data
# source's service role), which the resource policy does not govern; a function URL is
# checked against lambda:InvokeFunctionUrl statements instead (flows/consistency.py).
PUSH_TRIGGER_KINDS = frozenset(
    {EdgeKind.ALB, EdgeKind.API_GATEWAY, EdgeKind.API_GATEWAY_V2, EdgeKind.SNS, EdgeKind.S3,
     EdgeKind.CODECOMMIT, EdgeKind.EVENTBRIDGE, EdgeKind.COGNITO_TRIGGER, EdgeKind.IOT_RULE,
     EdgeKind.LOGS_SUBSCRIPTION, EdgeKind.SES}
)

# Event source mappings: Lambda polls the source with the execution role's permissions.
EVENT_SOURCE_MAPPING_KINDS = frozenset(
    {EdgeKind.SQS, EdgeKind.KINESIS, EdgeKind.DYNAMODB_STREAM, EdgeKind.MSK, EdgeKind.KAFKA,
     EdgeKind.MQ, EdgeKind.DOCUMENTDB}
)

TRIGGER_KINDS = (PUSH_TRIGGER_KINDS | EVENT_SOURCE_MAPPING_KINDS
                 | {EdgeKind.FUNCTION_URL, EdgeKind.STATE_MACHINE_TASK, EdgeKind.APPSYNC})

# The service principal that invokes a function for each push trigger.
INVOKING_PRINCIPAL = {
    EdgeKind.ALB: "elasticloadbalancing.amazonaws.com",
    EdgeKind.API_GATEWAY: "apigateway.amazonaws.com",
    EdgeKind.API_GATEWAY_V2: "apigateway.amazonaws.com",
    EdgeKind.SNS: "sns.amazonaws.com",
    EdgeKind.S3: "s3.amazonaws.com",
    EdgeKind.CODECOMMIT: "codecommit.amazonaws.com",
    EdgeKind.EVENTBRIDGE: "events.amazonaws.com",
    EdgeKind.COGNITO_TRIGGER: "cognito-idp.amazonaws.com",
    EdgeKind.IOT_RULE: "iot.amazonaws.com",
    EdgeKind.LOGS_SUBSCRIPTION: "logs.amazonaws.com",
    EdgeKind.SES: "ses.amazonaws.com",
}


class SyncStatus(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
