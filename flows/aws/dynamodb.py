"""DynamoDB: tables and their streams (the stream -> function edges come from Lambda's mappings)."""
from botocore.exceptions import ClientError

from ..vocabulary import NodeType
from .base import Node, is_not_found


def get_table_names(client):
    pages = client.get_paginator("list_tables").paginate()
    return [name for page in pages for name in page.get("TableNames", [])]


def describe_table(client, name):
    return client.describe_table(TableName=name)["Table"]


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def transform_table(table, table_arn, region, account):
    """The table node; ``table_arn`` is used when the description lacks TableArn."""
    stream = table.get("StreamSpecification") or {}
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode")
    attributes = {
        "status": table.get("TableStatus"),
        "stream_enabled": bool(stream.get("StreamEnabled")),
        "stream_view_type": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        # A disabled stream stays readable for 24 hours: keep its ARN whenever AWS reports one.
        "stream_arn": table.get("LatestStreamArn"),
        # Tables created as provisioned before billing modes existed carry no summary.
        "billing_mode": billing or ("PROVISIONED" if table else None),
        "item_count": table.get("ItemCount"),
        "size_bytes": table.get("TableSizeBytes"),
        "key_schema": [{"name": k.get("AttributeName"), "type": k.get("KeyType")}
                       for k in table.get("KeySchema") or []],
        "global_secondary_indexes": [index.get("IndexName")
                                     for index in table.get("GlobalSecondaryIndexes") or []],
        "deletion_protection": table.get("DeletionProtectionEnabled"),
        "table_class": (table.get("TableClassSummary") or {}).get("TableClass"),
        "replica_regions": [r.get("RegionName") for r in table.get("Replicas") or []],
        "creation_date": _iso(table.get("CreationDateTime")),
    }
    return Node(arn=table.get("TableArn") or table_arn, type=NodeType.DYNAMODB_TABLE,
                name=table.get("TableName") or table_arn.rsplit("/", 1)[-1], region=region,
                account=account, attributes=attributes)


def collect(ctx):
    """DynamoDB tables with their stream settings."""
    client = ctx.client("dynamodb")
    for name in get_table_names(client):
        arn = ctx.arn("dynamodb", f"table/{name}")
        try:
            table = describe_table(client, name)
        except ClientError as exc:
            if is_not_found(exc):
                continue
            ctx.warn(exc, resource=arn)
            table = None
        node = transform_table(table or {}, arn, ctx.region, ctx.account)
        if table is None:
            node.attributes["attributes_unavailable"] = True
        ctx.add([node])
