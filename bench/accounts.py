"""Realistic serverless accounts seeded into the emulator, for the graph benchmarks (issue 9).

``seed_account(endpoint_url, functions=300, stacks=30, regions=(...), seed=1)`` builds, from
one random seed, an account shaped like the CloudFormation / SAM / CDK / Serverless estates
real teams run, not one trigger per function:

- API stacks: a REST or HTTP API routing to several functions (some behind a Lambda
  authorizer), the functions naming a DynamoDB table whose stream feeds another function;
- realtime stacks: WebSocket API routes to functions, a connections table;
- event stacks: SNS topics fanning out to SQS queues (with DLQs, each read by a function) and
  to functions directly; EventBridge buses (the stack's own, or the account's shared
  ``platform-events``) with rules targeting functions and queues;
- worker stacks: queues with redrive DLQs, functions with on-success / on-failure destinations
  (often the account's shared ``ops-failed-events`` queue, which belongs to no stack);
- pipeline stacks: S3 bucket notifications to functions and queues, Kinesis streams read by
  functions (with on-failure destinations);
- job stacks: schedules on the default bus, and functions nothing triggers (invoked directly);
- execution roles one per stack, one per function, a mix, or an account-wide role shared by
  several stacks; topics consumed across stacks;
- a few functions and resources outside any stack (created by hand: no stack tag), and some
  resources nothing reads;
- stacks spread over the regions (the first region holds most), a few deployed in two.

Functions carry ``aws:cloudformation:stack-name`` (how Flowscope knows the stack), as do the
APIs, queues, topics, tables, streams and rules of a stack. Nothing invokes anything: every
function is idle. ``plan_account`` is pure (the same seed gives the same account); the
returned summary holds the nodes and edges by kind Flowscope should discover.

    .venv/bin/python bench/accounts.py --functions 300 --stacks 30        # seed, sync, compare
"""
import argparse
import collections
import json
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

from botocore.parsers import ResponseParserError

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.account_plan import (
    ACCOUNT,
    STACK_TAG,
    arn,
    function_arn,
    plan_account,
    queue_arn,
)
from flows.demo.architecture.functions import handler_zip, invocation_uri

ASSUME_LAMBDA = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
__all__ = ["STACK_TAG", "EmulatorProcess", "graph_counts", "plan_account", "seed_account", "summary",
           "sync_into"]


# ---------------------------------------------------------------- creating it in the emulator

def _require_emulator(endpoint_url):
    host = (urlparse(endpoint_url or "").hostname or "").lower()
    if not host or host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws")):
        raise ValueError(f"seed_account writes only to an emulator endpoint, not {endpoint_url!r}")


class _Clients:
    """boto3 clients per thread (a client may be shared, a session may not)."""

    def __init__(self, endpoint_url):
        self.endpoint_url = endpoint_url
        self.local = threading.local()

    def __call__(self, service, region):
        import boto3
        from botocore.config import Config

        cache = self.local.__dict__.setdefault("clients", {})
        if (service, region) not in cache:
            if "session" not in self.local.__dict__:
                self.local.session = boto3.session.Session(
                    aws_access_key_id="testing", aws_secret_access_key="testing",
                    aws_session_token="testing", region_name=region)
            cache[(service, region)] = self.local.session.client(
                service, region_name=region, endpoint_url=self.endpoint_url,
                config=Config(retries={"mode": "standard", "max_attempts": 5}))
        return cache[(service, region)]


def _tags(stack, **extra):
    tags = {"team": extra.pop("team", "platform"), **extra}
    if stack:
        tags[STACK_TAG] = stack
    return tags


def _tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _create_role(client, name, stack):
    iam = client("iam", "us-east-1")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=ASSUME_LAMBDA,
                    Description=f"Execution role{f' of {stack}' if stack else ' shared by several stacks'}")
    iam.attach_role_policy(RoleName=name, PolicyArn=BASIC_EXECUTION)


