"""SES receipt rules of the active rule set whose Lambda actions invoke a function.

Only the active rule set receives mail, and one DescribeActiveReceiptRuleSet call returns all
of its rules with their actions."""
from botocore.exceptions import ClientError

from ..arns import split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import ACCESS_DENIED_CODES, EdgeRecord, Node, error_code


def receipt_rule_arn(partition, region, account, rule_set, rule):
    return f"arn:{partition}:ses:{region}:{account}:receipt-rule-set/{rule_set}:receipt-rule/{rule}"


def get_active_rule_set(client):
    response = client.describe_active_receipt_rule_set()
    return (response.get("Metadata") or {}).get("Name"), response.get("Rules") or []


def transform_rules(rule_set, rules, partition, region, account):
    """(nodes, edges): one node per rule, one ``ses`` edge per Lambda action."""
    nodes, edges = [], []
    for position, rule in enumerate(rules):
        arn = receipt_rule_arn(partition, region, account, rule_set, rule["Name"])
        attributes = {"rule_set": rule_set, "position": position + 1, "enabled": bool(rule.get("Enabled")),
                      "recipients": rule.get("Recipients") or [], "scan_enabled": bool(rule.get("ScanEnabled")),
                      "tls_policy": rule.get("TlsPolicy"),
                      "actions": [next(iter(a), "") for a in rule.get("Actions") or [] if isinstance(a, dict)]}
        nodes.append(Node(arn=arn, type=NodeType.SES_RECEIPT_RULE, name=rule["Name"], region=region,
                          account=account, attributes={k: v for k, v in attributes.items() if v is not None}))
        for i, action in enumerate(rule.get("Actions") or []):
            lambda_action = (action or {}).get("LambdaAction") or {}
            function, alias = split_function_arn(lambda_action.get("FunctionArn"))
            if not function:
                continue
            edge_attributes = {"invocation_type": lambda_action.get("InvocationType", "Event"),
                               "topic_arn": lambda_action.get("TopicArn"), "recipients": attributes["recipients"],
                               "alias": alias, "invoke_source_arns": [arn]}
            edges.append(EdgeRecord(source=arn, target=function, kind=EdgeKind.SES, key=f"action:{i}",
                                    attributes={k: v for k, v in edge_attributes.items() if v is not None}))
    return nodes, edges


def collect(ctx):
    """SES receipt rules of the active rule set and the functions they invoke."""
    if not ctx.offered("ses"):
        return
    client = ctx.client("ses")
    try:
        rule_set, rules = get_active_rule_set(client)
    except ClientError as exc:
        # Email receiving exists in fewer regions than SES itself; elsewhere the call is refused
        # for that reason, not for a missing permission.
        if error_code(exc) in ACCESS_DENIED_CODES:
            raise
        ctx.note("SesReceivingUnavailable", f"SES email receiving is not available here: {exc}")
        return
    if not rule_set:
        return
    nodes, edges = transform_rules(rule_set, rules, ctx.partition, ctx.region, ctx.account)
    ctx.add(nodes, edges)
