"""API Gateway REST APIs (v1): every method's Lambda integration, and Lambda authorizers.

GetResources is limited to 5 calls per 2 seconds per account, so each API costs exactly one
paginated GetResources with ``embed=["methods"]``: the embedded methods carry their
``methodIntegration``, and nothing is fetched per method unless an endpoint ignores the embed.
"""
import re

from botocore.config import Config

from ..arns import function_arn_from_integration_uri
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node

STACK_TAG = "aws:cloudformation:stack-name"
# The documented maximum page size; the default of 25 would multiply the throttled calls.
PAGE_SIZE = 500
LAMBDA_AUTHORIZER_TYPES = frozenset({"TOKEN", "REQUEST"})


def rest_api_arn(partition, region, api_id):
    return f"arn:{partition}:apigateway:{region}::/restapis/{api_id}"


def execute_api_arn(partition, region, account, api_id, suffix):
    return f"arn:{partition}:execute-api:{region}:{account}:{api_id}/{suffix}"


def _looks_like_lambda(integration_type, uri):
    if integration_type == "AWS_PROXY":
        # REST AWS_PROXY integrations are Lambda proxies; HTTP APIs mark other services with
        # a subtype, which the v2 collector checks first.
        return True
    return isinstance(uri, str) and (":lambda:path/" in uri or ":lambda:" in uri.split("/", 1)[0])


def resolve_lambda_integration(integration_type, uri):
    """Classify one integration: (is_lambda, function ARN, alias, problem).

    Non-Lambda integrations (HTTP, MOCK, other AWS services) give ``(False, None, None, None)``.
    A Lambda integration whose function cannot be resolved statically gives a None function
    and a problem; one whose alias alone comes from a stage variable keeps the function.
    """
    if integration_type not in ("AWS", "AWS_PROXY"):
        return False, None, None, None
    if not _looks_like_lambda(integration_type, uri):
        return False, None, None, None
    function, alias, problem = function_arn_from_integration_uri(uri)
    return True, function, alias, problem


_STATES_ACTION = re.compile(r"^arn:[\w-]+:apigateway:[\w-]+:states:action/(?P<action>\w+)$")
STATE_MACHINE_ARN = re.compile(r"arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+")


def state_machine_integration(integration_type, uri, templates):
    """(Step Functions action, state machine ARN or None) of a REST integration that starts an
    execution, or None for any other integration. The ARN sits in a request template."""
    match = _STATES_ACTION.match(uri) if integration_type == "AWS" and isinstance(uri, str) else None
    if not match:
        return None
    found = {m for body in (templates or {}).values() if isinstance(body, str)
             for m in STATE_MACHINE_ARN.findall(body)}
    return match["action"], (next(iter(found)) if len(found) == 1 else None)


def _unresolved(resource, uri, problem, what):
    return {"code": "UnresolvedIntegration", "resource": resource,
            "message": f"{what}: {problem}; integration URI kept as {uri!r}"}


def get_rest_apis(client):
    pages = client.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    return [api for page in pages for api in page.get("items", [])]


def get_resources(client, api_id):
    pages = client.get_paginator("get_resources").paginate(
        restApiId=api_id, embed=["methods"], PaginationConfig={"PageSize": PAGE_SIZE})
    return [resource for page in pages for resource in page.get("items", [])]


def get_authorizers(client, api_id):
    pages = client.get_paginator("get_authorizers").paginate(
        restApiId=api_id, PaginationConfig={"PageSize": PAGE_SIZE})
    return [authorizer for page in pages for authorizer in page.get("items", [])]


def get_method(client, api_id, resource_id, http_method):
    response = client.get_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method)
    response.pop("ResponseMetadata", None)
    return response


def missing_methods(resources):
    """(resource id, HTTP method) of methods listed without their body: the embed was ignored.

    Real AWS honours ``embed=methods``; this only guards against endpoints that do not.
    """
    missing = []
    for resource in resources:
        methods = resource.get("resourceMethods") if isinstance(resource, dict) else None
        if not isinstance(methods, dict):
            continue
        for http_method, method in methods.items():
            if not method or (isinstance(method, dict) and "httpMethod" not in method
                              and "methodIntegration" not in method):
                missing.append((resource.get("id"), http_method))
    return missing


