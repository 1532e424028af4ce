"""AppSync GraphQL APIs and their Lambda data sources.

AppSync calls the function through the data source's service role, not through the function's
resource policy, so these edges carry the role instead of a ``permitted`` verdict."""
from ..arns import split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node

STACK_TAG = "aws:cloudformation:stack-name"


def get_graphql_apis(client):
    pages = client.get_paginator("list_graphql_apis").paginate()
    return [api for page in pages for api in page.get("graphqlApis", [])]


def get_data_sources(client, api_id):
    pages = client.get_paginator("list_data_sources").paginate(apiId=api_id)
    return [source for page in pages for source in page.get("dataSources", [])]


def transform_api(api, region, account):
    tags = api.get("tags") or {}
    attributes = {"id": api.get("apiId"), "authentication_type": api.get("authenticationType"),
                  "api_type": api.get("apiType"), "visibility": api.get("visibility"),
                  "xray_enabled": api.get("xrayEnabled"), "tags": tags, "stack": tags.get(STACK_TAG)}
    return Node(arn=api["arn"], type=NodeType.APPSYNC_API, name=api.get("name") or api["apiId"],
                region=region, account=account, attributes={k: v for k, v in attributes.items() if v is not None})


def transform_data_sources(api_arn, sources):
    edges = []
    for source in sources:
        if source.get("type") != "AWS_LAMBDA":
            continue
        function, alias = split_function_arn((source.get("lambdaConfig") or {}).get("lambdaFunctionArn"))
        if not function:
            continue
        attributes = {"data_source": source.get("name"), "description": source.get("description") or None,
                      "service_role_arn": source.get("serviceRoleArn"), "alias": alias}
        edges.append(EdgeRecord(source=api_arn, target=function, kind=EdgeKind.APPSYNC, key=source.get("name") or "",
                                attributes={k: v for k, v in attributes.items() if v is not None}))
    return edges


def collect(ctx):
    """AppSync GraphQL APIs and the functions behind their Lambda data sources."""
    if not ctx.offered("appsync"):
        return
    client = ctx.client("appsync")
    for api in get_graphql_apis(client):
        node = transform_api(api, ctx.region, ctx.account)
        sources, refused = ctx.read(get_data_sources, client, api["apiId"], resource=node.arn)
        if sources is None and not refused:
            continue  # deleted since it was listed
        if refused:
            node.attributes["data_sources_unavailable"] = True
        ctx.add([node], transform_data_sources(node.arn, sources or []))