def _create_queue(client, region, name, stack, dlq):
    attributes = {"VisibilityTimeout": "180"}
    if dlq:
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": queue_arn(region, dlq),
                                                  "maxReceiveCount": "5"})
    client("sqs", region).create_queue(QueueName=name, Attributes=attributes, tags=_tags(stack))


def _create_table(client, region, name, stack, stream):
    extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} \
        if stream else {}
    client("dynamodb", region).create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], Tags=_tag_list(_tags(stack)), **extra)


def _create_stream(client, region, name, stack):
    kinesis = client("kinesis", region)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.add_tags_to_stream(StreamName=name, Tags=_tags(stack))


def _create_bucket(client, region, name, stack):
    s3 = client("s3", region)
    extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **extra)
    # S3 refuses "aws:" tags from callers; CloudFormation's own would be there in AWS.
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tag_list({"stack": stack or "none"})})


def _create_function(client, fn, packages):
    extra = {"DeadLetterConfig": {"TargetArn": fn.dead_letter}} if fn.dead_letter else {}
    client("lambda", fn.region).create_function(
        FunctionName=fn.name, Runtime=fn.runtime, Role=fn.role, Handler="index.handler",
        Code={"ZipFile": packages[fn.runtime.startswith("nodejs")]}, MemorySize=fn.memory,
        Timeout=fn.timeout, Environment={"Variables": fn.environment},
        Tags=_tags(fn.stack, team=(fn.stack or "ops").split("-")[0]), **extra)


def _allow(lam, function, principal, source_arn):
    sid = f"{principal.split('.')[0]}-{zlib.crc32(source_arn.encode()):08x}"
    lam.add_permission(FunctionName=function, StatementId=sid, Action="lambda:InvokeFunction",
                       Principal=principal, SourceArn=source_arn, SourceAccount=ACCOUNT)


def _rest_api(client, op):
    region = op["region"]
    rest, lam = client("apigateway", region), client("lambda", region)
    api_id = rest.create_rest_api(name=op["name"], endpointConfiguration={"types": ["REGIONAL"]},
                                  tags=_tags(op["stack"]))["id"]
    auth = {"authorizationType": "NONE"}
    if op["authorizer"]:
        authorizer_id = rest.create_authorizer(
            restApiId=api_id, name=f"{op['name']}-authorizer", type="TOKEN",
            authorizerUri=invocation_uri(region, function_arn(region, op["authorizer"])),
            identitySource="method.request.header.Authorization")["id"]
        _allow(lam, op["authorizer"], "apigateway.amazonaws.com",
               arn("execute-api", region, f"{api_id}/authorizers/{authorizer_id}"))
        auth = {"authorizationType": "CUSTOM", "authorizerId": authorizer_id}
    resources = {"": next(r["id"] for r in rest.get_resources(restApiId=api_id)["items"] if r["path"] == "/")}

    def resource(path):
        if path not in resources:
            parent, _, part = path.rpartition("/")
            resources[path] = rest.create_resource(restApiId=api_id, parentId=resource(parent),
                                                   pathPart=part)["id"]
        return resources[path]

    allowed = set()
    for method, path, function in op["routes"]:
        rest.put_method(restApiId=api_id, resourceId=resource(path), httpMethod=method, **auth)
        rest.put_integration(restApiId=api_id, resourceId=resource(path), httpMethod=method,
                             type="AWS_PROXY", integrationHttpMethod="POST",
                             uri=invocation_uri(region, function_arn(region, function)))
        if function not in allowed:
            allowed.add(function)
            _allow(lam, function, "apigateway.amazonaws.com", arn("execute-api", region, f"{api_id}/*/*/*"))
    rest.create_deployment(restApiId=api_id, stageName="prod")