def authorizer_users(resources):
    """{authorizer id: ["GET /path", ...]}: which methods each authorizer guards."""
    users = {}
    for resource in resources or []:
        methods = resource.get("resourceMethods") if isinstance(resource, dict) else None
        if not isinstance(methods, dict):
            continue
        for http_method, method in sorted(methods.items()):
            if isinstance(method, dict) and method.get("authorizerId"):
                users.setdefault(method["authorizerId"], []).append(
                    f"{method.get('httpMethod') or http_method} {resource.get('path') or '/'}")
    return users


def count_methods(resources):
    return sum(len(r["resourceMethods"]) for r in resources
               if isinstance(r, dict) and isinstance(r.get("resourceMethods"), dict))


def transform_rest_api(api, partition, region, account):
    tags = api.get("tags") or {}
    attributes = {
        "id": api.get("id"),
        "description": api.get("description", ""),
        "endpoint_types": list((api.get("endpointConfiguration") or {}).get("types") or []),
        "api_key_source": api.get("apiKeySource"),
        "disable_execute_api_endpoint": api.get("disableExecuteApiEndpoint", False),
        "created_date": str(api["createdDate"]) if api.get("createdDate") else None,
        "tags": tags,
        "stack": tags.get(STACK_TAG),
    }
    return Node(arn=rest_api_arn(partition, region, api["id"]), type=NodeType.API_GATEWAY_REST,
                name=api.get("name") or api["id"], region=region, account=account,
                attributes=attributes)


def transform_methods(api_id, resources, partition, region, account):
    """One ``api_gateway`` edge per method integrated with a Lambda function.

    Returns (edges, notes); notes describe Lambda integrations that could not be resolved.
    """
    source = rest_api_arn(partition, region, api_id)
    edges, notes = [], []
    for resource in resources or []:
        if not isinstance(resource, dict):
            continue
        path = resource.get("path") or "/"
        methods = resource.get("resourceMethods")
        if not isinstance(methods, dict):
            continue
        for http_method, method in sorted(methods.items()):
            if not isinstance(method, dict):
                continue
            http_method = method.get("httpMethod") or http_method
            integration = method.get("methodIntegration")
            if not isinstance(integration, dict):
                continue
            uri = integration.get("uri")
            integration_type = integration.get("type")
            key = f"{http_method} {path}"
            started = state_machine_integration(integration_type, uri, integration.get("requestTemplates"))
            if started is not None:
                action, machine = started
                if machine is None:
                    notes.append(_unresolved(f"{source} {key}", uri, "the state machine is not named "
                                             "in one request template", f"{key} of REST API {api_id}"))
                    continue
                edges.append(EdgeRecord(source=source, target=machine, kind=EdgeKind.API_GATEWAY, key=key, attributes={
                    k: v for k, v in {"method": http_method, "path": path, "resource_id": resource.get("id"),
                                      "integration_type": integration_type, "integration_uri": uri,
                                      "action": action, "authorization_type": method.get("authorizationType"),
                                      "credentials": integration.get("credentials")}.items() if v is not None}))
                continue
            is_lambda, function, alias, problem = resolve_lambda_integration(integration_type, uri)
            if not is_lambda:
                continue
            if problem:
                notes.append(_unresolved(f"{source} {key}", uri, problem,
                                         f"{key} of REST API {api_id}"))
            if function is None:
                continue
            route = f"{'*' if http_method == 'ANY' else http_method}/{path.lstrip('/')}"
            attributes = {
                "method": http_method,
                "path": path,
                "resource_id": resource.get("id"),
                "integration_type": integration_type,
                "integration_uri": uri,
                "authorization_type": method.get("authorizationType"),
                "authorizer_id": method.get("authorizerId"),
                "api_key_required": bool(method.get("apiKeyRequired", False)),
                # With credentials, API Gateway invokes through that role, not the resource policy.
                "credentials": integration.get("credentials"),
                "invoke_source_arns": [
                    execute_api_arn(partition, region, account, api_id, f"*/{route}")],
            }
            if alias:
                attributes["alias"] = alias
            if problem:
                attributes["problem"] = problem
            edges.append(EdgeRecord(
                source=source, target=function, kind=EdgeKind.API_GATEWAY, key=key,
                attributes={k: v for k, v in attributes.items() if v is not None}))
    return edges, notes


