"""CodeCommit: repositories, and their triggers to functions and topics."""
from botocore.exceptions import ClientError

from ..arns import node_identity, split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node, is_not_found


def get_repositories(client):
    pages = client.get_paginator("list_repositories").paginate()
    return [repo for page in pages for repo in page.get("repositories", [])]


def get_repository_triggers(client, name):
    return client.get_repository_triggers(repositoryName=name)


def transform_triggers(repository_arn, triggers):
    """(edges, problems): one edge per trigger that targets a function or an SNS topic."""
    edges, problems = [], []
    for trigger in triggers or []:
        if not isinstance(trigger, dict):
            problems.append("malformed trigger entry")
            continue
        name = str(trigger.get("name") or "")
        destination = trigger.get("destinationArn") or ""
        function, alias = split_function_arn(destination)
        if function:
            target = function
        else:
            target, target_type, *_ = node_identity(destination)
            if target_type != NodeType.SNS_TOPIC:
                problems.append(f"trigger {name!r} sends to {destination!r}, which is not graphed")
                continue
        attributes = {
            "trigger_name": name,
            "events": list(trigger.get("events") or []),
            # An empty list means every branch.
            "branches": list(trigger.get("branches") or []),
            # Whether custom data is set, never its content.
            "custom_data": bool(trigger.get("customData")),
            "destination_arn": destination,
        }
        if alias:
            attributes["alias"] = alias
        edges.append(EdgeRecord(source=repository_arn, target=target, kind=EdgeKind.CODECOMMIT,
                                key=name, attributes=attributes))
    return edges, problems


def transform_repository(repository, repository_arn, region, account, triggers_response=None):
    """(node, edges, problems); ``triggers_response`` is None when the triggers were unreadable."""
    name = repository.get("repositoryName") or repository_arn.rsplit(":", 1)[-1]
    attributes = {"repository_id": repository.get("repositoryId")}
    edges, problems = [], []
    if triggers_response is not None:
        triggers = triggers_response.get("triggers") or []
        attributes["trigger_count"] = len(triggers)
        attributes["triggers_configuration_id"] = triggers_response.get("configurationId") or None
        edges, problems = transform_triggers(repository_arn, triggers)
    node = Node(arn=repository_arn, type=NodeType.CODECOMMIT_REPOSITORY, name=name, region=region,
                account=account, attributes=attributes)
    return node, edges, problems


def collect(ctx):
    """CodeCommit repositories and their triggers."""
    client = ctx.client("codecommit")
    for repository in get_repositories(client):
        name = repository.get("repositoryName")
        # ListRepositories gives no ARN; it is fully determined by the name, so no extra call.
        arn = ctx.arn("codecommit", name)
        try:
            response = get_repository_triggers(client, name)
        except ClientError as exc:
            if is_not_found(exc):
                continue
            ctx.warn(exc, resource=arn)
            response = None
        node, edges, problems = transform_repository(repository, arn, ctx.region, ctx.account,
                                                     response)
        if response is None:
            node.attributes["triggers_unavailable"] = True
        for problem in problems:
            ctx.note("UngraphedTrigger", problem, resource=arn)
        ctx.add([node], edges)
