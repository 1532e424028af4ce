import pytest

from flows.aws import COLLECTORS
from flows.aws.apigateway import (
    authorizer_users,
    missing_methods,
    resolve_lambda_integration,
    transform_authorizers,
    transform_methods,
    transform_rest_api,
)
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests import faults
from tests.aws.test_lambda import make_function, role_arn  # noqa: F401  (fixture)
from tests.data.apigateway_responses import (
    ACCOUNT,
    FN,
    GET_AUTHORIZERS,
    GET_RESOURCES_EMBEDDED,
    REGION,
    REST_API,
)

EXECUTE = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{REST_API['id']}"

COLLECTORS_UNDER_TEST = tuple(c for c in COLLECTORS if c.key in ("lambda", "apigateway"))


def sync(**kwargs):
    """Sync only what these tests look at: Lambda (functions and their policies) and apigateway."""
    return sync_account(["us-east-1"], collectors=COLLECTORS_UNDER_TEST, **kwargs)


def lambda_uri(function_arn, region="us-east-1"):
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


@pytest.fixture
def rest_api(aws, role_arn):  # noqa: F811
    """A REST API: /users/{id} with GET (proxy, Lambda authorizer), ANY (proxy to an alias),
    PATCH (non-proxy Lambda), OPTIONS (mock); / with a GET to another function."""
    users_fn = make_function(aws, "users", role_arn)["FunctionArn"]
    root_fn = make_function(aws, "home", role_arn)["FunctionArn"]
    auth_fn = make_function(aws, "authorize", role_arn)["FunctionArn"]
    aws("lambda").create_alias(FunctionName="users", Name="live", FunctionVersion="$LATEST")
    client = aws("apigateway")
    api = client.create_rest_api(name="users-api", description="people",
                                 endpointConfiguration={"types": ["REGIONAL"]},
                                 tags={"aws:cloudformation:stack-name": "users-stack"})
    api_id, root = api["id"], api["rootResourceId"]
    authorizer = client.create_authorizer(
        restApiId=api_id, name="token-check", type="TOKEN", authorizerUri=lambda_uri(auth_fn),
        identitySource="method.request.header.Authorization")
    users = client.create_resource(restApiId=api_id, parentId=root, pathPart="users")
    user = client.create_resource(restApiId=api_id, parentId=users["id"], pathPart="{id}")

    def method(resource_id, verb, integration_type, uri=None, **extra):
        client.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=verb,
                          authorizationType=extra.pop("authorizationType", "NONE"), **extra)
        options = {"uri": uri, "integrationHttpMethod": "POST"} if uri else {}
        client.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=verb,
                               type=integration_type, **options)

    method(user["id"], "GET", "AWS_PROXY", lambda_uri(users_fn), authorizationType="CUSTOM",
           authorizerId=authorizer["id"], apiKeyRequired=True)
    method(user["id"], "ANY", "AWS_PROXY", lambda_uri(f"{users_fn}:live"))
    method(user["id"], "PATCH", "AWS", lambda_uri(users_fn))
    method(user["id"], "OPTIONS", "MOCK")
    method(root, "GET", "AWS_PROXY", lambda_uri(root_fn))
    account = aws("sts").get_caller_identity()["Account"]
    return {"id": api_id, "users": users_fn, "home": root_fn, "authorize": auth_fn,
            "authorizer_id": authorizer["id"], "user_resource": user["id"], "account": account,
            "arn": f"arn:aws:apigateway:us-east-1::/restapis/{api_id}",
            "execute": f"arn:aws:execute-api:us-east-1:{account}:{api_id}"}


def edges_by_key(api_arn):
    return {e.key: e for e in Edge.objects.filter(source_arn=api_arn, kind="api_gateway")}


