"""Cognito user pools and the Lambda triggers each one calls (PreSignUp, PostConfirmation ...).

ListUserPools returns every pool's LambdaConfig, so the whole region costs one paginated call."""
from ..arns import split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node

# Page size ListUserPools requires (its documented maximum).
PAGE_SIZE = 60
# Triggers configured as {"LambdaVersion", "LambdaArn"}; the rest hold the function ARN itself.
VERSIONED_TRIGGERS = {"PreTokenGenerationConfig": "PreTokenGeneration",
                      "CustomSMSSender": "CustomSMSSender", "CustomEmailSender": "CustomEmailSender"}
NOT_TRIGGERS = {"KMSKeyID"}


def user_pool_arn(partition, region, account, pool_id):
    return f"arn:{partition}:cognito-idp:{region}:{account}:userpool/{pool_id}"


def get_user_pools(client):
    pages = client.get_paginator("list_user_pools").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    return [pool for page in pages for pool in page.get("UserPools", [])]


def transform_triggers(pool_arn, lambda_config):
    """One ``cognito_trigger`` edge per configured trigger, keyed by the trigger's name."""
    found = {}
    for key, value in sorted((lambda_config or {}).items()):
        if key in NOT_TRIGGERS:
            continue
        version = None
        if isinstance(value, dict):
            trigger, version, target = VERSIONED_TRIGGERS.get(key, key), value.get("LambdaVersion"), value.get("LambdaArn")
        else:
            trigger, target = key, value
        function, alias = split_function_arn(target)
        if not function:
            continue
        # PreTokenGenerationConfig supersedes the older PreTokenGeneration field when both are set.
        if trigger in found and version is None:
            continue
        attributes = {"trigger": trigger, "lambda_version": version, "alias": alias,
                      "invoke_source_arns": [pool_arn]}
        found[trigger] = EdgeRecord(source=pool_arn, target=function, kind=EdgeKind.COGNITO_TRIGGER, key=trigger,
                                    attributes={k: v for k, v in attributes.items() if v is not None})
    return list(found.values())


def transform_user_pool(pool, partition, region, account):
    arn = user_pool_arn(partition, region, account, pool["Id"])
    attributes = {"id": pool["Id"], "status": pool.get("Status"),
                  "created": str(pool["CreationDate"]) if pool.get("CreationDate") else None}
    node = Node(arn=arn, type=NodeType.COGNITO_USER_POOL, name=pool.get("Name") or pool["Id"],
                region=region, account=account,
                attributes={k: v for k, v in attributes.items() if v is not None})
    edges = transform_triggers(arn, pool.get("LambdaConfig"))
    node.attributes["triggers"] = sorted(e.key for e in edges)
    return node, edges


def collect(ctx):
    """Cognito user pools and the functions their triggers invoke."""
    if not ctx.offered("cognito-idp"):
        return
    client = ctx.client("cognito-idp")
    for pool in get_user_pools(client):
        node, edges = transform_user_pool(pool, ctx.partition, ctx.region, ctx.account)
        ctx.add([node], edges)