def _v2_api(client, op):
    region = op["region"]
    apis, lam = client("apigatewayv2", region), client("lambda", region)
    extra = {"RouteSelectionExpression": "$request.body.action"} if op["protocol"] == "WEBSOCKET" else {}
    api_id = apis.create_api(Name=op["name"], ProtocolType=op["protocol"], Tags=_tags(op["stack"]),
                             **extra)["ApiId"]
    integrations = {}
    for key, function in op["routes"]:
        if function not in integrations:
            target = function_arn(region, function)
            if op["protocol"] == "WEBSOCKET":
                integration = apis.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                                      IntegrationMethod="POST",
                                                      IntegrationUri=invocation_uri(region, target))
            else:
                integration = apis.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                                      IntegrationUri=target, PayloadFormatVersion="2.0")
            integrations[function] = integration["IntegrationId"]
            _allow(lam, function, "apigateway.amazonaws.com", arn("execute-api", region, f"{api_id}/*"))
        apis.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integrations[function]}")
    apis.create_stage(ApiId=api_id, StageName="prod" if op["protocol"] == "WEBSOCKET" else "$default")


def _rule(client, op):
    region = op["region"]
    events = client("events", region)
    spec = {"ScheduleExpression": op["schedule"]} if op.get("schedule") else {"EventPattern": op["pattern"]}
    rule_arn = events.put_rule(Name=op["name"], EventBusName=op["bus"], State="ENABLED",
                               Tags=_tag_list(_tags(op["stack"])), **spec)["RuleArn"]
    events.put_targets(Rule=op["name"], EventBusName=op["bus"],
                       Targets=[{"Id": f"t{i}", "Arn": target} for i, target in enumerate(op["targets"])])
    _allow(client("lambda", region), op["function"], "events.amazonaws.com", rule_arn)


def _esm(client, op):
    region = op["region"]
    kind, name = op["source"]
    extra = {}
    if kind == "queue":
        source, extra["BatchSize"] = queue_arn(region, name), 10
    elif kind == "stream":
        source = arn("kinesis", region, f"stream/{name}")
        extra.update(StartingPosition="LATEST", BatchSize=100)
    else:
        source = client("dynamodb", region).describe_table(TableName=name)["Table"]["LatestStreamArn"]
        extra.update(StartingPosition="TRIM_HORIZON", BatchSize=100)
    if op.get("on_failure"):
        extra["DestinationConfig"] = {"OnFailure": {"Destination": op["on_failure"]}}
    client("lambda", region).create_event_source_mapping(EventSourceArn=source, FunctionName=op["function"],
                                                         **extra)


