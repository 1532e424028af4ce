"""Aliases with their own resource policies, and function URLs (of a function and of an alias)."""
import json

import pytest
from botocore.awsrequest import AWSResponse

from flows.auditing import audit_account
from flows.aws.lambda_ import transform_alias, transform_function_url
from flows.models import Edge, Finding, Resource
from flows.sync import sync_account
from tests.data.collector_hooks import deny, make_function, only, session
from tests.data.lambda_responses import ALIAS_WITH_ROUTING, URL_CONFIG_ON_ALIAS

PATTERN = '{"source": ["shop.orders"]}'


def publish_alias(aws, name, alias="live", weights=None):
    lam = aws("lambda")
    lam.publish_version(FunctionName=name)
    extra = {"RoutingConfig": {"AdditionalVersionWeights": weights}} if weights else {}
    return lam.create_alias(FunctionName=name, Name=alias, FunctionVersion="1", **extra)["AliasArn"]


def rule_targeting(aws, rule, target_arn):
    events = aws("events")
    rule_arn = events.put_rule(Name=rule, EventPattern=PATTERN)["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": target_arn}])
    return rule_arn


@pytest.mark.django_db
def test_it_reads_the_alias_policy_for_a_trigger_that_targets_the_alias(aws):
    function_arn = make_function(aws, "bill")
    alias_arn = publish_alias(aws, "bill", weights={"1": 0.25})
    allowed = rule_targeting(aws, "allowed", alias_arn)
    rule_targeting(aws, "only-function-allows", alias_arn)
    lam = aws("lambda")
    lam.add_permission(FunctionName="bill", Qualifier="live", StatementId="ev", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=allowed)
    # Granted on the unqualified function only: AWS does not let it invoke the alias.
    lam.add_permission(FunctionName="bill", StatementId="fn-only", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com",
                       SourceArn=allowed.replace("rule/allowed", "rule/only-function-allows"))

    run = sync_account(["us-east-1"], collectors=only("lambda", "events"))

    permitted = {e.source_arn.rsplit("/", 1)[1]: e.attributes["permitted"]
                 for e in Edge.objects.filter(kind="eventbridge", target_arn=function_arn)}
    assert permitted == {"allowed": True, "only-function-allows": False}
    edge = Edge.objects.get(kind="eventbridge", source_arn=allowed)
    assert edge.attributes["alias"] == "live"
    assert edge.attributes["alias_version"] == "1"
    assert edge.attributes["alias_routing"] == {"1": 0.25}
    fn = Resource.objects.get(arn=function_arn)
    assert fn.attributes["aliases"][0]["name"] == "live"
    assert [p["sid"] for p in fn.attributes["unmatched_permissions"]] == ["fn-only"]
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_it_leaves_permission_unknown_with_a_note_when_the_alias_policy_is_refused(aws):
    make_function(aws, "bill")
    alias_arn = publish_alias(aws, "bill")
    rule_targeting(aws, "to-alias", alias_arn)
    refusing = session()

    deny_alias_policy(refusing)

    run = sync_account(["us-east-1"], session=refusing, collectors=only("lambda", "events"))

    edge = Edge.objects.get(kind="eventbridge")
    assert edge.attributes["permitted"] is None
    assert "could not be read" in edge.attributes["permission_note"]
    assert run.status == "partial"
    assert any(e.get("resource") == alias_arn for e in run.errors)


def deny_alias_policy(boto_session):
    """AccessDenied for GetPolicy with a Qualifier only, as a policy scoped to $LATEST would give."""
    def before_call(params=None, **kwargs):
        query = (params or {}).get("query_string") or {}
        if "Qualifier" in query:
            refused = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed: GetPolicy"},
                       "ResponseMetadata": {"HTTPStatusCode": 403}}
            return AWSResponse("https://denied.invalid/", 403, {}, None), refused
        return None

    boto_session.events.register("before-call.lambda.GetPolicy", before_call)


