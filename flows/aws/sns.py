"""SNS: topics, and their subscriptions as edges to the functions and queues they feed."""
import json

from botocore.exceptions import ClientError

from ..arns import node_identity, split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node, as_int, is_not_found, tags_by_arn

# ListSubscriptions names a subscription that awaits confirmation this way instead of by ARN.
PENDING = "PendingConfirmation"


def get_topic_arns(client):
    pages = client.get_paginator("list_topics").paginate()
    return [topic["TopicArn"] for page in pages for topic in page.get("Topics", [])]


def get_subscriptions(client):
    # One call per 100 subscriptions for the whole region, instead of one per topic.
    pages = client.get_paginator("list_subscriptions").paginate()
    return [sub for page in pages for sub in page.get("Subscriptions", [])]


def get_topic_attributes(client, topic_arn):
    return client.get_topic_attributes(TopicArn=topic_arn).get("Attributes", {})


def get_tags(ctx, resource_type):
    """Tags are optional here: when the tagging call is refused the run carries on without
    them and says so in a note, rather than asking for one tag call per resource."""
    try:
        return tags_by_arn(ctx, resource_type)
    except ClientError as exc:
        ctx.note("TagsUnavailable", f"{resource_type} tags not read: {exc}")
        return {}


def transform_topic(topic_arn, attributes, tags, region, account):
    name = topic_arn.rsplit(":", 1)[-1]
    node_attributes = {
        "display_name": attributes.get("DisplayName", ""),
        "subscriptions_confirmed": as_int(attributes.get("SubscriptionsConfirmed")),
        "subscriptions_pending": as_int(attributes.get("SubscriptionsPending")),
        "subscriptions_deleted": as_int(attributes.get("SubscriptionsDeleted")),
        "fifo": str(attributes.get("FifoTopic", name.endswith(".fifo"))).lower() == "true",
        "kms_master_key_id": attributes.get("KmsMasterKeyId"),
        "owner": attributes.get("Owner"),
        "tags": tags,
    }
    raw_policy = attributes.get("Policy")
    if raw_policy:
        try:
            node_attributes["policy"] = json.loads(raw_policy)
        except ValueError:
            node_attributes["policy"] = None
            node_attributes["policy_error"] = "topic policy is not valid JSON"
    return Node(arn=topic_arn, type=NodeType.SNS_TOPIC, name=name, region=region, account=account,
                attributes=node_attributes)


def transform_subscription(subscription):
    """(edge, None) for a subscription to a function or queue, (None, problem) when such a
    subscription cannot be read, and (None, None) for endpoints that are not resources
    (email, HTTP(S), SMS, mobile push ...), which are not graphed.
    """
    protocol = str(subscription.get("Protocol") or "").lower()
    endpoint = subscription.get("Endpoint") or ""
    topic_arn = subscription.get("TopicArn")
    subscription_arn = subscription.get("SubscriptionArn") or ""
    if protocol not in ("lambda", "sqs"):
        return None, None
    if not topic_arn:
        return None, "subscription without a topic ARN"
    attributes = {"protocol": protocol, "endpoint": endpoint, "owner": subscription.get("Owner")}
    if protocol == "lambda":
        target, alias = split_function_arn(endpoint)
        if target is None:
            return None, f"lambda subscription endpoint {endpoint!r} is not a function ARN"
        if alias:
            attributes["alias"] = alias
    else:
        target, target_type, *_ = node_identity(endpoint)
        if target_type != NodeType.SQS_QUEUE:
            return None, f"sqs subscription endpoint {endpoint!r} is not a queue ARN"
    if subscription_arn == PENDING or not subscription_arn.startswith("arn:"):
        attributes["pending"] = True
        key = f"{PENDING}:{endpoint}"
    else:
        attributes["subscription_arn"] = subscription_arn
        key = subscription_arn
    attributes = {k: v for k, v in attributes.items() if v is not None}
    return EdgeRecord(source=topic_arn, target=target, kind=EdgeKind.SNS, key=key,
                      attributes=attributes), None


def collect(ctx):
    """SNS topics and their subscriptions to functions and queues."""
    client = ctx.client("sns")
    topic_arns = get_topic_arns(client)
    subscriptions = get_subscriptions(client)
    tags = get_tags(ctx, "sns:topic") if topic_arns else {}

    edges, unlinked = [], {}
    for subscription in subscriptions:
        edge, problem = transform_subscription(subscription)
        if edge is not None:
            edges.append(edge)
        elif problem:
            ctx.note("UnreadableSubscription", problem,
                     resource=subscription.get("SubscriptionArn"))
        else:
            # Email, HTTP(S), SMS ... endpoints are not resources: count them on the topic.
            protocol = str(subscription.get("Protocol") or "unknown").lower()
            per_topic = unlinked.setdefault(subscription.get("TopicArn"), {})
            per_topic[protocol] = per_topic.get(protocol, 0) + 1

    nodes, vanished = [], set()
    for topic_arn in topic_arns:
        try:
            attributes = get_topic_attributes(client, topic_arn)
        except ClientError as exc:
            if is_not_found(exc):
                vanished.add(topic_arn)
                continue
            ctx.warn(exc, resource=topic_arn)
            attributes = {}
        node = transform_topic(topic_arn, attributes, tags.get(topic_arn, {}), ctx.region,
                               ctx.account)
        if not attributes:
            node.attributes["attributes_unavailable"] = True
        node.attributes["other_subscriptions"] = unlinked.get(topic_arn, {})
        nodes.append(node)
    # A topic deleted since it was listed takes its subscriptions with it.
    ctx.add(nodes, [edge for edge in edges if edge.source not in vanished])
