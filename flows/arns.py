"""Pure helpers around ARNs: parse them, unwrap integration URIs, name the node an ARN denotes."""
import re
from dataclasses import dataclass

from .vocabulary import EdgeKind, NodeType


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(arn):
    """Split an ARN into its parts, or return None when the string is not an ARN."""
    if not isinstance(arn, str):
        return None
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[2]:
        return None
    return Arn(*parts[1:])


_FUNCTION_ARN = re.compile(
    r"^(?P<base>arn:(?P<partition>[\w-]+):lambda:(?P<region>[\w-]+):(?P<account>\d{12}):"
    r"function:(?P<name>[A-Za-z0-9_-]+))(?::(?P<qualifier>[^:/]+))?$"
)


def split_function_arn(arn):
    """(unqualified function ARN, qualifier or None), or (None, None) when not a function ARN."""
    match = _FUNCTION_ARN.match(arn or "")
    if not match:
        return None, None
    return match["base"], match["qualifier"]


_INTEGRATION_URI = re.compile(r"^arn:[\w-]+:apigateway:[\w-]+:lambda:path/[^/]+/functions/(?P<fn>.+?)/invocations$")


def function_arn_from_integration_uri(uri):
    """Unwrap an API Gateway integration URI (or a plain function ARN, as HTTP APIs allow).

    Returns (function ARN, alias or None, problem or None). A URI holding stage variables
    (``${stageVariables.fn}``) cannot be resolved statically: the function is None and the
    problem says why, so the caller keeps the raw value and flags the edge.
    """
    if not isinstance(uri, str) or not uri:
        return None, None, "empty integration URI"
    match = _INTEGRATION_URI.match(uri)
    candidate = match["fn"] if match else uri
    if "${stageVariables." in candidate:
        # The name may still be fixed with only the alias variable: keep what we can.
        fixed = re.sub(r":\$\{stageVariables\.[^}]+\}$", "", candidate)
        function, _ = split_function_arn(fixed)
        if function:
            return function, None, "alias comes from a stage variable"
        return None, None, "function comes from a stage variable"
    function, qualifier = split_function_arn(candidate)
    if function:
        return function, qualifier, None
    return None, None, "not a Lambda integration URI"


_TYPE_BY_SERVICE = {
    "sqs": NodeType.SQS_QUEUE,
    "sns": NodeType.SNS_TOPIC,
    "s3": NodeType.S3_BUCKET,
    "kinesis": NodeType.KINESIS_STREAM,
    "codecommit": NodeType.CODECOMMIT_REPOSITORY,
}

# (service, resource prefix) -> (node type, how to name it from the resource part).
_TYPE_BY_RESOURCE = (
    ("states", "stateMachine:", NodeType.STEPFUNCTIONS_STATE_MACHINE, lambda r: r.split(":")[1]),
    ("cognito-idp", "userpool/", NodeType.COGNITO_USER_POOL, lambda r: r.split("/")[1]),
    ("iot", "rule/", NodeType.IOT_TOPIC_RULE, lambda r: r.split("/")[1]),
    ("logs", "log-group:", NodeType.LOG_GROUP, lambda r: r.split(":")[1]),
    ("ses", "receipt-rule-set/", NodeType.SES_RECEIPT_RULE, lambda r: r.rsplit("/", 1)[-1]),
    ("appsync", "apis/", NodeType.APPSYNC_API, lambda r: r.split("/")[1]),
    ("kafka", "cluster/", NodeType.MSK_CLUSTER, lambda r: r.split("/")[1]),
    ("mq", "broker:", NodeType.MQ_BROKER, lambda r: r.split(":")[1]),
    ("rds", "cluster:", NodeType.DOCUMENTDB_CLUSTER, lambda r: r.split(":")[1]),
)

KAFKA_SCHEME = "kafka://"


def kafka_cluster_id(bootstrap_servers):
    """The id of a self-managed Kafka cluster: its bootstrap servers, sorted, as one URI."""
    servers = sorted({s.strip() for s in bootstrap_servers or [] if isinstance(s, str) and s.strip()})
    return KAFKA_SCHEME + ",".join(servers) if servers else None


def log_group_arn(arn):
    """A log group's ARN without the ``:*`` that some APIs append."""
    return arn[:-2] if isinstance(arn, str) and arn.endswith(":*") else arn


# The graph edge kind of each event source an event source mapping reads.
_ESM_KIND_BY_SERVICE = {"sqs": EdgeKind.SQS, "kinesis": EdgeKind.KINESIS,
                        "dynamodb": EdgeKind.DYNAMODB_STREAM, "kafka": EdgeKind.MSK,
                        "mq": EdgeKind.MQ, "rds": EdgeKind.DOCUMENTDB}


