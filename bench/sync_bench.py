"""Discovery benchmark: Flowscope's sync against the bare boto3 calls that read the same facts.

Seeds the embedded emulator with N functions spread over every trigger type, then in one run
times (a) the minimum boto3 call sequence (no processing) and (b) Flowscope's sync, and
prints both, their ratio and both API call counts, for each N.

    .venv/bin/python bench/sync_bench.py            # N = 250 and 1000
    .venv/bin/python bench/sync_bench.py --n 100 --repeat 1
"""
import argparse
import io
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import boto3  # noqa: E402
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from flows.aws.session import ApiCallCounter  # noqa: E402
from flows.demo.emulator import Emulator  # noqa: E402
from flows.models import Account  # noqa: E402
from flows.sync import sync_account  # noqa: E402

REGION = "us-east-1"
TRIGGERS = ("sqs", "kinesis", "dynamodb", "sns", "s3", "rest", "http", "alb", "codecommit", "events",
            "url", "alias", "sfn", "cognito", "iot", "logs", "ses")


def _zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def seed(n):
    """N functions, each with one trigger; every tenth trigger type shares a parent resource."""
    c = {s: boto3.client(s, region_name=REGION) for s in (
        "iam", "lambda", "sqs", "sns", "s3", "dynamodb", "kinesis", "apigateway", "apigatewayv2",
        "elbv2", "ec2", "codecommit", "events", "stepfunctions", "cognito-idp", "iot", "logs", "ses")}
    role = c["iam"].create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    code = _zip()
    vpc = c["ec2"].create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [c["ec2"].create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24",
                                      AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("ab")]
    shared = {}
    c["ses"].create_receipt_rule_set(RuleSetName="bench")
    c["ses"].set_active_receipt_rule_set(RuleSetName="bench")
    for i in range(n):
        name = f"fn-{i:05d}"
        fn = c["lambda"].create_function(
            FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
            Code={"ZipFile": code}, Environment={"Variables": {"TABLE": "t", "MODE": "bench"}},
            Tags={"aws:cloudformation:stack-name": f"stack-{i % 7}"})["FunctionArn"]
        # As in AWS once a function has run: its log group exists, and discovery asks it for filters.
        c["logs"].create_log_group(logGroupName=f"/aws/lambda/{name}")
        kind = TRIGGERS[i % len(TRIGGERS)]
        group = i // len(TRIGGERS)
        if kind == "sqs":
            url = c["sqs"].create_queue(QueueName=f"q-{i}")["QueueUrl"]
            arn = c["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            c["lambda"].create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=10)
        elif kind == "kinesis":
            c["kinesis"].create_stream(StreamName=f"s-{i}", ShardCount=1)
            arn = c["kinesis"].describe_stream_summary(StreamName=f"s-{i}")["StreamDescriptionSummary"]["StreamARN"]
            c["lambda"].create_event_source_mapping(EventSourceArn=arn, FunctionName=name, StartingPosition="LATEST")
        elif kind == "dynamodb":
            table = c["dynamodb"].create_table(
                TableName=f"t-{i}", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
            c["lambda"].create_event_source_mapping(EventSourceArn=table["LatestStreamArn"], FunctionName=name,
                                                    StartingPosition="TRIM_HORIZON")
        elif kind == "sns":
            topic = c["sns"].create_topic(Name=f"topic-{i}")["TopicArn"]
            c["sns"].subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)
            c["lambda"].add_permission(FunctionName=name, StatementId="sns", Action="lambda:InvokeFunction",
                                       Principal="sns.amazonaws.com", SourceArn=topic)
        elif kind == "s3":
            bucket = f"bench-bucket-{i}"
            c["s3"].create_bucket(Bucket=bucket)
            c["lambda"].add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")
            c["s3"].put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
                "LambdaFunctionConfigurations": [{"Id": "new", "LambdaFunctionArn": fn,
                                                  "Events": ["s3:ObjectCreated:*"]}]})
        elif kind == "rest":
            api = c["apigateway"].create_rest_api(name=f"rest-{i}")["id"]
            root = c["apigateway"].get_resources(restApiId=api)["items"][0]["id"]
            res = c["apigateway"].create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
            for method in ("GET", "POST"):
                c["apigateway"].put_method(restApiId=api, resourceId=res, httpMethod=method, authorizationType="NONE")
                c["apigateway"].put_integration(
                    restApiId=api, resourceId=res, httpMethod=method, type="AWS_PROXY", integrationHttpMethod="POST",
                    uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn}/invocations")
        elif kind == "http":
            api = c["apigatewayv2"].create_api(Name=f"http-{i}", ProtocolType="HTTP")["ApiId"]
            integration = c["apigatewayv2"].create_integration(
                ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn, PayloadFormatVersion="2.0")["IntegrationId"]
            c["apigatewayv2"].create_route(ApiId=api, RouteKey="GET /items", Target=f"integrations/{integration}")
        elif kind == "alb":
            if "alb" not in shared:
                lb = c["elbv2"].create_load_balancer(Name="bench-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
                shared["alb"] = lb
            tg = c["elbv2"].create_target_group(Name=f"tg-{i}", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
            c["elbv2"].register_targets(TargetGroupArn=tg, Targets=[{"Id": fn}])
            c["elbv2"].create_listener(LoadBalancerArn=shared["alb"], Protocol="HTTP", Port=8000 + group,
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        elif kind == "codecommit":
            c["codecommit"].create_repository(repositoryName=f"repo-{i}")
            c["codecommit"].put_repository_triggers(repositoryName=f"repo-{i}", triggers=[
                {"name": "t", "destinationArn": fn, "events": ["all"], "branches": []}])
        elif kind == "events":
            rule = c["events"].put_rule(Name=f"rule-{i}", ScheduleExpression="rate(5 minutes)")["RuleArn"]
            c["events"].put_targets(Rule=f"rule-{i}", Targets=[{"Id": "fn", "Arn": fn}])
            c["lambda"].add_permission(FunctionName=name, StatementId="events", Action="lambda:InvokeFunction",
                                       Principal="events.amazonaws.com", SourceArn=rule)
        elif kind == "url":
            c["lambda"].create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
        elif kind == "alias":
            version = c["lambda"].publish_version(FunctionName=name)["Version"]
            alias = c["lambda"].create_alias(FunctionName=name, Name="live", FunctionVersion=version)["AliasArn"]
            rule = c["events"].put_rule(Name=f"rule-{i}", ScheduleExpression="rate(1 hour)")["RuleArn"]
            c["events"].put_targets(Rule=f"rule-{i}", Targets=[{"Id": "fn", "Arn": alias}])
            c["lambda"].add_permission(FunctionName=name, Qualifier="live", StatementId="events",
                                       Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                                       SourceArn=rule)
        elif kind == "sfn":
            c["stepfunctions"].create_state_machine(name=f"sm-{i}", roleArn=role, definition=json.dumps(
                {"StartAt": "Run", "States": {"Run": {"Type": "Task", "End": True,
                                                      "Resource": "arn:aws:states:::lambda:invoke",
                                                      "Parameters": {"FunctionName": fn}}}}))
        elif kind == "cognito":
            c["cognito-idp"].create_user_pool(PoolName=f"pool-{i}", LambdaConfig={"PreSignUp": fn})
        elif kind == "iot":
            c["iot"].create_topic_rule(ruleName=f"rule_{i}", topicRulePayload={
                "sql": f"SELECT * FROM 'bench/{i}'", "actions": [{"lambda": {"functionArn": fn}}]})
        elif kind == "logs":
            c["logs"].create_log_group(logGroupName=f"/bench/app-{i}")
            c["logs"].put_subscription_filter(logGroupName=f"/bench/app-{i}", filterName="all",
                                              filterPattern="", destinationArn=fn)
        elif kind == "ses":
            c["ses"].create_receipt_rule(RuleSetName="bench", Rule={
                "Name": f"rule-{i}", "Enabled": True, "Recipients": [f"r{i}@bench.example"],
                "Actions": [{"LambdaAction": {"FunctionArn": fn}}]})
        if i % 5 == 0:
            c["lambda"].put_function_event_invoke_config(
                FunctionName=name, DestinationConfig={"OnFailure": {"Destination": role.replace(
                    ":iam::", ":sqs:us-east-1:").replace("role/bench", "q-dlq")}})


def pages(client, operation, key, **kwargs):
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def baseline(session):
    """The fewest calls that read what the sync reads; nothing is kept or transformed."""
    c = lambda s: session.client(s, region_name=REGION)  # noqa: E731
    c("sts").get_caller_identity()
    lam = c("lambda")
    functions = pages(lam, "list_functions", "Functions")
    pages(lam, "list_event_source_mappings", "EventSourceMappings")
    tagging = c("resourcegroupstaggingapi")
    for resource_type in ("lambda:function", "sns:topic", "sqs:queue"):
        pages(tagging, "get_resources", "ResourceTagMappingList", ResourceTypeFilters=[resource_type])
    for fn in functions:
        name = fn["FunctionName"]
        try:
            lam.get_policy(FunctionName=name)
        except lam.exceptions.ResourceNotFoundException:
            pass
        pages(lam, "list_function_event_invoke_configs", "FunctionEventInvokeConfigs", FunctionName=name)
        aliases = pages(lam, "list_aliases", "Aliases", FunctionName=name)
        for alias in aliases:
            try:
                lam.get_policy(FunctionName=name, Qualifier=alias["Name"])
            except lam.exceptions.ResourceNotFoundException:
                pass
        for qualifier in [None] + [a["Name"] for a in aliases]:
            try:
                lam.get_function_url_config(FunctionName=name, **({"Qualifier": qualifier} if qualifier else {}))
            except lam.exceptions.ResourceNotFoundException:
                pass
    pages(c("iam"), "get_account_authorization_details", "RoleDetailList",
          Filter=["Role", "LocalManagedPolicy", "AWSManagedPolicy"])
    sqs = c("sqs")
    for url in pages(sqs, "list_queues", "QueueUrls"):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    sns = c("sns")
    for topic in pages(sns, "list_topics", "Topics"):
        sns.get_topic_attributes(TopicArn=topic["TopicArn"])
    pages(sns, "list_subscriptions", "Subscriptions")
    s3 = c("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        if "BucketRegion" not in bucket:  # older endpoints (and the emulator) omit it
            s3.get_bucket_location(Bucket=bucket["Name"])
        s3.get_bucket_notification_configuration(Bucket=bucket["Name"])
    ddb = c("dynamodb")
    for table in pages(ddb, "list_tables", "TableNames"):
        ddb.describe_table(TableName=table)
    pages(c("kinesis"), "list_streams", "StreamSummaries")
    apigw = c("apigateway")
    for api in pages(apigw, "get_rest_apis", "items"):
        resources = pages(apigw, "get_resources", "items", restApiId=api["id"], embed=["methods"])
        if any(m.get("authorizerId") for r in resources for m in (r.get("resourceMethods") or {}).values()):
            pages(apigw, "get_authorizers", "items", restApiId=api["id"])
    v2 = c("apigatewayv2")
    for api in v2.get_apis().get("Items", []):
        routes = v2.get_routes(ApiId=api["ApiId"]).get("Items", [])
        v2.get_integrations(ApiId=api["ApiId"])
        if any(route.get("AuthorizerId") for route in routes):
            v2.get_authorizers(ApiId=api["ApiId"])
    elb = c("elbv2")
    balancers = pages(elb, "describe_load_balancers", "LoadBalancers")
    for start in range(0, len(balancers), 20):  # tags (for the stack name), 20 per call
        elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"] for lb in balancers[start:start + 20]])
    for lb in balancers:
        for listener in pages(elb, "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"]):
            elb.describe_rules(ListenerArn=listener["ListenerArn"])
    for tg in pages(elb, "describe_target_groups", "TargetGroups"):
        if tg.get("TargetType") == "lambda":
            elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])
    cc = c("codecommit")
    for repo in pages(cc, "list_repositories", "repositories"):
        cc.get_repository_triggers(repositoryName=repo["repositoryName"])
    ev = c("events")
    for bus in ev.list_event_buses().get("EventBuses", []):
        for rule in pages(ev, "list_rules", "Rules", EventBusName=bus["Name"]):
            pages(ev, "list_targets_by_rule", "Targets", Rule=rule["Name"], EventBusName=bus["Name"])
    sfn = c("stepfunctions")
    for machine in pages(sfn, "list_state_machines", "stateMachines"):
        sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
        sfn.list_tags_for_resource(resourceArn=machine["stateMachineArn"])
    pages(c("cognito-idp"), "list_user_pools", "UserPools", PaginationConfig={"PageSize": 60})
    iot = c("iot")
    for rule in pages(iot, "list_topic_rules", "rules"):
        iot.get_topic_rule(ruleName=rule["ruleName"])
    logs = c("logs")
    for group in pages(logs, "describe_log_groups", "logGroups", PaginationConfig={"PageSize": 50}):
        pages(logs, "describe_subscription_filters", "subscriptionFilters", logGroupName=group["logGroupName"])
    c("ses").describe_active_receipt_rule_set()
    appsync = c("appsync")
    for api in pages(appsync, "list_graphql_apis", "graphqlApis"):
        pages(appsync, "list_data_sources", "dataSources", apiId=api["apiId"])


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def measure(n, repeat, emulator):
    emulator.reset()
    start = time.perf_counter()
    seed(n)
    seeded = time.perf_counter() - start
    best = {"baseline": None, "sync": None, "sync_serial": None}
    calls = {}
    for _ in range(repeat):
        session = boto3.Session()
        counter = ApiCallCounter(session)
        seconds, _ = timed(baseline, session)
        best["baseline"] = min(best["baseline"] or seconds, seconds)
        calls["baseline"] = counter
        Account.objects.all().delete()  # each sync starts from an empty graph, like a first run
        seconds, run = timed(sync_account, [REGION])
        best["sync"] = min(best["sync"] or seconds, seconds)
        calls["sync"] = run
        # The same sync reading one service at a time, like the baseline does.
        Account.objects.all().delete()
        concurrency = settings.FLOWSCOPE["SYNC_CONCURRENCY"]
        settings.FLOWSCOPE["SYNC_CONCURRENCY"] = 1
        try:
            seconds, _ = timed(sync_account, [REGION])
        finally:
            settings.FLOWSCOPE["SYNC_CONCURRENCY"] = concurrency
        best["sync_serial"] = min(best["sync_serial"] or seconds, seconds)
    run = calls["sync"]
    return {"n": n, "seed_s": seeded, "baseline_s": best["baseline"], "sync_s": best["sync"],
            "ratio": best["sync"] / best["baseline"],
            "sync_serial_s": best["sync_serial"], "serial_ratio": best["sync_serial"] / best["baseline"], "baseline_calls": calls["baseline"].total,
            "sync_calls": run.api_calls, "status": run.status, "nodes": run.node_count,
            "edges": run.edge_count, "baseline_by_op": dict(calls["baseline"].calls),
            "sync_by_op": run.api_calls_by_operation}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, action="append", help="functions to seed (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions; the best is kept")
    args = parser.parse_args()
    emulator = Emulator().start()
    os.environ.update(emulator.environment())
    call_command("migrate", verbosity=0)
    print(f"sync runs with FLOWSCOPE_SYNC_CONCURRENCY={settings.FLOWSCOPE['SYNC_CONCURRENCY']}; "
          "'serial' is the same sync with 1, reading one service at a time like the baseline")
    print(f"{'N':>6} {'baseline s':>11} {'sync s':>8} {'ratio':>6} {'serial s':>9} {'ratio':>6} {'baseline calls':>15} "
          f"{'sync calls':>11} {'nodes':>6} {'edges':>6}  status")
    results = []
    for n in args.n or [250, 1000]:
        r = measure(n, args.repeat, emulator)
        results.append(r)
        print(f"{r['n']:>6} {r['baseline_s']:>11.2f} {r['sync_s']:>8.2f} {r['ratio']:>6.2f} "
              f"{r['sync_serial_s']:>9.2f} {r['serial_ratio']:>6.2f} "
              f"{r['baseline_calls']:>15} {r['sync_calls']:>11} {r['nodes']:>6} {r['edges']:>6}  {r['status']}",
              flush=True)
    for r in results:
        sync_ops, base_ops = r["sync_by_op"], r["baseline_by_op"]
        extra = {op: sync_ops[op] - base_ops.get(op, 0) for op in sync_ops if sync_ops[op] > base_ops.get(op, 0)}
        fewer = {op: base_ops[op] - sync_ops.get(op, 0) for op in base_ops if base_ops[op] > sync_ops.get(op, 0)}
        if extra or fewer:
            print(f"N={r['n']}: calls the sync makes beyond the baseline: {extra or 'none'}; "
                  f"baseline calls the sync skips: {fewer or 'none'}")
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(f"scaling {a['n']} -> {b['n']} functions (x{b['n'] / a['n']:.1f}): "
              f"sync time x{b['sync_s'] / a['sync_s']:.2f}, sync calls x{b['sync_calls'] / a['sync_calls']:.2f}")
    emulator.stop()


if __name__ == "__main__":
    main()
