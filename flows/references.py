"""Resources a function's environment variables name, found without keeping any value.

Functions usually learn their table, queue or bucket from an environment variable. While the
graph is built, each value is compared with the discovered resources (by ARN, queue URL or
name in the function's region); a match is kept as {"variable", "arn", "type"} and the values
themselves are dropped. Pure: works on the in-memory graph.
"""
import re

from .arns import node_identity
from .vocabulary import NodeType

REFERABLE = frozenset({
    NodeType.DYNAMODB_TABLE, NodeType.SQS_QUEUE, NodeType.SNS_TOPIC, NodeType.S3_BUCKET,
    NodeType.KINESIS_STREAM, NodeType.LAMBDA_FUNCTION, NodeType.EVENTBRIDGE_BUS,
    NodeType.STEPFUNCTIONS_STATE_MACHINE,
})
_QUEUE_URL = re.compile(r"^https?://[^/]+/(?P<account>\d{12})/(?P<name>[^/?#]+)$")


def _index(builder):
    by_arn, by_name = {}, {}
    for node in builder.nodes.values():
        if node.discovered and node.type in REFERABLE:
            by_arn[node.arn] = node
            # Buckets are global by name; everything else is named within its region.
            region = "" if node.type == NodeType.S3_BUCKET else node.region
            by_name.setdefault((region, node.name), []).append(node)
    return by_arn, by_name


def _match(value, function, by_arn, by_name):
    if not isinstance(value, str) or not value or len(value) > 2048:
        return None
    if value.startswith("arn:"):
        return by_arn.get(node_identity(value)[0])
    url = _QUEUE_URL.match(value)
    name = url["name"] if url else value
    candidates = by_name.get((function.region, name), []) + by_name.get(("", name), [])
    candidates = [c for c in candidates if c.arn != function.arn]
    return candidates[0] if len(candidates) == 1 else None  # ambiguous names prove nothing


def resolve_environment_references(builder):
    by_arn, by_name = _index(builder)
    for node in builder.nodes.values():
        environment = node.private.pop("environment", None)
        if node.type != NodeType.LAMBDA_FUNCTION or environment is None:
            continue  # carried over from an earlier sync: keeps the references found then
        references = []
        for variable, value in sorted(environment.items()):
            target = _match(value, node, by_arn, by_name)
            if target is not None:
                references.append({"variable": variable, "arn": target.arn, "type": str(target.type)})
        node.attributes["environment_references"] = references
