"""API Gateway v2 (HTTP and WebSocket APIs): routes to Lambda integrations, Lambda authorizers."""
from ..vocabulary import EdgeKind, NodeType
from .apigateway import (
    STACK_TAG,
    STATE_MACHINE_ARN,
    execute_api_arn,
    resolve_lambda_integration,
    transform_authorizers,
)
from .base import EdgeRecord, Node

# What AWS uses when a WebSocket API is created without a route selection expression.
DEFAULT_ROUTE_SELECTION = "$request.body.action"


def api_arn(partition, region, api_id):
    return f"arn:{partition}:apigateway:{region}::/apis/{api_id}"


def _paginate(client, operation, **kwargs):
    pages = client.get_paginator(operation).paginate(**kwargs)
    return [item for page in pages for item in page.get("Items", [])]


def get_apis(client):
    return _paginate(client, "get_apis")


def get_routes(client, api_id):
    return _paginate(client, "get_routes", ApiId=api_id)


def get_integrations(client, api_id):
    return _paginate(client, "get_integrations", ApiId=api_id)


def get_authorizers(client, api_id):
    return _paginate(client, "get_authorizers", ApiId=api_id)


def route_source_path(route_key):
    """The part of the execute-api ARN after the stage for one route key.

    ``GET /items`` -> ``GET/items``; ``ANY /items`` -> ``*/items``; ``$default``, ``$connect``
    and custom WebSocket keys stay as they are.
    """
    method, separator, path = (route_key or "").partition(" ")
    if not separator:
        return route_key or "*"
    return f"{'*' if method == 'ANY' else method}/{path.lstrip('/')}"


def route_authorizer_users(routes):
    """{authorizer id: [route keys]}: which routes each authorizer guards."""
    users = {}
    for route in routes or []:
        if isinstance(route, dict) and route.get("AuthorizerId"):
            users.setdefault(route["AuthorizerId"], []).append(route.get("RouteKey") or "")
    return users


def transform_api(api, partition, region, account):
    tags = api.get("Tags") or {}
    protocol = api.get("ProtocolType")
    selection = api.get("RouteSelectionExpression")
    if not selection and protocol == "WEBSOCKET":
        selection = DEFAULT_ROUTE_SELECTION
    attributes = {
        "id": api.get("ApiId"),
        "protocol_type": protocol,
        "route_selection_expression": selection,
        "api_endpoint": api.get("ApiEndpoint"),
        "api_key_selection_expression": api.get("ApiKeySelectionExpression"),
        "description": api.get("Description", ""),
        "disable_execute_api_endpoint": api.get("DisableExecuteApiEndpoint", False),
        "created_date": str(api["CreatedDate"]) if api.get("CreatedDate") else None,
        "tags": tags,
        "stack": tags.get(STACK_TAG),
    }
    return Node(arn=api_arn(partition, region, api["ApiId"]), type=NodeType.API_GATEWAY_V2,
                name=api.get("Name") or api["ApiId"], region=region, account=account,
                attributes=attributes)


