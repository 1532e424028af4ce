"""Kinesis: data streams (the stream -> function edges come from Lambda's mappings)."""
from botocore.exceptions import ClientError

from ..vocabulary import NodeType
from .base import Node, is_not_found


def get_streams(client):
    """(summaries, names without a summary): older endpoints return StreamNames only."""
    summaries, names = [], []
    for page in client.get_paginator("list_streams").paginate():
        page_summaries = page.get("StreamSummaries") or []
        summaries.extend(page_summaries)
        summarised = {s.get("StreamName") for s in page_summaries}
        names.extend(n for n in page.get("StreamNames", []) if n not in summarised)
    return summaries, names


def describe_stream_summary(client, name):
    return client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def transform_stream(summary, region, account, stream_arn=None):
    """A stream node from a ListStreams summary or a DescribeStreamSummary description.

    Shard count, retention and encryption are only in the description; from a list summary
    they stay out rather than cost one call per stream. ``stream_arn`` stands in when the
    summary lacks StreamARN.
    """
    attributes = {
        "status": summary.get("StreamStatus"),
        "stream_mode": (summary.get("StreamModeDetails") or {}).get("StreamMode"),
        "creation_date": _iso(summary.get("StreamCreationTimestamp")),
    }
    optional = {"shard_count": summary.get("OpenShardCount"),
                "retention_hours": summary.get("RetentionPeriodHours"),
                "encryption": summary.get("EncryptionType"),
                "consumer_count": summary.get("ConsumerCount")}
    attributes.update({k: v for k, v in optional.items() if v is not None})
    return Node(arn=summary.get("StreamARN") or stream_arn, type=NodeType.KINESIS_STREAM,
                name=summary.get("StreamName") or str(stream_arn).rsplit("/", 1)[-1],
                region=region, account=account, attributes=attributes)


def collect(ctx):
    """Kinesis data streams with their status and capacity mode."""
    client = ctx.client("kinesis")
    summaries, names = get_streams(client)
    unavailable = set()
    for name in names:
        try:
            summaries.append(describe_stream_summary(client, name))
        except ClientError as exc:
            if is_not_found(exc):
                continue
            ctx.warn(exc, resource=ctx.arn("kinesis", f"stream/{name}"))
            summaries.append({"StreamName": name})
            unavailable.add(name)
    nodes = []
    for summary in summaries:
        name = summary.get("StreamName")
        node = transform_stream(summary, ctx.region, ctx.account,
                                ctx.arn("kinesis", f"stream/{name}"))
        if name in unavailable:
            node.attributes["attributes_unavailable"] = True
        nodes.append(node)
    ctx.add(nodes)