def _notifications(client, op):
    configuration = {
        "LambdaFunctionConfigurations": [
            {"Id": cid, "LambdaFunctionArn": function_arn(op["region"], fn), "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}}
            for cid, fn, prefix in op["lambdas"]],
        "QueueConfigurations": [
            {"Id": cid, "QueueArn": target, "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}}
            for cid, target, prefix in op["queues"]],
    }
    client("s3", op["region"]).put_bucket_notification_configuration(
        Bucket=op["bucket"], NotificationConfiguration={k: v for k, v in configuration.items() if v})


def _apply(client, op, attempts=5):
    """One wiring step. moto's server answers HTTP 500 (an HTML page) when two requests race
    over one of its dictionaries (SNS subscriptions, IAM roles): botocore does not retry an
    unparsable answer, so the step is tried again here."""
    for attempt in range(attempts):
        try:
            return _apply_once(client, op)
        except ResponseParserError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def _apply_once(client, op):
    kind, region = op["op"], op.get("region")
    if kind == "permission":
        _allow(client("lambda", region), op["function"], op["principal"], op["source_arn"])
    elif kind == "invoke_config":
        destinations = {key: {"Destination": op[field]} for key, field in
                        (("OnSuccess", "on_success"), ("OnFailure", "on_failure")) if op[field]}
        client("lambda", region).put_function_event_invoke_config(
            FunctionName=op["function"], MaximumRetryAttempts=2, DestinationConfig=destinations)
    elif kind == "subscribe":
        client("sns", region).subscribe(TopicArn=op["topic"], Protocol=op["protocol"], Endpoint=op["endpoint"])
    elif kind == "esm":
        _esm(client, op)
    elif kind == "rule":
        _rule(client, op)
    elif kind == "rest_api":
        _rest_api(client, op)
    elif kind == "v2_api":
        _v2_api(client, op)
    elif kind == "notifications":
        _notifications(client, op)
    else:
        raise ValueError(f"unknown wiring {kind!r}")


def _run(pool, tasks):
    # list() re-raises the first failure here rather than losing it in a worker thread.
    list(pool.map(lambda task: task(), tasks))


def seed_account(endpoint_url, functions=300, stacks=30, regions=("us-east-1", "eu-west-1"), seed=1,
                 threads=2):
    """Create the account ``plan_account`` draws in the emulator at ``endpoint_url``.

    Expects an empty emulator. Returns the plan's summary (what Flowscope should discover) with
    the time each phase took. The emulator serves one request at a time per core, so more than
    two or three threads gain nothing.
    """
    _require_emulator(endpoint_url)
    plan = plan_account(functions, stacks, regions, seed)
    client = _Clients(endpoint_url)
    packages = {False: handler_zip("python3.12"), True: handler_zip("nodejs20.x")}
    timings = {}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        phases = [
            ("roles, topics, tables, streams, buckets, buses, dead-letter queues", [
                # moto's IAM scans every role on each call, unlocked: a role created meanwhile
                # fails the scan (HTTP 500), so roles are created one after the other.
                lambda: [_create_role(client, n, s) for n, s in plan.roles.items()],
                *[lambda q=q: _create_queue(client, *q) for q in plan.queues if q[3] is None],
                *[lambda t=t: client("sns", t[0]).create_topic(Name=t[1], Tags=_tag_list(_tags(t[2])))
                  for t in plan.topics],
                *[lambda t=t: _create_table(client, *t) for t in plan.tables],
                *[lambda s=s: _create_stream(client, *s) for s in plan.streams],
                *[lambda b=b: _create_bucket(client, *b) for b in plan.buckets],
                *[lambda b=b: client("events", b[0]).create_event_bus(Name=b[1], Tags=_tag_list(_tags(b[2])))
                  for b in plan.buses]]),
            ("queues with redrive, functions", [
                *[lambda q=q: _create_queue(client, *q) for q in plan.queues if q[3] is not None],
                *[lambda f=f: _create_function(client, f, packages) for f in plan.functions]]),
            # One task per component: a function's permissions are all added by one thread.
            ("triggers, permissions, destinations",
             [lambda ops=ops: [_apply(client, op) for op in ops] for ops in plan.wirings]),
        ]
        for name, tasks in phases:
            start = time.perf_counter()
            _run(pool, tasks)
            timings[name] = time.perf_counter() - start
    return summary(plan, timings)


def summary(plan, timings=None):
    sizes = sorted(plan.stacks.values())
    return {
        "functions": len(plan.functions),
        "stacks": len(plan.stacks),
        "stack_sizes": {"min": sizes[0], "median": sizes[len(sizes) // 2], "max": sizes[-1]},
        "biggest_stack": max(plan.stacks, key=plan.stacks.get),
        "stack_names": sorted(plan.stacks),
        "functions_outside_stacks": sum(1 for f in plan.functions if f.stack is None),
        "functions_by_region": dict(collections.Counter(f.region for f in plan.functions)),
        "roles": len(plan.roles),
        "nodes": dict(sorted(plan.nodes().items())),
        "edges": dict(sorted((+plan.edges).items())),
        "timings": timings or {},
    }


# ---------------------------------------------------------------- the emulator and the sync

class EmulatorProcess:
    """The demo's emulator (moto server, extended) in a child process, so the seeding threads
    and the server run on different cores; ``endpoint`` once started."""

    SCRIPT = ("import sys; sys.path.insert(0, sys.argv[1]);"
              "from flows.demo.emulator import Emulator; e = Emulator().start();"
              "print(e.endpoint, flush=True); sys.stdin.read(); e.stop()")

    def __init__(self):
        self.process, self.endpoint = None, None

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", self.SCRIPT, str(ROOT)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        self.endpoint = self.process.stdout.readline().strip()
        if not self.endpoint.startswith("http"):
            self.__exit__()
            raise RuntimeError("the emulator did not start")
        return self

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def environment(self):
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": "us-east-1"}


def sync_into(site, emulator, regions, audit=True):
    """``manage.py sync`` for ``regions`` into ``site``'s database; returns (seconds, output)."""
    args = [sys.executable, "manage.py", "sync"] + [a for r in regions for a in ("--region", r)]
    if not audit:
        args.append("--no-audit")
    start = time.perf_counter()
    done = subprocess.run(args, check=False, cwd=ROOT, env={**site.env, **emulator.environment()},
                          capture_output=True, text=True, timeout=3600)
    if done.returncode:
        raise RuntimeError(f"sync failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
    return time.perf_counter() - start, done.stdout.strip()


def graph_counts(database_path):
    """Nodes by type and edges by kind in a Flowscope SQLite database."""
    import sqlite3

    with sqlite3.connect(database_path) as db:
        nodes = dict(db.execute("SELECT type, COUNT(*) FROM flows_resource GROUP BY type ORDER BY type"))
        edges = dict(db.execute("SELECT kind, COUNT(*) FROM flows_edge GROUP BY kind ORDER BY kind"))
    return nodes, edges


def compare(expected, found):
    """Lines 'kind expected found' and whether they all match."""
    lines, ok = [], True
    for key in sorted(set(expected) | set(found)):
        mark = "" if expected.get(key, 0) == found.get(key, 0) else "  <- differs"
        ok &= not mark
        lines.append(f"    {key:<18} {expected.get(key, 0):>6} {found.get(key, 0):>6}{mark}")
    return lines, ok


def main():
    parser = argparse.ArgumentParser(description="Seed a realistic account into a fresh emulator, "
                                                 "sync it and compare the graph with the plan.")
    parser.add_argument("--functions", type=int, default=300)
    parser.add_argument("--stacks", type=int, default=30)
    parser.add_argument("--regions", default="us-east-1,eu-west-1")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-sync", action="store_true", help="seed only")
    args = parser.parse_args()
    regions = tuple(r.strip() for r in args.regions.split(",") if r.strip())

    from tests.browser.harness import Site

    with EmulatorProcess() as emulator:
        start = time.perf_counter()
        result = seed_account(emulator.endpoint, args.functions, args.stacks, regions, args.seed,
                              args.threads)
        seeded = time.perf_counter() - start
        print(f"seeded {result['functions']} functions in {result['stacks']} stacks "
              f"({result['stack_sizes']}, biggest {result['biggest_stack']}, "
              f"{result['functions_outside_stacks']} outside any stack, {result['roles']} roles, "
              f"by region {result['functions_by_region']}) in {seeded:.1f} s with {args.threads} threads")
        for phase, seconds in result["timings"].items():
            print(f"  {seconds:6.1f} s  {phase}")
        if args.no_sync:
            return
        workdir = Path(tempfile.mkdtemp(prefix="flowscope-accounts-"))
        site = Site(workdir)
        site.manage("migrate", "--noinput")
        seconds, output = sync_into(site, emulator, regions, audit=False)
        print(f"synced in {seconds:.1f} s: {output.splitlines()[0] if output else ''}")
        nodes, edges = graph_counts(site.database_path)
        ok = True
        for title, expected, found in (("nodes", result["nodes"], nodes), ("edges", result["edges"], edges)):
            lines, same = compare(expected, found)
            ok &= same
            print(f"  {title} by kind: expected / found")
            print("\n".join(lines))
        print("the graph matches the plan" if ok else "the graph differs from the plan (see above)")


if __name__ == "__main__":
    main()
