"""Canned API Gateway responses (REST v1 and v2), shaped like real AWS answers.

GET_RESOURCES_EMBEDDED is what GetResources(embed=["methods"]) returns: every method carries
its methodIntegration. A few entries are deliberately malformed to prove the transforms cope.
"""
import datetime

ACCOUNT = "123456789012"
REGION = "eu-west-1"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"


def lambda_uri(function_arn):
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


REST_API = {
    "id": "a1b2c3d4e5",
    "name": "users-api",
    "description": "Users and orders",
    "createdDate": datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC),
    "apiKeySource": "HEADER",
    "endpointConfiguration": {"types": ["REGIONAL"]},
    "tags": {"aws:cloudformation:stack-name": "users-stack", "team": "identity"},
    "disableExecuteApiEndpoint": False,
    "rootResourceId": "root00",
}

GET_RESOURCES_EMBEDDED = [
    {"id": "root00", "path": "/", "resourceMethods": {
        "GET": {"httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": False,
                "methodIntegration": {"type": "MOCK"}}}},
    {"id": "usr001", "parentId": "root00", "pathPart": "{id}", "path": "/users/{id}", "resourceMethods": {
        "GET": {"httpMethod": "GET", "authorizationType": "CUSTOM", "authorizerId": "auth01",
                "apiKeyRequired": True,
                "methodIntegration": {"type": "AWS_PROXY", "httpMethod": "POST",
                                      "uri": lambda_uri(f"{FN}:get-user")}},
        "ANY": {"httpMethod": "ANY", "authorizationType": "NONE", "apiKeyRequired": False,
                "methodIntegration": {"type": "AWS_PROXY", "httpMethod": "POST",
                                      "uri": lambda_uri(f"{FN}:users:live")}},
        "PATCH": {"httpMethod": "PATCH", "authorizationType": "AWS_IAM", "apiKeyRequired": False,
                  "methodIntegration": {"type": "AWS", "httpMethod": "POST",
                                        "uri": lambda_uri(f"{FN}:patch-user"),
                                        "credentials": f"arn:aws:iam::{ACCOUNT}:role/apigw-invoke"}},
        "OPTIONS": {"httpMethod": "OPTIONS", "authorizationType": "NONE", "apiKeyRequired": False,
                    "methodIntegration": {"type": "MOCK"}}}},
    {"id": "ord001", "parentId": "root00", "pathPart": "orders", "path": "/orders", "resourceMethods": {
        # The whole function comes from a stage variable: nothing to link statically.
        "POST": {"httpMethod": "POST", "authorizationType": "NONE",
                 "methodIntegration": {"type": "AWS_PROXY", "httpMethod": "POST",
                                       "uri": lambda_uri(f"{FN}:${{stageVariables.ordersFn}}")}},
        # Only the alias comes from a stage variable: the function is still known.
        "PUT": {"httpMethod": "PUT", "authorizationType": "NONE",
                "methodIntegration": {"type": "AWS_PROXY", "httpMethod": "POST",
                                      "uri": lambda_uri(f"{FN}:orders:${{stageVariables.alias}}")}}}},
    {"id": "que001", "parentId": "root00", "pathPart": "queue", "path": "/queue", "resourceMethods": {
        "POST": {"httpMethod": "POST", "authorizationType": "NONE",
                 "methodIntegration": {"type": "AWS", "httpMethod": "POST",
                                       "uri": f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/jobs"}},
        "GET": {"httpMethod": "GET", "authorizationType": "NONE",
                "methodIntegration": {"type": "HTTP_PROXY", "httpMethod": "GET",
                                      "uri": "https://example.com/{proxy}"}}}},
    {"id": "odd001", "parentId": "root00", "pathPart": "odd", "path": "/odd", "resourceMethods": {
        "GET": {"httpMethod": "GET", "methodIntegration": {"type": "AWS_PROXY", "uri": "not-an-arn"}},
        "DELETE": {"httpMethod": "DELETE", "methodIntegration": None},
        "HEAD": "garbage",
        "POST": {"httpMethod": "POST", "methodIntegration": {"type": "AWS_PROXY"}},
        "PUT": {"httpMethod": "PUT"}}},
    {"id": "nom001", "path": "/no-methods"},
    {"id": "bad001", "path": "/bad", "resourceMethods": ["GET"]},
    "not-a-resource",
]

GET_AUTHORIZERS = [
    {"id": "auth01", "name": "token-check", "type": "TOKEN",
     "authorizerUri": lambda_uri(f"{FN}:authorize"),
     "identitySource": "method.request.header.Authorization", "authorizerResultTtlInSeconds": 300},
    {"id": "auth02", "name": "cognito", "type": "COGNITO_USER_POOLS",
     "providerARNs": [f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_abc"]},
    {"id": "auth03", "name": "per-stage", "type": "REQUEST",
     "authorizerUri": lambda_uri("${stageVariables.authorizerArn}")},
    {"id": "auth04", "type": "REQUEST"},
]

# --- API Gateway v2 -------------------------------------------------------------------------

WEBSOCKET_API = {
    "ApiId": "ws12345678",
    "Name": "chat",
    "ProtocolType": "WEBSOCKET",
    "RouteSelectionExpression": "$request.body.type",
    "ApiEndpoint": f"wss://ws12345678.execute-api.{REGION}.amazonaws.com",
    "ApiKeySelectionExpression": "$request.header.x-api-key",
    "Tags": {"aws:cloudformation:stack-name": "chat-stack"},
}

WEBSOCKET_INTEGRATIONS = [
    {"IntegrationId": "int-conn", "IntegrationType": "AWS_PROXY",
     "IntegrationUri": lambda_uri(f"{FN}:connect")},
    {"IntegrationId": "int-send", "IntegrationType": "AWS_PROXY",
     "IntegrationUri": lambda_uri(f"{FN}:send:prod")},
    {"IntegrationId": "int-mock", "IntegrationType": "MOCK"},
    {"IntegrationId": "int-var", "IntegrationType": "AWS_PROXY",
     "IntegrationUri": lambda_uri("${stageVariables.handler}")},
]

WEBSOCKET_ROUTES = [
    {"RouteId": "r1", "RouteKey": "$connect", "Target": "integrations/int-conn",
     "AuthorizationType": "CUSTOM", "AuthorizerId": "wsauth"},
    {"RouteId": "r2", "RouteKey": "sendMessage", "Target": "integrations/int-send",
     "AuthorizationType": "NONE"},
    {"RouteId": "r3", "RouteKey": "$default", "Target": "integrations/int-mock"},
    {"RouteId": "r4", "RouteKey": "$disconnect", "Target": "integrations/gone99"},
    {"RouteId": "r5", "RouteKey": "ping"},
    {"RouteId": "r6", "RouteKey": "dynamic", "Target": "integrations/int-var"},
    {"RouteId": "r7", "RouteKey": "odd", "Target": 42},
    None,
]

HTTP_API = {
    "ApiId": "http123456",
    "Name": "items",
    "ProtocolType": "HTTP",
    "RouteSelectionExpression": "${request.method} ${request.path}",
    "ApiEndpoint": f"https://http123456.execute-api.{REGION}.amazonaws.com",
}

HTTP_INTEGRATIONS = [
    # HTTP APIs may hold the plain function ARN.
    {"IntegrationId": "int-items", "IntegrationType": "AWS_PROXY", "IntegrationUri": f"{FN}:items",
     "PayloadFormatVersion": "2.0"},
    {"IntegrationId": "int-sqs", "IntegrationType": "AWS_PROXY", "IntegrationSubtype": "SQS-SendMessage",
     "RequestParameters": {"QueueUrl": "https://sqs/jobs"}},
    {"IntegrationId": "int-http", "IntegrationType": "HTTP_PROXY", "IntegrationUri": "https://example.com"},
]

HTTP_ROUTES = [
    {"RouteId": "h1", "RouteKey": "GET /items/{id}", "Target": "integrations/int-items",
     "AuthorizationType": "JWT", "AuthorizerId": "jwt1"},
    {"RouteId": "h2", "RouteKey": "ANY /items", "Target": "integrations/int-items"},
    {"RouteId": "h3", "RouteKey": "$default", "Target": "integrations/int-items"},
    {"RouteId": "h4", "RouteKey": "POST /jobs", "Target": "integrations/int-sqs"},
    {"RouteId": "h5", "RouteKey": "GET /proxy", "Target": "integrations/int-http"},
]

V2_AUTHORIZERS = [
    {"AuthorizerId": "wsauth", "Name": "ws-auth", "AuthorizerType": "REQUEST",
     "AuthorizerUri": lambda_uri(f"{FN}:ws-authorize"),
     "IdentitySource": ["route.request.querystring.token"]},
    {"AuthorizerId": "jwt1", "Name": "jwt", "AuthorizerType": "JWT",
     "JwtConfiguration": {"Audience": ["x"], "Issuer": "https://issuer"}},
]
