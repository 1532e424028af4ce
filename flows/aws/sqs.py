"""SQS: queues, their settings, and the dead-letter queue each one redrives to."""
import json

from botocore.exceptions import ClientError

from ..arns import node_identity
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node, as_int, is_not_found
from .sns import get_tags


def get_queue_urls(client):
    # Without MaxResults, ListQueues stops at 1,000 queues and gives no NextToken to go on.
    pages = client.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 1000})
    return [url for page in pages for url in page.get("QueueUrls", [])]


def get_queue_attributes(client, queue_url):
    response = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
    return response.get("Attributes", {})


def parse_json_attribute(raw):
    """(dict, None) from a JSON-string attribute such as RedrivePolicy, or (None, problem)."""
    if isinstance(raw, dict):
        return raw, None
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return None, "is not valid JSON"
    if not isinstance(value, dict):
        return None, "is not a JSON object"
    return value, None


def queue_name(queue_url):
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


def transform_queue(queue_url, attributes, tags, queue_arn, region, account):
    """(node, edges, problems) for one queue; problems are sentences about malformed settings.

    ``queue_arn`` is what the caller knows before reading attributes (derived from the URL);
    the QueueArn attribute wins when present.
    """
    queue_arn = attributes.get("QueueArn") or queue_arn
    name = queue_name(queue_url)
    kms = attributes.get("KmsMasterKeyId")
    node_attributes = {
        "url": queue_url,
        "fifo": str(attributes.get("FifoQueue", name.endswith(".fifo"))).lower() == "true",
        "visibility_timeout": as_int(attributes.get("VisibilityTimeout")),
        "message_retention": as_int(attributes.get("MessageRetentionPeriod")),
        "delay_seconds": as_int(attributes.get("DelaySeconds")),
        "maximum_message_size": as_int(attributes.get("MaximumMessageSize")),
        "receive_wait_time": as_int(attributes.get("ReceiveMessageWaitTimeSeconds")),
        "kms_master_key_id": kms,
        "sqs_managed_sse": str(attributes.get("SqsManagedSseEnabled", "")).lower() == "true",
        "content_based_deduplication":
            str(attributes.get("ContentBasedDeduplication", "")).lower() == "true",
        "redrive_policy": None,
        "tags": tags,
    }
    edges, problems = [], []
    for attribute, key in (("RedrivePolicy", "redrive_policy"),
                           ("RedriveAllowPolicy", "redrive_allow_policy")):
        raw = attributes.get(attribute)
        if not raw:
            continue
        policy, problem = parse_json_attribute(raw)
        node_attributes[key] = policy
        if problem:
            node_attributes[f"{key}_raw"] = str(raw)[:2048]
            problems.append(f"{attribute} of {queue_arn} {problem}")

    redrive = node_attributes["redrive_policy"] or {}
    dead_letter_arn = redrive.get("deadLetterTargetArn")
    if dead_letter_arn:
        edges.append(EdgeRecord(
            source=queue_arn, target=node_identity(dead_letter_arn)[0], kind=EdgeKind.DEAD_LETTER,
            key="redrive", attributes={"max_receive_count": as_int(redrive.get("maxReceiveCount")),
                                       "target_arn": dead_letter_arn}))
    elif redrive:
        problems.append(f"RedrivePolicy of {queue_arn} names no deadLetterTargetArn")
    node = Node(arn=queue_arn, type=NodeType.SQS_QUEUE, name=name, region=region,
                account=account, attributes=node_attributes)
    return node, edges, problems


def collect(ctx):
    """SQS queues with their settings and dead-letter queues."""
    client = ctx.client("sqs")
    urls = get_queue_urls(client)
    tags = get_tags(ctx, "sqs:queue") if urls else {}
    for url in urls:
        derived_arn = ctx.arn("sqs", queue_name(url))
        try:
            attributes = get_queue_attributes(client, url)
        except ClientError as exc:
            if is_not_found(exc):
                continue
            ctx.warn(exc, resource=derived_arn)
            attributes = None
        queue_arn = (attributes or {}).get("QueueArn") or derived_arn
        node, edges, problems = transform_queue(url, attributes or {}, tags.get(queue_arn, {}),
                                                queue_arn, ctx.region, ctx.account)
        if attributes is None:
            node.attributes["attributes_unavailable"] = True
        for problem in problems:
            ctx.note("MalformedQueueAttribute", problem, resource=node.arn)
        ctx.add([node], edges)
