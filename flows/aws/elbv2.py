"""Application Load Balancers: listener rules that forward to Lambda target groups.

Calls are kept to what the graph needs: target groups are listed once for the region, target
health (which names the function) is read only for Lambda target groups attached to a load
balancer, and listeners and rules only for load balancers such a target group is attached to.
"""
from ..arns import split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node

STACK_TAG = "aws:cloudformation:stack-name"
PAGE_SIZE = 400      # the documented maximum for the Describe* calls used here
TAGS_PER_CALL = 20   # DescribeTags takes at most 20 ARNs

# Each condition field keeps its values in its own *Config block (the bare "Values" is legacy).
CONDITION_CONFIG = {
    "path-pattern": "PathPatternConfig",
    "host-header": "HostHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "source-ip": "SourceIpConfig",
    "http-header": "HttpHeaderConfig",
    "query-string": "QueryStringConfig",
}


def _paginate(client, operation, key, **kwargs):
    paginator = client.get_paginator(operation)
    pages = paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}, **kwargs)
    return [item for page in pages for item in page.get(key, [])]


def get_load_balancers(client):
    return _paginate(client, "describe_load_balancers", "LoadBalancers")


def get_target_groups(client):
    return _paginate(client, "describe_target_groups", "TargetGroups")


def get_target_health(client, target_group_arn):
    response = client.describe_target_health(TargetGroupArn=target_group_arn)
    return response.get("TargetHealthDescriptions", [])


def get_listeners(client, load_balancer_arn):
    return _paginate(client, "describe_listeners", "Listeners", LoadBalancerArn=load_balancer_arn)


def get_rules(client, listener_arn):
    return _paginate(client, "describe_rules", "Rules", ListenerArn=listener_arn)


def get_tags(client, arns):
    tags = {}
    for start in range(0, len(arns), TAGS_PER_CALL):
        response = client.describe_tags(ResourceArns=arns[start:start + TAGS_PER_CALL])
        for description in response.get("TagDescriptions", []):
            tags[description["ResourceArn"]] = {
                t["Key"]: t.get("Value", "") for t in description.get("Tags", [])}
    return tags


def get_tags_skipping_deleted(ctx, client, arns):
    """Tags by ARN; a batch failing because one load balancer vanished is retried one by one."""
    tags = {}
    for start in range(0, len(arns), TAGS_PER_CALL):
        batch = arns[start:start + TAGS_PER_CALL]
        found = ctx.call_or_skip(get_tags, client, batch)
        if found is None:
            found = {}
            for arn in batch:
                found.update(ctx.call_or_skip(get_tags, client, [arn], resource=arn) or {})
        tags.update(found)
    return tags


def is_application(load_balancer):
    return load_balancer.get("Type") == "application"


def transform_load_balancer(load_balancer, tags, region, account):
    attributes = {
        "scheme": load_balancer.get("Scheme"),
        "dns_name": load_balancer.get("DNSName"),
        "type": load_balancer.get("Type"),
        "state": (load_balancer.get("State") or {}).get("Code"),
        "vpc": load_balancer.get("VpcId"),
        "ip_address_type": load_balancer.get("IpAddressType"),
        "availability_zones": [zone.get("ZoneName")
                               for zone in load_balancer.get("AvailabilityZones") or []
                               if isinstance(zone, dict)],
        "security_groups": list(load_balancer.get("SecurityGroups") or []),
        "created_time": str(load_balancer.get("CreatedTime") or "") or None,
        "tags": tags,
        "stack": tags.get(STACK_TAG),
    }
    return Node(arn=load_balancer["LoadBalancerArn"], type=NodeType.ALB,
                name=load_balancer.get("LoadBalancerName") or load_balancer["LoadBalancerArn"],
                region=region, account=account, attributes=attributes)


def readable_conditions(conditions):
    """Rule conditions as [{"field": ..., "values": [...]}]; headers and query strings keep keys."""
    readable = []
    for condition in conditions or []:
        if not isinstance(condition, dict):
            continue
        field = condition.get("Field")
        config = condition.get(CONDITION_CONFIG.get(field, ""))
        entry = {"field": field}
        if isinstance(config, dict) and field == "query-string":
            pairs = [pair for pair in config.get("Values") or [] if isinstance(pair, dict)]
            entry["values"] = [f"{p['Key']}={p.get('Value')}" if p.get("Key") else p.get("Value")
                               for p in pairs]
        elif isinstance(config, dict):
            entry["values"] = list(config.get("Values") or [])
            if field == "http-header":
                entry["header"] = config.get("HttpHeaderName")
        else:
            entry["values"] = list(condition.get("Values") or [])
        readable.append(entry)
    return readable


