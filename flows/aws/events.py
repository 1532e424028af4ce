"""EventBridge: rules on every event bus, and their targets."""
from botocore.exceptions import ClientError

from ..arns import node_identity, split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node, is_not_found


def get_event_buses(client):
    # botocore ships no paginator for ListEventBuses: follow NextToken by hand.
    buses, token = [], None
    while True:
        response = client.list_event_buses(**({"NextToken": token} if token else {}))
        buses.extend(response.get("EventBuses", []))
        token = response.get("NextToken")
        if not token:
            return buses


def get_rules(client, bus_name):
    pages = client.get_paginator("list_rules").paginate(EventBusName=bus_name)
    return [rule for page in pages for rule in page.get("Rules", [])]


def get_targets(client, rule_name, bus_name):
    pages = client.get_paginator("list_targets_by_rule").paginate(Rule=rule_name,
                                                                  EventBusName=bus_name)
    return [target for page in pages for target in page.get("Targets", [])]


def transform_rule(rule, bus_name, region, account):
    attributes = {
        "event_bus": rule.get("EventBusName") or bus_name,
        "event_pattern": rule.get("EventPattern"),
        "schedule_expression": rule.get("ScheduleExpression"),
        "state": rule.get("State"),
        "managed_by": rule.get("ManagedBy"),
        "description": rule.get("Description"),
        "role_arn": rule.get("RoleArn"),
    }
    return Node(arn=rule["Arn"], type=NodeType.EVENTBRIDGE_RULE,
                name=rule.get("Name") or rule["Arn"], region=region, account=account,
                attributes={k: v for k, v in attributes.items() if v is not None})


def transform_target(rule_arn, target):
    """An edge rule -> target, or None when the target names no ARN."""
    target_arn = target.get("Arn")
    if not target_arn:
        return None
    function, alias = split_function_arn(target_arn)
    destination = function or node_identity(target_arn)[0]
    retry = target.get("RetryPolicy") or {}
    attributes = {
        "target_id": target.get("Id"),
        "target_arn": target_arn,
        "input_transformer": bool(target.get("InputTransformer")),
        "constant_input": "Input" in target,
        "input_path": target.get("InputPath"),
        "role_arn": target.get("RoleArn"),
        # Where undeliverable events go stays on the edge: it is a property of this delivery.
        "dead_letter_arn": (target.get("DeadLetterConfig") or {}).get("Arn"),
        "retry_policy": {"maximum_retry_attempts": retry.get("MaximumRetryAttempts"),
                         "maximum_event_age_seconds": retry.get("MaximumEventAgeInSeconds")}
        if retry else None,
        "alias": alias,
    }
    return EdgeRecord(source=rule_arn, target=destination, kind=EdgeKind.EVENTBRIDGE,
                      key=str(target.get("Id") or target_arn),
                      attributes={k: v for k, v in attributes.items() if v is not None})


def collect(ctx):
    """EventBridge rules on every bus, and where they send events."""
    client = ctx.client("events")
    for bus in get_event_buses(client):
        bus_name = bus["Name"]
        # A bus deleted since it was listed is skipped; any other error fails the collector.
        for rule in ctx.call_or_skip(get_rules, client, bus_name, resource=bus.get("Arn")) or []:
            if not rule.get("Arn"):
                ctx.note("MalformedRule", f"rule {rule.get('Name')!r} has no ARN",
                         resource=bus.get("Arn"))
                continue
            node = transform_rule(rule, bus_name, ctx.region, ctx.account)
            try:
                targets = get_targets(client, rule["Name"], bus_name)
            except ClientError as exc:
                if is_not_found(exc):
                    continue
                ctx.warn(exc, resource=node.arn)
                node.attributes["targets_unavailable"] = True
                targets = []
            edges = [edge for edge in (transform_target(node.arn, t) for t in targets) if edge]
            node.attributes["target_count"] = len(targets)
            ctx.add([node], edges)