@pytest.mark.django_db
def test_it_links_function_urls_of_the_function_and_of_an_alias(aws):
    function_arn = make_function(aws, "public")
    publish_alias(aws, "public")
    lam = aws("lambda")
    open_url = lam.create_function_url_config(
        FunctionName="public", AuthType="NONE", InvokeMode="RESPONSE_STREAM",
        Cors={"AllowOrigins": ["https://shop.example"], "AllowMethods": ["GET"]})["FunctionUrl"]
    alias_url = lam.create_function_url_config(FunctionName="public", Qualifier="live",
                                               AuthType="AWS_IAM")["FunctionUrl"]
    lam.add_permission(FunctionName="public", StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")

    run = sync_account(["us-east-1"], collectors=only("lambda"))

    url_node = Resource.objects.get(arn=open_url)
    assert url_node.type == "lambda_function_url"
    assert url_node.attributes["auth_type"] == "NONE"
    edge = Edge.objects.get(kind="function_url", source_arn=open_url)
    assert edge.target_arn == function_arn
    assert edge.attributes["auth_type"] == "NONE"
    assert edge.attributes["invoke_mode"] == "RESPONSE_STREAM"
    assert edge.attributes["cors"]["allow_origins"] == ["https://shop.example"]
    assert edge.attributes["permitted"] is True
    on_alias = Edge.objects.get(kind="function_url", source_arn=alias_url)
    assert on_alias.target_arn == function_arn
    assert on_alias.attributes["alias"] == "live"
    assert on_alias.attributes["target_arn"] == f"{function_arn}:live"
    # The public statement was added on the function, not the alias: IAM callers may still pass.
    assert on_alias.attributes["permitted"] is False
    assert "IAM policies" in on_alias.attributes["permission_note"]
    fn = Resource.objects.get(arn=function_arn)
    assert {u["auth_type"] for u in fn.attributes["function_urls"]} == {"NONE", "AWS_IAM"}
    assert run.status == "success", run.errors


@pytest.mark.django_db
def test_a_url_without_authentication_is_not_permitted_without_a_public_statement(aws):
    make_function(aws, "closed")
    url = aws("lambda").create_function_url_config(FunctionName="closed", AuthType="NONE")["FunctionUrl"]

    sync_account(["us-east-1"], collectors=only("lambda"))

    assert Edge.objects.get(kind="function_url", source_arn=url).attributes["permitted"] is False


@pytest.mark.django_db
def test_a_refused_url_read_is_a_warning_and_the_function_stays(aws):
    function_arn = make_function(aws, "quiet")
    aws("lambda").create_function_url_config(FunctionName="quiet", AuthType="NONE")
    denied = session()
    deny(denied, "lambda", "GetFunctionUrlConfig")

    run = sync_account(["us-east-1"], session=denied, collectors=only("lambda"))

    assert Resource.objects.filter(arn=function_arn).exists()
    assert not Edge.objects.filter(kind="function_url").exists()
    assert run.status == "partial"


def test_it_keeps_the_weights_of_a_routed_alias():
    entry = transform_alias(ALIAS_WITH_ROUTING)
    assert entry == {"name": "live", "arn": ALIAS_WITH_ROUTING["AliasArn"], "function_version": "7",
                     "routing": {"8": 0.1}, "description": "canary"}


def test_it_names_a_url_node_by_its_host_and_points_the_edge_at_the_function():
    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bill"
    node, edge = transform_function_url(URL_CONFIG_ON_ALIAS, function_arn, "live", "us-east-1", "123456789012")
    assert node.arn == URL_CONFIG_ON_ALIAS["FunctionUrl"]
    assert node.name == "abcdefghijklmnop.lambda-url.us-east-1.on.aws"
    assert (edge.source, edge.target, edge.key) == (node.arn, function_arn, "live")
    assert edge.attributes["invoke_mode"] == "BUFFERED"
    assert edge.attributes["cors"]["allow_credentials"] is True
    assert json.dumps(edge.attributes)


@pytest.mark.django_db
def test_an_open_url_with_a_public_statement_is_a_critical_public_invoke_finding(aws):
    function_arn = make_function(aws, "open")
    lam = aws("lambda")
    lam.create_function_url_config(FunctionName="open", AuthType="NONE")
    lam.add_permission(FunctionName="open", StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    make_function(aws, "guarded")
    lam.create_function_url_config(FunctionName="guarded", AuthType="AWS_IAM")
    run = sync_account(["us-east-1"], collectors=only("lambda"))

    audit_account(run.account)

    [finding] = Finding.objects.filter(category="public_invoke", title="Function URL is open to the internet")
    assert (finding.principal, finding.severity) == (function_arn, "critical")
    assert not Finding.objects.filter(category="public_invoke", principal__endswith=":guarded").exists()
