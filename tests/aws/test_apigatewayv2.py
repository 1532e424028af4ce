import pytest

from flows.aws import COLLECTORS
from flows.aws.apigateway import transform_authorizers
from flows.aws.apigatewayv2 import (
    route_authorizer_users,
    route_source_path,
    transform_api,
    transform_routes,
)
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests import faults
from tests.aws.test_lambda import make_function, role_arn  # noqa: F401  (fixture)
from tests.data.apigateway_responses import (
    ACCOUNT,
    FN,
    HTTP_API,
    HTTP_INTEGRATIONS,
    HTTP_ROUTES,
    REGION,
    V2_AUTHORIZERS,
    WEBSOCKET_API,
    WEBSOCKET_INTEGRATIONS,
    WEBSOCKET_ROUTES,
)

COLLECTORS_UNDER_TEST = tuple(c for c in COLLECTORS if c.key in ("lambda", "apigatewayv2"))


def sync(**kwargs):
    """Sync only what these tests look at: Lambda (functions and their policies) and apigatewayv2."""
    return sync_account(["us-east-1"], collectors=COLLECTORS_UNDER_TEST, **kwargs)


def lambda_uri(function_arn, region="us-east-1"):
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


@pytest.fixture
def apis(aws, role_arn):  # noqa: F811
    """A WebSocket API ($connect with a Lambda authorizer, $disconnect, $default, sendMessage)
    and an HTTP API (GET /items on the plain function ARN)."""
    fns = {name: make_function(aws, name, role_arn)["FunctionArn"]
           for name in ("connect", "disconnect", "fallback", "send", "ws-auth", "items")}
    aws("lambda").create_alias(FunctionName="send", Name="prod", FunctionVersion="$LATEST")
    client = aws("apigatewayv2")
    ws = client.create_api(Name="chat", ProtocolType="WEBSOCKET",
                           RouteSelectionExpression="$request.body.action",
                           Tags={"aws:cloudformation:stack-name": "chat-stack"})
    authorizer = client.create_authorizer(
        ApiId=ws["ApiId"], Name="ws-auth", AuthorizerType="REQUEST",
        AuthorizerUri=lambda_uri(fns["ws-auth"]), IdentitySource=["route.request.querystring.token"])

    def route(api_id, route_key, uri, **extra):
        integration = client.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                                IntegrationUri=uri, **extra.pop("integration", {}))
        client.create_route(ApiId=api_id, RouteKey=route_key,
                            Target=f"integrations/{integration['IntegrationId']}", **extra)
        return integration["IntegrationId"]

    route(ws["ApiId"], "$connect", lambda_uri(fns["connect"]), AuthorizationType="CUSTOM",
          AuthorizerId=authorizer["AuthorizerId"])
    route(ws["ApiId"], "$disconnect", lambda_uri(fns["disconnect"]))
    route(ws["ApiId"], "$default", lambda_uri(fns["fallback"]))
    route(ws["ApiId"], "sendMessage", lambda_uri(f"{fns['send']}:prod"))

    http = client.create_api(Name="items", ProtocolType="HTTP")
    items_integration = route(http["ApiId"], "GET /items", fns["items"],
                              integration={"PayloadFormatVersion": "2.0"})
    account = aws("sts").get_caller_identity()["Account"]
    return {"ws": ws["ApiId"], "http": http["ApiId"], "fns": fns, "authorizer": authorizer["AuthorizerId"],
            "items_integration": items_integration,
            "ws_arn": f"arn:aws:apigateway:us-east-1::/apis/{ws['ApiId']}",
            "http_arn": f"arn:aws:apigateway:us-east-1::/apis/{http['ApiId']}",
            "execute": f"arn:aws:execute-api:us-east-1:{account}"}


def edges_by_key(api_arn):
    return {e.key: e for e in Edge.objects.filter(source_arn=api_arn, kind="api_gateway_v2")}