def forwarded_target_groups(actions):
    """(target group ARN, weight or None) for every forward action of a rule."""
    found = []
    for action in actions or []:
        if not isinstance(action, dict) or action.get("Type") != "forward":
            continue
        weighted = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        if weighted:
            found.extend((g.get("TargetGroupArn"), g.get("Weight"))
                         for g in weighted if isinstance(g, dict))
        elif action.get("TargetGroupArn"):
            found.append((action["TargetGroupArn"], None))
    return [(arn, weight) for arn, weight in dict.fromkeys(found) if arn]


def lambda_targets(target_health):
    """The function ARNs registered in one Lambda target group, with their health state."""
    return [(d["Target"]["Id"], (d.get("TargetHealth") or {}).get("State"))
            for d in target_health or []
            if isinstance(d, dict) and isinstance(d.get("Target"), dict) and d["Target"].get("Id")]


def transform_listener_rules(load_balancer_arn, listener, rules, lambda_groups):
    """``alb`` edges from the load balancer to each function a rule forwards to.

    ``lambda_groups`` maps a Lambda target group ARN to (target group, [(function ARN, health)]).
    Returns (edges, notes).
    """
    edges, notes = [], []
    rules = list(rules or [])
    has_default = any(r.get("IsDefault") for r in rules if isinstance(r, dict))
    if not has_default and listener.get("DefaultActions"):
        rules.append({"RuleArn": None, "Priority": "default", "IsDefault": True, "Conditions": [],
                      "Actions": listener["DefaultActions"]})
    protocol, port = listener.get("Protocol"), listener.get("Port")
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        is_default = bool(rule.get("IsDefault"))
        priority = "default" if is_default else rule.get("Priority")
        groups = [(arn, weight) for arn, weight in forwarded_target_groups(rule.get("Actions"))
                  if arn in lambda_groups]
        for group_arn, weight in groups:
            group, targets = lambda_groups[group_arn]
            for target_id, health in targets:
                function, alias = split_function_arn(target_id)
                if function is None:
                    notes.append({"code": "UnresolvedTarget", "resource": group_arn, "message":
                                  f"Lambda target group {group.get('TargetGroupName')} holds "
                                  f"{target_id!r}, which is not a function ARN"})
                    continue
                key = f"{protocol}:{port} {priority}"
                if len(groups) > 1:
                    key += f" {group.get('TargetGroupName')}"
                attributes = {
                    "listener_arn": listener.get("ListenerArn"),
                    "port": port,
                    "protocol": protocol,
                    "rule_arn": rule.get("RuleArn"),
                    "priority": priority,
                    "conditions": readable_conditions(rule.get("Conditions")),
                    "is_default": is_default,
                    "target_group_arn": group_arn,
                    "target_group_name": group.get("TargetGroupName"),
                    "weight": weight,
                    "target_health": health,
                    # The ALB invokes the function with the target group as SourceArn.
                    "invoke_source_arns": [group_arn],
                }
                if alias:
                    attributes["alias"] = alias
                edges.append(EdgeRecord(
                    source=load_balancer_arn, target=function, kind=EdgeKind.ALB, key=key,
                    attributes={k: v for k, v in attributes.items() if v is not None}))
    return edges, notes


def collect(ctx):
    """Application Load Balancers with the Lambda functions their listener rules forward to."""
    client = ctx.client("elbv2")
    load_balancers = [lb for lb in get_load_balancers(client) if is_application(lb)]
    if not load_balancers:
        return
    lambda_groups = {}
    for group in get_target_groups(client):
        if group.get("TargetType") != "lambda" or not group.get("LoadBalancerArns"):
            continue  # only attached Lambda target groups can route to a function
        health = ctx.call_or_skip(get_target_health, client, group["TargetGroupArn"],
                                  resource=group["TargetGroupArn"])
        if health is not None:
            lambda_groups[group["TargetGroupArn"]] = (group, lambda_targets(health))
    attached = {arn for group, _ in lambda_groups.values() for arn in group["LoadBalancerArns"]}

    arns = [lb["LoadBalancerArn"] for lb in load_balancers]
    tags = get_tags_skipping_deleted(ctx, client, arns)
    for load_balancer in load_balancers:
        arn = load_balancer["LoadBalancerArn"]
        node = transform_load_balancer(load_balancer, tags.get(arn, {}), ctx.region, ctx.account)
        edges = []
        if arn in attached:
            for listener in ctx.call_or_skip(get_listeners, client, arn, resource=arn) or []:
                listener_arn = listener["ListenerArn"]
                rules = ctx.call_or_skip(get_rules, client, listener_arn, resource=listener_arn)
                if rules is None:
                    continue  # listener deleted since DescribeListeners
                found, notes = transform_listener_rules(arn, listener, rules, lambda_groups)
                edges += found
                for note in notes:
                    ctx.note(note["code"], note["message"], resource=note["resource"])
        ctx.add([node], edges)