@pytest.mark.django_db
def test_it_links_every_lambda_method_of_a_rest_api_to_its_function(rest_api):
    run = sync()

    assert run.status == "success", run.errors
    api = Resource.objects.get(arn=rest_api["arn"])
    assert api.type == "api_gateway_rest"
    assert api.name == "users-api"
    assert api.attributes["id"] == rest_api["id"]
    assert api.attributes["description"] == "people"
    assert api.attributes["endpoint_types"] == ["REGIONAL"]
    assert api.attributes["stack"] == "users-stack"

    edges = edges_by_key(rest_api["arn"])
    assert set(edges) == {"GET /users/{id}", "ANY /users/{id}", "PATCH /users/{id}", "GET /",
                          "authorizer:token-check"}
    get = edges["GET /users/{id}"]
    assert get.target_arn == rest_api["users"]
    assert get.attributes["method"] == "GET"
    assert get.attributes["path"] == "/users/{id}"
    assert get.attributes["resource_id"] == rest_api["user_resource"]
    assert get.attributes["integration_type"] == "AWS_PROXY"
    assert get.attributes["integration_uri"] == lambda_uri(rest_api["users"])
    assert get.attributes["authorization_type"] == "CUSTOM"
    assert get.attributes["authorizer_id"] == rest_api["authorizer_id"]
    assert get.attributes["api_key_required"] is True
    assert get.attributes["invoke_source_arns"] == [f"{rest_api['execute']}/*/GET/users/{{id}}"]
    assert "alias" not in get.attributes

    any_method = edges["ANY /users/{id}"]
    assert any_method.target_arn == rest_api["users"]
    assert any_method.attributes["alias"] == "live"
    assert any_method.attributes["invoke_source_arns"] == [f"{rest_api['execute']}/*/*/users/{{id}}"]
    assert edges["PATCH /users/{id}"].attributes["integration_type"] == "AWS"
    assert edges["GET /"].target_arn == rest_api["home"]
    assert edges["GET /"].attributes["invoke_source_arns"] == [f"{rest_api['execute']}/*/GET/"]

    authorizer = edges["authorizer:token-check"]
    assert authorizer.target_arn == rest_api["authorize"]
    assert authorizer.attributes["role"] == "authorizer"
    assert authorizer.attributes["authorizer_type"] == "TOKEN"
    assert authorizer.attributes["invoke_source_arns"] == [
        f"{rest_api['execute']}/authorizers/{rest_api['authorizer_id']}"]
    assert authorizer.attributes["used_by"] == ["GET /users/{id}"]


@pytest.mark.django_db
def test_it_reads_each_api_with_one_get_resources_and_no_call_per_method(rest_api):
    run = sync()
    # GetRestApis, GetResources, GetAuthorizers: five methods and an authorizer cost nothing more.
    assert run.api_calls_by_service["apigateway"] == 3


@pytest.mark.django_db
def test_it_skips_get_authorizers_when_no_method_uses_an_authorizer(aws, role_arn):  # noqa: F811
    fn = make_function(aws, "plain", role_arn)["FunctionArn"]
    client = aws("apigateway")
    api = client.create_rest_api(name="open-api")
    client.create_authorizer(restApiId=api["id"], name="unused", type="TOKEN", authorizerUri=lambda_uri(fn),
                             identitySource="method.request.header.Authorization")
    client.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                      authorizationType="NONE")
    client.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                           type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri(fn))

    run = sync()

    assert run.api_calls_by_service["apigateway"] == 2
    edges = edges_by_key(f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}")
    assert set(edges) == {"GET /"}


@pytest.mark.django_db
def test_a_method_is_permitted_only_when_the_function_policy_allows_its_route(aws, rest_api):
    aws("lambda").add_permission(
        FunctionName="users", StatementId="apigw-get-user", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"{rest_api['execute']}/*/GET/users/{{id}}")

    sync()

    edges = edges_by_key(rest_api["arn"])
    assert edges["GET /users/{id}"].attributes["permitted"] is True
    assert edges["PATCH /users/{id}"].attributes["permitted"] is False
    assert edges["GET /"].attributes["permitted"] is False
    assert edges["authorizer:token-check"].attributes["permitted"] is False