def event_source_identity(mapping):
    """(source node id, edge kind, problem) of one event source mapping.

    Self-managed Kafka has no ARN: its node is named by the bootstrap servers."""
    source_arn = mapping.get("EventSourceArn")
    if not source_arn:
        servers = ((mapping.get("SelfManagedEventSource") or {}).get("Endpoints") or {}).get(
            "KAFKA_BOOTSTRAP_SERVERS")
        cluster = kafka_cluster_id(servers)
        if cluster:
            return cluster, EdgeKind.KAFKA, None
        return None, None, "event source mapping without a source ARN or Kafka bootstrap servers"
    parsed = parse_arn(source_arn)
    kind = _ESM_KIND_BY_SERVICE.get(parsed.service if parsed else "")
    if kind is None:
        service = parsed.service if parsed else "unknown service"
        return None, None, f"event source {source_arn} ({service}) is not graphed"
    return node_identity(source_arn)[0], kind, None


def node_identity(arn):
    """(node ARN, type, name, region, account) for the resource an ARN points into.

    A DynamoDB stream ARN denotes its table, a qualified function ARN its function, so that
    edges always meet the node of the resource itself.
    """
    if isinstance(arn, str) and arn.startswith(KAFKA_SCHEME):
        return arn, NodeType.KAFKA_CLUSTER, arn[len(KAFKA_SCHEME):], "", ""
    if isinstance(arn, str) and ".lambda-url." in arn and arn.startswith("https://"):
        region = arn.split(".lambda-url.", 1)[1].split(".", 1)[0]
        return arn, NodeType.LAMBDA_FUNCTION_URL, arn[len("https://"):].split(".", 1)[0], region, ""
    parsed = parse_arn(arn)
    if parsed is None:
        return arn, NodeType.UNKNOWN, arn, "", ""
    resource = parsed.resource
    node_arn, node_type, name = arn, NodeType.UNKNOWN, resource
    if parsed.service == "lambda" and resource.startswith("function:"):
        node_arn, _ = split_function_arn(arn)
        node_arn = node_arn or arn
        node_type, name = NodeType.LAMBDA_FUNCTION, resource.split(":")[1]
    elif parsed.service == "dynamodb" and resource.startswith("table/"):
        table = resource.split("/")[1]
        node_arn = f"arn:{parsed.partition}:dynamodb:{parsed.region}:{parsed.account}:table/{table}"
        node_type, name = NodeType.DYNAMODB_TABLE, table
    elif parsed.service == "kinesis" and resource.startswith("stream/"):
        node_type, name = NodeType.KINESIS_STREAM, resource.split("/")[1]
    elif parsed.service == "elasticloadbalancing" and resource.startswith("loadbalancer/"):
        node_type, name = NodeType.ALB, resource.split("/")[2] if resource.count("/") >= 2 else resource
    elif parsed.service == "apigateway" and resource.startswith("/restapis/"):
        node_type, name = NodeType.API_GATEWAY_REST, resource.split("/")[2]
    elif parsed.service == "apigateway" and resource.startswith("/apis/"):
        node_type, name = NodeType.API_GATEWAY_V2, resource.split("/")[2]
    elif parsed.service == "events" and resource.startswith("rule/"):
        node_type, name = NodeType.EVENTBRIDGE_RULE, resource.split("/")[-1]
    elif parsed.service == "events" and resource.startswith("event-bus/"):
        node_type, name = NodeType.EVENTBRIDGE_BUS, resource.split("/", 1)[1]
    elif parsed.service == "iam" and resource.startswith("role/"):
        node_type, name = NodeType.IAM_ROLE, resource.rsplit("/", 1)[1]
    elif parsed.service == "states" and resource.startswith("stateMachine:"):
        # A state machine's version or alias ARN denotes the state machine itself.
        name = resource.split(":")[1]
        node_arn = f"arn:{parsed.partition}:states:{parsed.region}:{parsed.account}:stateMachine:{name}"
        node_type = NodeType.STEPFUNCTIONS_STATE_MACHINE
    elif parsed.service == "logs" and resource.startswith("log-group:"):
        node_arn = log_group_arn(arn)
        node_type, name = NodeType.LOG_GROUP, resource.split(":")[1]
    elif parsed.service in _TYPE_BY_SERVICE:
        node_type = _TYPE_BY_SERVICE[parsed.service]
    else:
        for service, prefix, known_type, naming in _TYPE_BY_RESOURCE:
            if parsed.service == service and resource.startswith(prefix):
                node_type, name = known_type, naming(resource)
                break
    return node_arn, node_type, name, parsed.region, parsed.account