@pytest.mark.django_db
def test_it_links_every_websocket_route_to_its_function(apis):
    run = sync()

    assert run.status == "success", run.errors
    api = Resource.objects.get(arn=apis["ws_arn"])
    assert api.type == "api_gateway_v2"
    assert api.name == "chat"
    assert api.attributes["protocol_type"] == "WEBSOCKET"
    assert api.attributes["route_selection_expression"] == "$request.body.action"
    assert api.attributes["stack"] == "chat-stack"
    assert api.attributes["api_endpoint"]

    edges = edges_by_key(apis["ws_arn"])
    assert set(edges) == {"$connect", "$disconnect", "$default", "sendMessage", "authorizer:ws-auth"}
    fns, execute, ws = apis["fns"], apis["execute"], apis["ws"]
    assert {k: e.target_arn for k, e in edges.items()} == {
        "$connect": fns["connect"], "$disconnect": fns["disconnect"], "$default": fns["fallback"],
        "sendMessage": fns["send"], "authorizer:ws-auth": fns["ws-auth"]}
    connect = edges["$connect"].attributes
    assert connect["route_key"] == "$connect"
    assert connect["integration_type"] == "AWS_PROXY"
    assert connect["authorization_type"] == "CUSTOM"
    assert connect["authorizer_id"] == apis["authorizer"]
    assert connect["protocol_type"] == "WEBSOCKET"
    assert connect["route_selection_expression"] == "$request.body.action"
    assert connect["invoke_source_arns"] == [f"{execute}:{ws}/*/$connect"]
    assert edges["sendMessage"].attributes["alias"] == "prod"
    assert edges["sendMessage"].attributes["invoke_source_arns"] == [f"{execute}:{ws}/*/sendMessage"]
    authorizer = edges["authorizer:ws-auth"].attributes
    assert authorizer["role"] == "authorizer"
    assert authorizer["authorizer_type"] == "REQUEST"
    assert authorizer["invoke_source_arns"] == [f"{execute}:{ws}/authorizers/{apis['authorizer']}"]
    assert authorizer["used_by"] == ["$connect"]


@pytest.mark.django_db
def test_it_lists_authorizers_only_of_apis_whose_routes_use_one(apis):
    run = sync()
    # GetApis; GetRoutes and GetIntegrations per API; GetAuthorizers for the WebSocket API only.
    assert run.api_calls_by_service["apigatewayv2"] == 1 + 2 * 2 + 1


@pytest.mark.django_db
def test_it_links_an_http_api_route_on_a_plain_function_arn(apis):
    sync()

    api = Resource.objects.get(arn=apis["http_arn"])
    assert api.attributes["protocol_type"] == "HTTP"
    edge = Edge.objects.get(source_arn=apis["http_arn"], kind="api_gateway_v2")
    assert edge.key == "GET /items"
    assert edge.target_arn == apis["fns"]["items"]
    assert edge.attributes["route_key"] == "GET /items"
    assert edge.attributes["integration_id"] == apis["items_integration"]
    assert edge.attributes["integration_uri"] == apis["fns"]["items"]
    assert edge.attributes["payload_format_version"] == "2.0"
    assert edge.attributes["invoke_source_arns"] == [f"{apis['execute']}:{apis['http']}/*/GET/items"]


@pytest.mark.django_db
def test_a_route_is_permitted_only_when_the_function_policy_allows_it(aws, apis):
    aws("lambda").add_permission(
        FunctionName="items", StatementId="http-items", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"{apis['execute']}:{apis['http']}/*/GET/items")
    aws("lambda").add_permission(
        FunctionName="connect", StatementId="ws-any-route", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"{apis['execute']}:{apis['ws']}/*")

    sync()

    assert Edge.objects.get(source_arn=apis["http_arn"]).attributes["permitted"] is True
    edges = edges_by_key(apis["ws_arn"])
    assert edges["$connect"].attributes["permitted"] is True
    assert edges["$disconnect"].attributes["permitted"] is False
    assert edges["authorizer:ws-auth"].attributes["permitted"] is False


@pytest.mark.django_db
def test_an_api_deleted_between_list_and_get_routes_is_skipped_cleanly(aws, apis):
    session = faults.session()

    def delete_first(params=None, **kwargs):
        if params.get("ApiId") == apis["http"]:
            aws("apigatewayv2").delete_api(ApiId=apis["http"])

    session.events.register("before-parameter-build.apigatewayv2.GetRoutes", delete_first)
    run = sync(session=session)

    assert run.status == "success", run.errors
    assert not Resource.objects.filter(arn=apis["http_arn"]).exists()
    assert len(edges_by_key(apis["ws_arn"])) == 5


@pytest.mark.django_db
def test_access_denied_fails_the_service_and_keeps_its_previous_graph(apis):
    sync()
    session = faults.session()
    faults.deny(session, "apigatewayv2", "GetIntegrations")

    run = sync(session=session)

    assert run.status == "partial"
    assert [(e["service"], e["code"]) for e in run.errors if e.get("fatal")] == [
        ("apigatewayv2", "AccessDeniedException")]
    assert len(edges_by_key(apis["ws_arn"])) == 5


# --- pure transforms on canned responses ---------------------------------------------------


