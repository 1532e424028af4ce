"""CloudWatch Logs subscription filters: which log groups stream to a function (or a stream).

There is no account-wide listing of filters: DescribeSubscriptionFilters is asked once per log
group (a log group holds at most two). Only log groups with a filter become nodes, so the
graph does not gain one node per function's own log group.
"""
from ..arns import log_group_arn, node_identity, split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node

PAGE_SIZE = 50  # DescribeLogGroups' maximum


def get_log_groups(client):
    pages = client.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    return [group for page in pages for group in page.get("logGroups", [])]


def get_subscription_filters(client, group_name):
    pages = client.get_paginator("describe_subscription_filters").paginate(logGroupName=group_name)
    return [f for page in pages for f in page.get("subscriptionFilters", [])]


def transform_log_group(group, filters, partition, region, account):
    """(node, edges) of a log group with subscription filters."""
    name = group["logGroupName"]
    arn = log_group_arn(group.get("arn")) or f"arn:{partition}:logs:{region}:{account}:log-group:{name}"
    attributes = {"retention_days": group.get("retentionInDays"), "stored_bytes": group.get("storedBytes"),
                  "log_group_class": group.get("logGroupClass"), "kms_key_id": group.get("kmsKeyId"),
                  "subscription_filters": [f.get("filterName") for f in filters]}
    node = Node(arn=arn, type=NodeType.LOG_GROUP, name=name, region=region, account=account,
                attributes={k: v for k, v in attributes.items() if v is not None})
    edges = []
    for subscription in filters:
        destination = subscription.get("destinationArn")
        if not destination:
            continue
        function, alias = split_function_arn(destination)
        attributes = {
            "filter_name": subscription.get("filterName"),
            "filter_pattern": subscription.get("filterPattern"),
            "distribution": subscription.get("distribution"),
            "role_arn": subscription.get("roleArn"),
            "target_arn": destination,
            "alias": alias,
            # Lambda permissions name the group with or without the trailing ":*".
            "invoke_source_arns": [arn, f"{arn}:*"],
        }
        edges.append(EdgeRecord(source=arn, target=function or node_identity(destination)[0],
                                kind=EdgeKind.LOGS_SUBSCRIPTION, key=subscription.get("filterName") or destination,
                                attributes={k: v for k, v in attributes.items() if v is not None}))
    return node, edges


def collect(ctx):
    """CloudWatch log groups with subscription filters, and where each filter delivers."""
    if not ctx.offered("logs"):
        return
    client = ctx.client("logs")
    for group in get_log_groups(client):
        filters, _ = ctx.read(get_subscription_filters, client, group["logGroupName"], resource=group.get("arn"))
        if not filters:
            continue
        node, edges = transform_log_group(group, filters, ctx.partition, ctx.region, ctx.account)
        ctx.add([node], edges)
