import pytest

from flows.aws import COLLECTORS
from flows.aws.elbv2 import (
    forwarded_target_groups,
    lambda_targets,
    readable_conditions,
    transform_listener_rules,
    transform_load_balancer,
)
from flows.models import Edge, Resource
from flows.sync import sync_account
from tests import faults
from tests.aws.test_lambda import make_function, role_arn  # noqa: F401  (fixture)
from tests.data.elbv2_responses import (
    ACCOUNT,
    ADMIN_TG,
    ALB_ARN,
    API_TG,
    APPLICATION_LOAD_BALANCER,
    CANARY_TG,
    FN,
    LISTENER,
    LISTENER_WITHOUT_DEFAULT_RULE,
    REGION,
    RULES,
    TARGET_GROUPS,
    TARGET_HEALTH,
)

COLLECTORS_UNDER_TEST = tuple(c for c in COLLECTORS if c.key in ("lambda", "elbv2"))


def sync(**kwargs):
    """Sync only what these tests look at: Lambda (functions and their policies) and elbv2."""
    return sync_account(["us-east-1"], collectors=COLLECTORS_UNDER_TEST, **kwargs)


def subnets(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return vpc, [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")
                 ["Subnet"]["SubnetId"] for i, zone in ((1, "a"), (2, "b"))]


@pytest.fixture
def alb(aws, role_arn):  # noqa: F811
    """An ALB whose HTTP:80 listener sends /api/* GETs to one function and the rest to another,
    next to a network load balancer and an instance target group that must not disturb it."""
    api_fn = make_function(aws, "api", role_arn)["FunctionArn"]
    site_fn = make_function(aws, "site", role_arn)["FunctionArn"]
    elb = aws("elbv2")
    vpc, subnet_ids = subnets(aws)
    lb = elb.create_load_balancer(Name="web", Subnets=subnet_ids, Scheme="internet-facing", Type="application",
                                  Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "web-stack"}])
    lb = lb["LoadBalancers"][0]
    elb.create_load_balancer(Name="tcp", Subnets=subnet_ids, Type="network")
    elb.create_target_group(Name="ec2", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")

    def lambda_group(name, function_arn):
        group = elb.create_target_group(Name=name, TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=group, Targets=[{"Id": function_arn}])
        return group

    api_tg, site_tg = lambda_group("api-fn", api_fn), lambda_group("site-fn", site_fn)
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": site_tg}])
    listener = listener["Listeners"][0]["ListenerArn"]
    rule = elb.create_rule(ListenerArn=listener, Priority=10, Conditions=[
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": api_tg}])["Rules"][0]["RuleArn"]
    return {"arn": lb["LoadBalancerArn"], "vpc": vpc, "listener": listener, "rule": rule,
            "api": api_fn, "site": site_fn, "api_tg": api_tg, "site_tg": site_tg}


def alb_edges(alb):
    return {e.key: e for e in Edge.objects.filter(source_arn=alb["arn"], kind="alb")}


@pytest.mark.django_db
def test_it_links_an_alb_to_functions_through_rules_and_lambda_target_groups(alb):
    run = sync()

    assert run.status == "success", run.errors
    node = Resource.objects.get(arn=alb["arn"])
    assert node.type == "alb"
    assert node.name == "web"
    assert node.attributes["scheme"] == "internet-facing"
    assert node.attributes["type"] == "application"
    assert node.attributes["vpc"] == alb["vpc"]
    assert node.attributes["dns_name"]
    assert node.attributes["state"]
    assert node.attributes["stack"] == "web-stack"
    assert not Resource.objects.filter(type="alb", name="tcp").exists()

    edges = alb_edges(alb)
    assert set(edges) == {"HTTP:80 10", "HTTP:80 default"}
    api = edges["HTTP:80 10"]
    assert api.target_arn == alb["api"]
    assert api.attributes["listener_arn"] == alb["listener"]
    assert api.attributes["port"] == 80
    assert api.attributes["protocol"] == "HTTP"
    assert api.attributes["rule_arn"] == alb["rule"]
    assert api.attributes["priority"] == "10"
    assert api.attributes["is_default"] is False
    assert api.attributes["conditions"] == [{"field": "path-pattern", "values": ["/api/*"]},
                                            {"field": "http-request-method", "values": ["GET"]}]
    assert api.attributes["target_group_arn"] == alb["api_tg"]
    assert api.attributes["target_group_name"] == "api-fn"
    assert api.attributes["invoke_source_arns"] == [alb["api_tg"]]
    site = edges["HTTP:80 default"]
    assert site.target_arn == alb["site"]
    assert site.attributes["is_default"] is True
    assert site.attributes["conditions"] == []
    assert site.attributes["target_group_name"] == "site-fn"


@pytest.mark.django_db
def test_it_reads_target_health_only_for_lambda_target_groups(alb):
    run = sync()
    # LBs, target groups, tags, health x2 (not the instance group), listeners and rules of the
    # ALB only (nothing for the network load balancer).
    assert run.api_calls_by_service["elbv2"] == 7


@pytest.mark.django_db
def test_an_alb_route_is_permitted_only_with_the_target_group_as_source(aws, alb):
    aws("lambda").add_permission(
        FunctionName="api", StatementId="alb", Action="lambda:InvokeFunction",
        Principal="elasticloadbalancing.amazonaws.com", SourceArn=alb["api_tg"])

    sync()

    edges = alb_edges(alb)
    assert edges["HTTP:80 10"].attributes["permitted"] is True
    assert edges["HTTP:80 default"].attributes["permitted"] is False


@pytest.mark.django_db
def test_a_listener_deleted_between_list_and_describe_rules_is_skipped_cleanly(aws, alb):
    session = faults.session()

    def delete_first(params=None, **kwargs):
        if params.get("ListenerArn") == alb["listener"]:
            aws("elbv2").delete_listener(ListenerArn=alb["listener"])

    session.events.register("before-parameter-build.elbv2.DescribeRules", delete_first)
    run = sync(session=session)

    assert run.status == "success", run.errors
    assert Resource.objects.filter(arn=alb["arn"]).exists()
    assert alb_edges(alb) == {}


@pytest.mark.django_db
def test_access_denied_fails_the_service_and_keeps_its_previous_graph(alb):
    sync()
    session = faults.session()
    faults.deny(session, "elbv2", "DescribeTargetHealth")

    run = sync(session=session)

    assert run.status == "partial"
    assert [(e["service"], e["code"]) for e in run.errors if e.get("fatal")] == [
        ("elbv2", "AccessDeniedException")]
    assert set(alb_edges(alb)) == {"HTTP:80 10", "HTTP:80 default"}


# --- pure transforms on canned responses ---------------------------------------------------


def lambda_groups():
    return {g["TargetGroupArn"]: (g, lambda_targets(TARGET_HEALTH[g["TargetGroupArn"]]))
            for g in TARGET_GROUPS if g["TargetType"] == "lambda"}


def test_it_describes_the_load_balancer_node():
    node = transform_load_balancer(APPLICATION_LOAD_BALANCER, {"team": "web"}, REGION, ACCOUNT)
    assert (node.arn, node.type, node.name) == (ALB_ARN, "alb", "web")
    assert node.attributes["state"] == "active"
    assert node.attributes["availability_zones"] == [f"{REGION}a", f"{REGION}b"]
    assert node.attributes["tags"] == {"team": "web"}
    assert node.attributes["created_time"].startswith("2024-05-01")


def test_it_turns_rules_into_edges_with_readable_conditions():
    edges, notes = transform_listener_rules(ALB_ARN, LISTENER, RULES, lambda_groups())
    by_key = {e.key: e for e in edges}

    assert set(by_key) == {"HTTPS:443 10", "HTTPS:443 20 api-fn", "HTTPS:443 default"}
    admin = by_key["HTTPS:443 10"]
    assert admin.target == f"{FN}:admin"
    assert admin.attributes["alias"] == "live"
    assert admin.attributes["target_health"] == "unavailable"
    assert admin.attributes["conditions"] == [
        {"field": "path-pattern", "values": ["/admin/*"]},
        {"field": "http-request-method", "values": ["GET", "POST"]},
        {"field": "http-header", "values": ["a*"], "header": "X-Tenant"},
        {"field": "query-string", "values": ["v=2", "beta"]},
        {"field": "host-header", "values": ["admin.example.com"]},
    ]
    assert admin.attributes["invoke_source_arns"] == [ADMIN_TG]
    weighted = by_key["HTTPS:443 20 api-fn"]
    assert weighted.target == f"{FN}:api"
    assert weighted.attributes["weight"] == 90
    assert by_key["HTTPS:443 default"].attributes["is_default"] is True
    assert by_key["HTTPS:443 default"].attributes["invoke_source_arns"] == [API_TG]
    # The canary group holds an instance id and junk, not a function: flagged, not linked.
    assert [(n["code"], n["resource"]) for n in notes] == [("UnresolvedTarget", CANARY_TG)]


def test_it_uses_the_listener_default_actions_when_rules_lack_the_default_rule():
    edges, _ = transform_listener_rules(ALB_ARN, LISTENER_WITHOUT_DEFAULT_RULE, [], lambda_groups())
    assert [(e.key, e.target, e.attributes["is_default"]) for e in edges] == [
        ("HTTP:80 default", f"{FN}:admin", True)]


def test_it_survives_missing_keys_and_wrong_types():
    assert transform_listener_rules(ALB_ARN, {}, [None, {}, {"Actions": "junk"}], lambda_groups()) == ([], [])
    assert readable_conditions([{"Field": "source-ip"}, None, {"Field": "x", "XConfig": 3}]) == [
        {"field": "source-ip", "values": []}, {"field": "x", "values": []}]
    assert forwarded_target_groups([{"Type": "forward"}, {"Type": "forward", "ForwardConfig": None},
                                    {"Type": "redirect"}, None]) == []
    assert lambda_targets([None, {}, {"Target": None}]) == []
    assert transform_load_balancer({"LoadBalancerArn": "x"}, {}, REGION, ACCOUNT).name == "x"