@pytest.mark.django_db
def test_an_api_deleted_between_list_and_get_resources_is_skipped_cleanly(aws, rest_api):
    doomed = aws("apigateway").create_rest_api(name="doomed")["id"]
    session = faults.session()

    def delete_first(params=None, **kwargs):
        if params.get("restApiId") == doomed:
            aws("apigateway").delete_rest_api(restApiId=doomed)

    session.events.register("before-parameter-build.apigateway.GetResources", delete_first)
    run = sync(session=session)

    assert run.status == "success", run.errors
    assert not Resource.objects.filter(arn__endswith=f"/restapis/{doomed}").exists()
    assert Edge.objects.filter(source_arn=rest_api["arn"]).count() == 5


@pytest.mark.django_db
def test_access_denied_fails_the_service_and_keeps_its_previous_graph(rest_api):
    sync()
    session = faults.session()
    faults.deny(session, "apigateway", "GetResources")

    run = sync(session=session)

    assert run.status == "partial"
    assert [(e["service"], e["code"]) for e in run.errors if e.get("fatal")] == [
        ("apigateway", "AccessDeniedException")]
    assert Edge.objects.filter(source_arn=rest_api["arn"]).count() == 5


# --- pure transforms on canned responses ---------------------------------------------------


def test_it_describes_the_rest_api_node_with_tags_and_stack():
    node = transform_rest_api(REST_API, "aws", REGION, ACCOUNT)
    assert node.arn == f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3d4e5"
    assert node.type == "api_gateway_rest"
    assert node.name == "users-api"
    assert node.attributes["endpoint_types"] == ["REGIONAL"]
    assert node.attributes["tags"]["team"] == "identity"
    assert node.attributes["stack"] == "users-stack"


def test_it_keeps_only_lambda_methods_and_their_attributes():
    edges, _ = transform_methods(REST_API["id"], GET_RESOURCES_EMBEDDED, "aws", REGION, ACCOUNT)
    by_key = {e.key: e for e in edges}

    assert set(by_key) == {"GET /users/{id}", "ANY /users/{id}", "PATCH /users/{id}", "PUT /orders"}
    assert by_key["GET /users/{id}"].target == f"{FN}:get-user"
    assert by_key["GET /users/{id}"].attributes["authorizer_id"] == "auth01"
    assert by_key["ANY /users/{id}"].target == f"{FN}:users"
    assert by_key["ANY /users/{id}"].attributes["alias"] == "live"
    assert by_key["ANY /users/{id}"].attributes["invoke_source_arns"] == [f"{EXECUTE}/*/*/users/{{id}}"]
    patch = by_key["PATCH /users/{id}"].attributes
    assert patch["integration_type"] == "AWS"
    assert patch["credentials"] == f"arn:aws:iam::{ACCOUNT}:role/apigw-invoke"
    assert patch["invoke_source_arns"] == [f"{EXECUTE}/*/PATCH/users/{{id}}"]


def test_it_flags_stage_variable_integrations_and_keeps_the_raw_uri():
    edges, notes = transform_methods(REST_API["id"], GET_RESOURCES_EMBEDDED, "aws", REGION, ACCOUNT)
    by_key = {e.key: e for e in edges}

    put = by_key["PUT /orders"]
    assert put.target == f"{FN}:orders"
    assert put.attributes["problem"] == "alias comes from a stage variable"
    assert "${stageVariables.alias}" in put.attributes["integration_uri"]
    assert "POST /orders" not in by_key
    flagged = {n["resource"].split(" ", 1)[1]: n for n in notes}
    assert {n["code"] for n in notes} == {"UnresolvedIntegration"}
    assert "${stageVariables.ordersFn}" in flagged["POST /orders"]["message"]
    assert "stage variable" in flagged["POST /orders"]["message"]
    assert "PUT /orders" in flagged
    # A Lambda-proxy method whose URI is garbage or missing is flagged, never a crash or an edge.
    assert "not-an-arn" in flagged["GET /odd"]["message"]
    assert "POST /odd" in flagged
    # Non-Lambda integrations (SQS, HTTP, mock) are simply not Lambda edges.
    assert not any(key.endswith("/queue") for key in list(by_key) + list(flagged))


