import json

from flows.consistency import check_trigger_permissions, statement_permits
from flows.graph import EdgeRecord, GraphBuilder, Node
from flows.vocabulary import EdgeKind, NodeType

ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:thumbnailer"
BUCKET = "arn:aws:s3:::chat-uploads"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:fanout"
API = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3"

S3_PERMISSION = {"Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                 "Action": "lambda:InvokeFunction", "Resource": FN,
                 "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT},
                               "ArnLike": {"AWS:SourceArn": BUCKET}}}
STALE_PERMISSION = {"Sid": "old-topic", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "lambda:InvokeFunction", "Resource": FN,
                    "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:deleted"}}}
API_PERMISSION = {"Sid": "api", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                  "Action": "lambda:InvokeFunction", "Resource": FN,
                  "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/*/GET/photos"}}}


def graph(policy, *edges, policy_error=None):
    builder = GraphBuilder()
    attributes = {"resource_policy": policy}
    if policy_error:
        attributes["resource_policy_error"] = policy_error
    builder.add("lambda:us-east-1", [Node(FN, NodeType.LAMBDA_FUNCTION, "thumbnailer", "us-east-1", ACCOUNT, attributes)], edges)
    return builder


def test_it_permits_a_trigger_that_a_statement_allows_and_lists_the_stale_one():
    builder = graph({"Statement": [S3_PERMISSION, STALE_PERMISSION]},
                    EdgeRecord(BUCKET, FN, EdgeKind.S3, "new"), EdgeRecord(TOPIC, FN, EdgeKind.SNS, "sub"))
    check_trigger_permissions(builder)
    permitted = {e.kind: e.attributes["permitted"] for e in builder.edges.values()}
    assert permitted == {EdgeKind.S3: True, EdgeKind.SNS: False}
    assert builder.nodes[FN].attributes["unmatched_permissions"] == [
        {"function": FN, "sid": "old-topic", "principal": "sns.amazonaws.com",
         "source_arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:deleted"}]


def test_it_matches_api_gateway_routes_whatever_the_stage():
    edge = EdgeRecord(API, FN, EdgeKind.API_GATEWAY, "GET /photos", {
        "invoke_source_arns": [f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/*/GET/photos"]})
    other = EdgeRecord(API, FN, EdgeKind.API_GATEWAY, "DELETE /photos", {
        "invoke_source_arns": [f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/*/DELETE/photos"]})
    builder = graph(json.dumps({"Statement": [API_PERMISSION]}), edge, other)
    check_trigger_permissions(builder)
    assert edge.attributes["permitted"] is True
    assert other.attributes["permitted"] is False
    assert builder.nodes[FN].attributes["unmatched_permissions"] == []


def test_an_unreadable_policy_leaves_permission_unknown_not_false():
    edge = EdgeRecord(BUCKET, FN, EdgeKind.S3, "new")
    builder = graph(None, edge, policy_error="AccessDeniedException")
    check_trigger_permissions(builder)
    assert edge.attributes["permitted"] is None


def test_pull_triggers_need_no_resource_policy():
    edge = EdgeRecord(f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs", FN, EdgeKind.SQS, "uuid")
    builder = graph({}, edge)
    check_trigger_permissions(builder)
    assert "permitted" not in edge.attributes


def test_odd_statements_never_crash():
    odd = [{"Effect": "Allow"}, {"Principal": 7, "Action": None}, "not a statement",
           {"Effect": "Allow", "Principal": "*", "Action": ["lambda:*"], "Condition": "x"}]
    edge = EdgeRecord(BUCKET, FN, EdgeKind.S3, "new")
    builder = graph({"Statement": odd}, edge)
    check_trigger_permissions(builder)
    assert edge.attributes["permitted"] is True  # the public statement allows everyone
    assert not statement_permits({"Effect": "Deny", "Principal": "*", "Action": "*"}, EdgeKind.S3, [BUCKET], ACCOUNT)


def test_a_wrong_source_account_is_not_permitted():
    statement = {**S3_PERMISSION, "Condition": {"StringEquals": {"AWS:SourceAccount": "210987654321"}}}
    assert not statement_permits(statement, EdgeKind.S3, [BUCKET], ACCOUNT)
    assert statement_permits(statement, EdgeKind.S3, [BUCKET], "210987654321")


RULE = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/nightly"
ALIAS_PERMISSION = {"Sid": "ev", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "lambda:InvokeFunction", "Resource": f"{FN}:live",
                    "Condition": {"ArnLike": {"AWS:SourceArn": RULE}}}


def aliased(function_policy, alias_policies, errors=None, *edges):
    builder = graph(function_policy, *edges)
    attributes = builder.nodes[FN].attributes
    attributes["aliases"] = [{"name": "live", "function_version": "3", "routing": {"4": 0.2}}]
    attributes["alias_policies"] = alias_policies
    if errors:
        attributes["alias_policy_errors"] = errors
    return builder


def test_a_trigger_on_an_alias_is_judged_by_the_alias_policy_alone():
    on_alias = EdgeRecord(RULE, FN, EdgeKind.EVENTBRIDGE, "a", {"alias": "live"})
    on_function = EdgeRecord(RULE, FN, EdgeKind.EVENTBRIDGE, "f")
    builder = aliased({"Statement": []}, {"live": {"Statement": [ALIAS_PERMISSION]}}, None, on_alias, on_function)
    check_trigger_permissions(builder)
    assert on_alias.attributes["permitted"] is True
    assert on_alias.attributes["alias_routing"] == {"4": 0.2}
    assert on_function.attributes["permitted"] is False
    assert builder.nodes[FN].attributes["unmatched_permissions"] == []


def test_a_refused_alias_policy_or_a_version_qualifier_leaves_permission_unknown_with_a_note():
    refused = EdgeRecord(RULE, FN, EdgeKind.EVENTBRIDGE, "a", {"alias": "live"})
    version = EdgeRecord(RULE, FN, EdgeKind.EVENTBRIDGE, "v", {"alias": "7"})
    builder = aliased({"Statement": []}, {}, {"live": "AccessDeniedException"}, refused, version)
    check_trigger_permissions(builder)
    assert refused.attributes["permitted"] is None and "AccessDenied" in refused.attributes["permission_note"]
    assert version.attributes["permitted"] is None and "not an alias" in version.attributes["permission_note"]


def test_a_url_without_authentication_needs_a_statement_open_to_everyone():
    url = "https://abc.lambda-url.us-east-1.on.aws/"
    open_statement = {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl", "Resource": FN,
                      "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}
    named = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/caller"},
             "Action": "lambda:InvokeFunctionUrl", "Resource": FN}
    for statements, auth_type, expected in (([open_statement], "NONE", True), ([named], "NONE", False),
                                            ([named], "AWS_IAM", True), ([open_statement], "AWS_IAM", False)):
        edge = EdgeRecord(url, FN, EdgeKind.FUNCTION_URL, "$LATEST", {"auth_type": auth_type})
        check_trigger_permissions(graph({"Statement": statements}, edge))
        assert edge.attributes["permitted"] is expected, (statements, auth_type)


def test_a_regional_logs_principal_is_the_logs_service():
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/orders"
    statement = {"Effect": "Allow", "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                 "Action": "lambda:InvokeFunction", "Condition": {"ArnLike": {"AWS:SourceArn": f"{group}:*"}}}
    assert statement_permits(statement, EdgeKind.LOGS_SUBSCRIPTION, [group, f"{group}:*"], ACCOUNT)