def transform_routes(api, routes, integrations, partition, region, account):
    """One ``api_gateway_v2`` edge per route whose integration invokes a Lambda function.

    Returns (edges, notes); notes describe routes whose target or function cannot be resolved.
    """
    api_id = api["ApiId"]
    source = api_arn(partition, region, api_id)
    protocol = api.get("ProtocolType")
    selection = api.get("RouteSelectionExpression") or (
        DEFAULT_ROUTE_SELECTION if protocol == "WEBSOCKET" else None)
    by_id = {i.get("IntegrationId"): i for i in integrations or [] if isinstance(i, dict)}
    edges, notes = [], []
    for route in routes or []:
        if not isinstance(route, dict):
            continue
        route_key = str(route.get("RouteKey") or "")
        target = route.get("Target")
        if not isinstance(target, str) or not target.startswith("integrations/"):
            continue  # no integration yet (or a mock-only route)
        integration_id = target.split("/", 1)[1]
        integration = by_id.get(integration_id)
        if integration is None:
            notes.append({"code": "UnresolvedIntegration", "resource": f"{source} {route_key}",
                          "message": f"route {route_key} of API {api_id} targets integration "
                                     f"{integration_id}, which GetIntegrations did not return"})
            continue
        integration_type = integration.get("IntegrationType")
        uri = integration.get("IntegrationUri")
        subtype = integration.get("IntegrationSubtype")
        if isinstance(subtype, str) and subtype.startswith("StepFunctions-Start"):
            machine = (integration.get("RequestParameters") or {}).get("StateMachineArn")
            if not isinstance(machine, str) or not STATE_MACHINE_ARN.fullmatch(machine):
                notes.append({"code": "UnresolvedIntegration", "resource": f"{source} {route_key}",
                              "message": f"route {route_key} of API {api_id} starts a state machine "
                                         f"named at request time ({machine!r})"})
                continue
            edges.append(EdgeRecord(source=source, target=machine, kind=EdgeKind.API_GATEWAY_V2, key=route_key,
                                    attributes={k: v for k, v in {
                                        "route_key": route_key, "route_id": route.get("RouteId"),
                                        "integration_id": integration_id, "integration_subtype": subtype,
                                        "authorization_type": route.get("AuthorizationType"),
                                        "credentials": integration.get("CredentialsArn"),
                                        "protocol_type": protocol}.items() if v is not None}))
            continue
        if subtype:
            continue  # another AWS service integration (SQS, EventBridge ...), not Lambda
        is_lambda, function, alias, problem = resolve_lambda_integration(integration_type, uri)
        if not is_lambda:
            continue
        if problem:
            notes.append({"code": "UnresolvedIntegration", "resource": f"{source} {route_key}",
                          "message": f"route {route_key} of API {api_id}: {problem}; "
                                     f"integration URI kept as {uri!r}"})
        if function is None:
            continue
        attributes = {
            "route_key": route_key,
            "route_id": route.get("RouteId"),
            "integration_id": integration_id,
            "integration_type": integration_type,
            "integration_uri": uri,
            "payload_format_version": integration.get("PayloadFormatVersion"),
            "authorization_type": route.get("AuthorizationType"),
            "authorizer_id": route.get("AuthorizerId"),
            "api_key_required": bool(route.get("ApiKeyRequired", False)),
            "protocol_type": protocol,
            "route_selection_expression": selection,
            # With credentials, API Gateway invokes through that role, not the resource policy.
            "credentials": integration.get("CredentialsArn"),
            "invoke_source_arns": [execute_api_arn(partition, region, account, api_id,
                                                   f"*/{route_source_path(route_key)}")],
        }
        if alias:
            attributes["alias"] = alias
        if problem:
            attributes["problem"] = problem
        edges.append(EdgeRecord(source=source, target=function, kind=EdgeKind.API_GATEWAY_V2,
                                key=route_key,
                                attributes={k: v for k, v in attributes.items() if v is not None}))
    return edges, notes


def collect(ctx):
    """API Gateway HTTP and WebSocket APIs with the Lambda functions behind each route."""
    client = ctx.client("apigatewayv2")
    for api in get_apis(client):
        api_id = api["ApiId"]
        routes = ctx.call_or_skip(get_routes, client, api_id, resource=api_id)
        integrations = ctx.call_or_skip(get_integrations, client, api_id, resource=api_id)
        if routes is None or integrations is None:
            continue  # deleted since GetApis
        # An authorizer no route refers to is never invoked: no call needed to draw nothing.
        authorizers, users = [], route_authorizer_users(routes)
        if users:
            authorizers = ctx.call_or_skip(get_authorizers, client, api_id, resource=api_id)
            if authorizers is None:
                continue
        node = transform_api(api, ctx.partition, ctx.region, ctx.account)
        node.attributes["route_count"] = len(routes)
        edges, notes = transform_routes(api, routes, integrations,
                                        ctx.partition, ctx.region, ctx.account)
        authorizer_edges, authorizer_notes = transform_authorizers(
            api_id, authorizers, ctx.partition, ctx.region, ctx.account,
            edge_kind=EdgeKind.API_GATEWAY_V2, api_arn=node.arn, used_by=users)
        for note in notes + authorizer_notes:
            ctx.note(note["code"], note["message"], resource=note["resource"])
        ctx.add([node], edges + authorizer_edges)