def test_it_links_lambda_authorizers_and_flags_unresolvable_ones():
    edges, notes = transform_authorizers(REST_API["id"], GET_AUTHORIZERS, "aws", REGION, ACCOUNT)

    assert [e.key for e in edges] == ["authorizer:token-check"]
    edge = edges[0]
    assert edge.target == f"{FN}:authorize"
    assert edge.kind == "api_gateway"
    assert edge.attributes["role"] == "authorizer"
    assert edge.attributes["authorizer_type"] == "TOKEN"
    assert edge.attributes["identity_source"] == "method.request.header.Authorization"
    assert edge.attributes["invoke_source_arns"] == [f"{EXECUTE}/authorizers/auth01"]
    assert [n["code"] for n in notes] == ["UnresolvedIntegration"]
    assert "per-stage" in notes[0]["message"]


def test_it_leaves_out_authorizers_no_method_uses():
    users = authorizer_users(GET_RESOURCES_EMBEDDED)
    assert users == {"auth01": ["GET /users/{id}"]}
    edges, notes = transform_authorizers(REST_API["id"], GET_AUTHORIZERS, "aws", REGION, ACCOUNT,
                                         used_by=users)
    assert [(e.key, e.attributes["used_by"]) for e in edges] == [("authorizer:token-check", ["GET /users/{id}"])]
    assert notes == []
    assert transform_authorizers(REST_API["id"], GET_AUTHORIZERS, "aws", REGION, ACCOUNT, used_by={}) == ([], [])


def test_it_survives_missing_keys_and_wrong_types():
    assert transform_methods("x", None, "aws", REGION, ACCOUNT) == ([], [])
    assert transform_methods("x", [{}, {"resourceMethods": None}, 7], "aws", REGION, ACCOUNT) == ([], [])
    assert transform_authorizers("x", [None, {}, {"type": "TOKEN"}], "aws", REGION, ACCOUNT) == ([], [])


@pytest.mark.parametrize("integration_type, uri, expected", [
    ("AWS_PROXY", lambda_uri(f"{FN}:f:prod", REGION), (True, f"{FN}:f", "prod", None)),
    ("AWS", lambda_uri(f"{FN}:f", REGION), (True, f"{FN}:f", None, None)),
    ("AWS", f"arn:aws:apigateway:{REGION}:dynamodb:action/PutItem", (False, None, None, None)),
    ("HTTP_PROXY", "https://example.com", (False, None, None, None)),
    ("MOCK", None, (False, None, None, None)),
    (None, 42, (False, None, None, None)),
    ("AWS_PROXY", "${stageVariables.fn}", (True, None, None, "function comes from a stage variable")),
])
def test_it_classifies_integrations(integration_type, uri, expected):
    assert resolve_lambda_integration(integration_type, uri) == expected


def test_it_spots_methods_listed_without_their_body():
    resources = [{"id": "r1", "resourceMethods": {"GET": {}, "POST": {"httpMethod": "POST"}}},
                 {"id": "r2", "resourceMethods": {"ANY": None}}]
    assert missing_methods(resources) == [("r1", "GET"), ("r2", "ANY")]
    assert missing_methods(GET_RESOURCES_EMBEDDED) == []


@pytest.mark.django_db
def test_it_fetches_methods_one_by_one_only_when_an_endpoint_ignores_the_embed(rest_api):
    session = faults.session()

    def strip_method_bodies(parsed=None, **kwargs):
        for resource in parsed.get("items", []):
            for verb in resource.get("resourceMethods", {}):
                resource["resourceMethods"][verb] = {}

    session.events.register("after-call.apigateway.GetResources", strip_method_bodies)
    run = sync(session=session)

    assert run.status == "success", run.errors
    assert set(edges_by_key(rest_api["arn"])) == {"GET /users/{id}", "ANY /users/{id}",
                                                  "PATCH /users/{id}", "GET /", "authorizer:token-check"}
    assert run.api_calls_by_service["apigateway"] == 3 + 5
