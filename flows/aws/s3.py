"""S3: buckets of the account, and their event notifications to functions, queues and topics."""
import hashlib
import json

from botocore.exceptions import ClientError

from ..arns import node_identity, split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node, is_not_found

# GetBucketLocation answers with these legacy constraints instead of region names.
LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}

# (response key, key of the target ARN in each configuration, node type the target must be)
CONFIGURATIONS = (
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", NodeType.LAMBDA_FUNCTION),
    ("QueueConfigurations", "QueueArn", NodeType.SQS_QUEUE),
    ("TopicConfigurations", "TopicArn", NodeType.SNS_TOPIC),
)


def get_buckets(client):
    # Asking for pages (MaxBuckets) is what makes S3 answer with each bucket's BucketRegion
    # and a ContinuationToken past the limit; 10,000 is the largest page it serves.
    pages = client.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 10000})
    return [bucket for page in pages for bucket in page.get("Buckets", [])]


def get_bucket_region(client, name):
    constraint = client.get_bucket_location(Bucket=name).get("LocationConstraint")
    return LEGACY_LOCATIONS.get(constraint, constraint)


def get_notification_configuration(client, name):
    response = client.get_bucket_notification_configuration(Bucket=name)
    response.pop("ResponseMetadata", None)
    return response


def bucket_arn(name, partition="aws"):
    return f"arn:{partition}:s3:::{name}"


def configuration_key(configuration):
    """The configuration Id, or a stable digest of the configuration when it has none."""
    if configuration.get("Id"):
        return str(configuration["Id"])
    digest = hashlib.sha256(json.dumps(configuration, sort_keys=True, default=str).encode())
    return f"sha256:{digest.hexdigest()[:16]}"


def filter_rules(configuration):
    """{"prefix": ..., "suffix": ...} from Filter.Key.FilterRules (names are case-insensitive)."""
    rules = ((configuration.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    found = {}
    for rule in rules:
        if isinstance(rule, dict) and str(rule.get("Name", "")).lower() in ("prefix", "suffix"):
            found[str(rule["Name"]).lower()] = rule.get("Value", "")
    return found


def transform_notifications(source_arn, notification):
    """(edges, problems) for a bucket's Lambda, queue and topic notification configurations."""
    edges, problems = [], []
    for response_key, arn_key, target_type in CONFIGURATIONS:
        for configuration in notification.get(response_key) or []:
            if not isinstance(configuration, dict):
                problems.append(f"{response_key} holds a malformed entry")
                continue
            target_arn = configuration.get(arn_key) or ""
            alias = None
            if target_type == NodeType.LAMBDA_FUNCTION:
                target, alias = split_function_arn(target_arn)
            else:
                target, found_type, *_ = node_identity(target_arn)
                target = target if found_type == target_type else None
            if not target:
                problems.append(f"{response_key} entry {configuration.get('Id')!r} names "
                                f"{target_arn!r}, not a {target_type}")
                continue
            key = configuration_key(configuration)
            attributes = {"configuration_id": configuration.get("Id"),
                          "events": list(configuration.get("Events") or []),
                          "target_arn": target_arn, **filter_rules(configuration)}
            if alias:
                attributes["alias"] = alias
            edges.append(EdgeRecord(source=source_arn, target=target, kind=EdgeKind.S3, key=key,
                                    attributes=attributes))
    return edges, problems


def transform_bucket(bucket, region, notification, partition, account):
    """(node, edges, problems) for one bucket; ``notification`` is None when it was unreadable."""
    arn = bucket_arn(bucket["Name"], partition)
    creation = bucket.get("CreationDate")
    attributes = {
        "creation_date": creation.isoformat() if hasattr(creation, "isoformat") else creation,
        "eventbridge_enabled": None,   # unknown until the notification configuration is read
    }
    edges, problems = [], []
    if notification is not None:
        # An empty EventBridgeConfiguration ({}) is how S3 says "send everything to EventBridge".
        attributes["eventbridge_enabled"] = "EventBridgeConfiguration" in notification
        edges, problems = transform_notifications(arn, notification)
    node = Node(arn=arn, type=NodeType.S3_BUCKET, name=bucket["Name"], region=region or "",
                account=account, attributes=attributes)
    return node, edges, problems


class RegionalClients:
    """One S3 client per bucket region, so no call pays for a cross-region redirect."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.clients = {ctx.region: ctx.client("s3")}

    def __call__(self, region):
        region = region or self.ctx.region
        if region not in self.clients:
            with self.ctx.client_lock:
                self.clients[region] = self.ctx.session.client(
                    "s3", region_name=region, config=self.ctx.config)
        return self.clients[region]


def collect(ctx):
    """S3 buckets (all regions) and their event notifications."""
    clients = RegionalClients(ctx)
    home = clients(ctx.region)
    for bucket in get_buckets(home):
        name = bucket["Name"]
        arn = bucket_arn(name, ctx.partition)
        region = bucket.get("BucketRegion")
        if not region:
            try:
                region = get_bucket_region(home, name)
            except ClientError as exc:
                if is_not_found(exc):
                    continue
                # Still worth asking for notifications: the home client follows redirects.
                ctx.warn(exc, resource=arn)
        try:
            notification = get_notification_configuration(clients(region), name)
        except ClientError as exc:
            if is_not_found(exc):
                continue
            ctx.warn(exc, resource=arn)
            notification = None
        node, edges, problems = transform_bucket(bucket, region, notification, ctx.partition,
                                                 ctx.account)
        if notification is None:
            node.attributes["notifications_unavailable"] = True
        for problem in problems:
            ctx.note("UnreadableNotification", problem, resource=arn)
        ctx.add([node], edges)
