"""Least privilege from the graph: what a function's wiring requires, and what is granted beyond it.

The graph shows the execution-role permissions Lambda itself needs: writing the function's
log group, polling its event sources, delivering to its destinations and dead-letter queue,
tracing, and VPC networking. Those requirements are AWS's documented facts per feature (no
action database says "an SQS event source needs ReceiveMessage"), so they are listed here;
every name is checked against the action database by the tests. Calls made by the function's
own code are not visible in the graph, so "granted but never evidenced" is a list to review,
not proof of excess.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field

from . import actions as action_db

LOG_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents")
POLL = {
    "sqs": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "kinesis": ("kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"),
    "dynamodb_stream": ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams"),
}
DELIVER = {  # by the target's service
    "sqs": ("sqs:SendMessage",), "sns": ("sns:Publish",), "lambda": ("lambda:InvokeFunction",),
    "events": ("events:PutEvents",), "s3": ("s3:PutObject",),
}
# Resources named by an environment variable: the graph shows the function uses them, not how;
# these are the usual data-plane actions per type, offered for review rather than as proof.
USE = {
    "dynamodb_table": ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                       "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:BatchGetItem",
                       "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"),
    "sqs_queue": ("sqs:SendMessage", "sqs:GetQueueUrl"),
    "sns_topic": ("sns:Publish",),
    "s3_bucket": ("s3:GetObject", "s3:PutObject"),
    "kinesis_stream": ("kinesis:PutRecord", "kinesis:PutRecords"),
    "lambda_function": ("lambda:InvokeFunction",),
    "eventbridge_bus": ("events:PutEvents",),
}
TRACING = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
VPC = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
       "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")


@dataclass
class Proposal:
    function: str
    statements: list = field(default_factory=list)  # [{"Sid", "Effect", "Action", "Resource"}]
    reasons: dict = field(default_factory=dict)  # Sid -> why the graph asks for it

    @property
    def document(self):
        return {"Version": "2012-10-17", "Statement": self.statements}

    @property
    def actions(self):
        return {a.lower() for s in self.statements for a in s["Action"]}

    def add(self, reason, actions, resources):
        sid = re.sub(r"[^A-Za-z0-9]", "", reason.title())[:100] or "Required"
        for statement in self.statements:  # same actions: widen the Resource list instead
            if statement["Action"] == sorted(actions):
                statement["Resource"] = sorted(set(statement["Resource"]) | set(resources))
                self.reasons[statement["Sid"]] += f"; {reason}"
                return
        while sid in self.reasons:
            sid += "X"
        self.statements.append({"Sid": sid, "Effect": "Allow", "Action": sorted(actions),
                                "Resource": sorted(set(resources))})
        self.reasons[sid] = reason


def _service(arn):
    parts = str(arn).split(":")
    return parts[2] if len(parts) > 5 and parts[0] == "arn" else ""


def propose(function, edges):
    """The policy a function's graph evidences.

    `function`: {"arn", "name", "region", "account", "attributes"} (a lambda_function node);
    `edges`: [{"source", "target", "kind", "attributes"}] touching the function."""
    attributes = function.get("attributes") or {}
    region, account, arn = function.get("region") or "*", function.get("account") or "*", function["arn"]
    proposal = Proposal(function=arn)
    group = attributes.get("log_group") or f"/aws/lambda/{function.get('name') or arn.rsplit(':', 1)[-1]}"
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    proposal.add(f"write its log group {group}", ["logs:CreateLogGroup"], [group_arn])
    proposal.add(f"write its log group {group}", list(LOG_WRITE), [f"{group_arn}:*"])
    for edge in edges:
        kind, extra = str(edge.get("kind")), edge.get("attributes") or {}
        if edge.get("target") == arn and kind in ("sqs", "kinesis", "dynamodb_stream"):
            source = extra.get("event_source_arn") or edge.get("source")
            proposal.add(f"poll its {kind.replace('_', ' ')} event source {source}", list(POLL[kind]), [source])
        elif edge.get("source") == arn and kind in ("destination", "dead_letter"):
            target = extra.get("target_arn") or edge.get("target")
            needed = DELIVER.get(_service(target))
            if needed:
                what = "dead-letter queue" if kind == "dead_letter" else "destination"
                resource = f"{target}/*" if _service(target) == "s3" else target
                proposal.add(f"deliver to its {what} {target}", list(needed), [resource])
    for reference in attributes.get("environment_references") or []:
        needed = USE.get(reference.get("type"))
        target = reference.get("arn")
        if not needed or not target:
            continue
        resources = [target]
        if reference["type"] == "s3_bucket":
            resources = [f"{target}/*"]
        elif reference["type"] == "dynamodb_table":
            resources = [target, f"{target}/index/*"]
        proposal.add(f"use {target} named by its environment variable {reference.get('variable')} "
                     "(usual actions for it: review)", list(needed), resources)
    if attributes.get("tracing") == "Active":
        proposal.add("send X-Ray traces (active tracing)", list(TRACING), ["*"])
    if attributes.get("vpc"):
        proposal.add("manage its network interfaces in the VPC", list(VPC), ["*"])
    return proposal


def summarise(permissions):
    """{service: {access level: number of actions}} of what `permissions` allow."""
    summary = defaultdict(lambda: defaultdict(int))
    for action in permissions.actions:
        levels = action_db.access_levels(action) or {"Unknown"}
        for level in levels:
            summary[action_db.service_of(action)][level] += 1
    return {service: dict(levels) for service, levels in sorted(summary.items())}


def not_evidenced(permissions, proposals):
    """Granted actions no proposal asks for, grouped: {service: [canonical action names]}."""
    wanted = set().union(*(p.actions for p in proposals)) if proposals else set()
    extra = defaultdict(list)
    for action in sorted(permissions.actions - wanted):
        extra[action_db.service_of(action)].append(action_db.canonical(action))
    return dict(extra)