def transform_authorizers(api_id, authorizers, partition, region, account,
                          edge_kind=EdgeKind.API_GATEWAY, api_arn=None, used_by=None):
    """One edge per Lambda authorizer (TOKEN or REQUEST; Cognito and JWT ones call no function).

    With ``used_by`` ({authorizer id: [method or route keys]}), authorizers nothing refers to
    are left out (they are never invoked) and each edge lists what it guards.
    Shared with HTTP and WebSocket APIs, whose responses use the same names capitalised.
    """
    source = api_arn or rest_api_arn(partition, region, api_id)
    edges, notes = [], []
    for authorizer in authorizers or []:
        if not isinstance(authorizer, dict):
            continue
        field = _field_reader(authorizer)
        authorizer_type = field("type", "authorizerType")
        uri = field("authorizerUri")
        if authorizer_type not in LAMBDA_AUTHORIZER_TYPES or not uri:
            continue
        authorizer_id = field("id", "authorizerId")
        if used_by is not None and authorizer_id not in used_by:
            continue
        name = field("name") or authorizer_id
        key = f"authorizer:{name}"
        function, alias, problem = function_arn_from_integration_uri(uri)
        if problem:
            notes.append(_unresolved(f"{source} {key}", uri, problem,
                                     f"authorizer {name} of API {api_id}"))
        if function is None:
            continue
        attributes = {
            "role": "authorizer",
            "authorizer_id": authorizer_id,
            "authorizer_name": name,
            "authorizer_type": authorizer_type,
            "identity_source": field("identitySource"),
            "integration_uri": uri,
            "credentials": field("authorizerCredentials", "authorizerCredentialsArn"),
            "used_by": sorted(used_by[authorizer_id]) if used_by is not None else None,
            "invoke_source_arns": [execute_api_arn(partition, region, account, api_id,
                                                   f"authorizers/{authorizer_id}")],
        }
        if alias:
            attributes["alias"] = alias
        if problem:
            attributes["problem"] = problem
        edges.append(EdgeRecord(source=source, target=function, kind=edge_kind, key=key,
                                attributes={k: v for k, v in attributes.items() if v is not None}))
    return edges, notes


def _field_reader(item):
    """Read a field by its REST name (camelCase) or its v2 name (CapitalisedCamelCase)."""
    def read(*names):
        for name in names:
            for candidate in (name, name[:1].upper() + name[1:]):
                if item.get(candidate) is not None:
                    return item[candidate]
        return None
    return read


def _client(ctx):
    # Adaptive retries pace this client after the first throttle: GetResources allows 5 per 2 s.
    base = ctx.config or Config()
    attempts = (base.retries or {}).get("max_attempts", 5)
    config = base.merge(Config(retries={"mode": "adaptive", "max_attempts": attempts}))
    with ctx.client_lock:
        return ctx.session.client("apigateway", region_name=ctx.region, config=config)


def collect(ctx):
    """API Gateway REST APIs with every method's Lambda integration and Lambda authorizers."""
    client = _client(ctx)
    for api in get_rest_apis(client):
        api_id = api["id"]
        resources = ctx.call_or_skip(get_resources, client, api_id, resource=api_id)
        if resources is None:
            continue  # deleted since GetRestApis
        by_id = {r.get("id"): r for r in resources if isinstance(r, dict)}
        for resource_id, http_method in missing_methods(resources):
            method = ctx.call_or_skip(get_method, client, api_id, resource_id, http_method)
            if method is not None:
                by_id[resource_id]["resourceMethods"][http_method] = method
        # An authorizer no method refers to is never invoked: no call needed to draw nothing.
        authorizers, users = [], authorizer_users(resources)
        if users:
            authorizers = ctx.call_or_skip(get_authorizers, client, api_id, resource=api_id)
            if authorizers is None:
                continue
        node = transform_rest_api(api, ctx.partition, ctx.region, ctx.account)
        edges, notes = transform_methods(api_id, resources, ctx.partition, ctx.region, ctx.account)
        authorizer_edges, authorizer_notes = transform_authorizers(
            api_id, authorizers, ctx.partition, ctx.region, ctx.account, used_by=users)
        node.attributes["method_count"] = count_methods(resources)
        for note in notes + authorizer_notes:
            ctx.note(note["code"], note["message"], resource=note["resource"])
        ctx.add([node], edges + authorizer_edges)