def test_it_keeps_the_route_selection_expression_and_defaults_it_for_websocket():
    node = transform_api(WEBSOCKET_API, "aws", REGION, ACCOUNT)
    assert node.arn == f"arn:aws:apigateway:{REGION}::/apis/ws12345678"
    assert node.attributes["route_selection_expression"] == "$request.body.type"
    assert node.attributes["stack"] == "chat-stack"
    bare = {k: v for k, v in WEBSOCKET_API.items() if k != "RouteSelectionExpression"}
    assert transform_api(bare, "aws", REGION, ACCOUNT).attributes["route_selection_expression"] == \
        "$request.body.action"


def test_it_links_websocket_routes_and_flags_what_it_cannot_resolve():
    edges, notes = transform_routes(WEBSOCKET_API, WEBSOCKET_ROUTES, WEBSOCKET_INTEGRATIONS,
                                    "aws", REGION, ACCOUNT)
    by_key = {e.key: e for e in edges}

    assert set(by_key) == {"$connect", "sendMessage"}
    assert by_key["$connect"].target == f"{FN}:connect"
    assert by_key["sendMessage"].target == f"{FN}:send"
    assert by_key["sendMessage"].attributes["alias"] == "prod"
    assert by_key["sendMessage"].attributes["route_selection_expression"] == "$request.body.type"
    assert by_key["sendMessage"].attributes["invoke_source_arns"] == [
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:ws12345678/*/sendMessage"]
    flagged = {n["resource"].split(" ", 1)[1]: n["message"] for n in notes}
    assert {n["code"] for n in notes} == {"UnresolvedIntegration"}
    assert set(flagged) == {"$disconnect", "dynamic"}
    assert "gone99" in flagged["$disconnect"]
    assert "${stageVariables.handler}" in flagged["dynamic"]


def test_it_links_http_routes_but_not_service_or_http_integrations():
    edges, notes = transform_routes(HTTP_API, HTTP_ROUTES, HTTP_INTEGRATIONS, "aws", REGION, ACCOUNT)
    by_key = {e.key: e for e in edges}

    assert notes == []
    assert set(by_key) == {"GET /items/{id}", "ANY /items", "$default"}
    assert {e.target for e in edges} == {f"{FN}:items"}
    prefix = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:http123456/*"
    assert by_key["GET /items/{id}"].attributes["invoke_source_arns"] == [f"{prefix}/GET/items/{{id}}"]
    assert by_key["ANY /items"].attributes["invoke_source_arns"] == [f"{prefix}/*/items"]
    assert by_key["$default"].attributes["invoke_source_arns"] == [f"{prefix}/$default"]
    assert by_key["GET /items/{id}"].attributes["authorization_type"] == "JWT"
    assert "route_selection_expression" in by_key["$default"].attributes


def test_it_links_v2_lambda_authorizers_but_not_jwt_ones():
    api_arn = f"arn:aws:apigateway:{REGION}::/apis/ws12345678"
    users = route_authorizer_users(WEBSOCKET_ROUTES + HTTP_ROUTES)
    assert users == {"wsauth": ["$connect"], "jwt1": ["GET /items/{id}"]}
    edges, notes = transform_authorizers("ws12345678", V2_AUTHORIZERS, "aws", REGION, ACCOUNT,
                                         edge_kind="api_gateway_v2", api_arn=api_arn, used_by=users)
    assert notes == []
    assert [(e.source, e.target, e.kind, e.key) for e in edges] == [
        (api_arn, f"{FN}:ws-authorize", "api_gateway_v2", "authorizer:ws-auth")]
    assert edges[0].attributes["used_by"] == ["$connect"]
    assert edges[0].attributes["identity_source"] == ["route.request.querystring.token"]


def test_it_survives_missing_keys_and_wrong_types():
    api = {"ApiId": "x"}
    assert transform_routes(api, None, None, "aws", REGION, ACCOUNT) == ([], [])
    assert transform_routes(api, [{}, {"Target": "integrations/"}], [None, {}], "aws", REGION, ACCOUNT)[0] == []
    assert transform_api(api, "aws", REGION, ACCOUNT).name == "x"


@pytest.mark.parametrize("route_key, expected", [
    ("GET /items", "GET/items"), ("ANY /{proxy+}", "*/{proxy+}"), ("GET /", "GET/"),
    ("$default", "$default"), ("$connect", "$connect"), ("sendMessage", "sendMessage"), ("", "*"),
])
def test_it_turns_route_keys_into_execute_api_paths(route_key, expected):
    assert route_source_path(route_key) == expected
