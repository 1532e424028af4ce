"""IoT topic rules whose actions (or error action) invoke a Lambda function."""
from ..arns import split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node


def get_topic_rules(client):
    pages = client.get_paginator("list_topic_rules").paginate()
    return [rule for page in pages for rule in page.get("rules", [])]


def get_topic_rule(client, name):
    # Only GetTopicRule carries the actions: one call per rule.
    return client.get_topic_rule(ruleName=name).get("rule") or {}


def transform_topic_rule(listed, rule, region, account):
    arn = listed["ruleArn"]
    attributes = {
        "sql": rule.get("sql"),
        "topic_pattern": listed.get("topicPattern"),
        "disabled": bool(rule.get("ruleDisabled", listed.get("ruleDisabled", False))),
        "sql_version": rule.get("awsIotSqlVersion"),
        "description": rule.get("description") or None,
        "action_count": len(rule.get("actions") or []),
    }
    node = Node(arn=arn, type=NodeType.IOT_TOPIC_RULE, name=listed.get("ruleName") or arn,
                region=region, account=account, attributes={k: v for k, v in attributes.items() if v is not None})
    actions = [(f"action:{i}", action, False) for i, action in enumerate(rule.get("actions") or [])]
    actions.append(("error_action", rule.get("errorAction") or {}, True))
    edges = []
    for key, action, on_error in actions:
        target = ((action or {}).get("lambda") or {}).get("functionArn")
        function, alias = split_function_arn(target)
        if not function:
            continue
        attributes = {"error_action": on_error, "topic_pattern": listed.get("topicPattern"),
                      "alias": alias, "invoke_source_arns": [arn]}
        edges.append(EdgeRecord(source=arn, target=function, kind=EdgeKind.IOT_RULE, key=key,
                                attributes={k: v for k, v in attributes.items() if v is not None}))
    return node, edges


def collect(ctx):
    """IoT topic rules and the functions their actions invoke."""
    if not ctx.offered("iot"):
        return
    client = ctx.client("iot")
    for listed in get_topic_rules(client):
        rule, refused = ctx.read(get_topic_rule, client, listed["ruleName"], resource=listed.get("ruleArn"))
        if rule is None and not refused:
            continue  # deleted since it was listed
        node, edges = transform_topic_rule(listed, rule or {}, ctx.region, ctx.account)
        if refused:
            node.attributes["actions_unavailable"] = True
        ctx.add([node], edges)
