"""Pure helpers around ARNs: parse them, unwrap integration URIs, name the node an ARN denotes."""
import re
from dataclasses import dataclass

from .vocabulary import NodeType


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


def node_identity(arn):
    """(node ARN, type, name, region, account) for the resource an ARN points into.

    A DynamoDB stream ARN denotes its table, a qualified function ARN its function, so that
    edges always meet the node of the resource itself.
    """
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
    elif parsed.service in _TYPE_BY_SERVICE:
        node_type = _TYPE_BY_SERVICE[parsed.service]
    return node_arn, node_type, name, parsed.region, parsed.account

