"""The demo account: a serverless chat app wired with every trigger Flowscope graphs.

``seed_demo`` builds it with plain boto3 against an emulator endpoint (never a real
account: it refuses endpoints that are not local). The architecture, in three
CloudFormation-style stacks:

chat-realtime
    WebSocket API ($connect, $disconnect, $default, sendMessage) -> connect / disconnect /
    message functions; message writes to DynamoDB ``chat-messages`` whose stream feeds
    ``chat-fanout``, which publishes to SNS ``chat-fanout``; the topic delivers to SQS
    ``chat-delivery`` (redrive to ``chat-delivery-dlq``) read by ``chat-delivery-worker``, and
    straight to ``chat-notify``. REST API ``chat-rest`` (TOKEN authorizer) -> history / admin;
    HTTP API ``GET /status`` -> status.
chat-media
    S3 ``chat-uploads`` -> thumbnailer (destinations: success to SNS, failure to SQS) and
    S3 -> SQS ``chat-exports``; Kinesis ``chat-clickstream`` -> analytics.
chat-ops
    ALB (``/admin/*`` -> admin, default -> web); CodeCommit ``chat-infra`` triggers ->
    infra notifier and an SNS topic; an EventBridge schedule -> cleanup.

Deliberate flaws, so the consistency check and the IAM audit have something to find, are
listed in ``FLAWS`` and returned in the summary.
"""
import copy
import io
import json
import zipfile
from urllib.parse import urlparse

import boto3

STACK_TAG = "aws:cloudformation:stack-name"
LOGICAL_ID_TAG = "aws:cloudformation:logical-id"
DEMO_TABLE = "chat-messages"

ASSUME_LAMBDA = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"

FLAWS = {
    # The notify subscription was added by hand to the topic; nobody ran add-permission, so
    # SNS deliveries to chat-notify are refused (the consistency check shows permitted=false).
    "missing_permission": {"function": "chat-notify", "kind": "sns", "source": "chat-fanout"},
    # Left over from the bucket chat-uploads replaced; that bucket no longer notifies anyone.
    "stale_permission": {"function": "chat-thumbnailer", "sid": "s3-legacy-uploads",
                         "source_arn": "arn:aws:s3:::chat-uploads-v1"},
    # Opened "temporarily" while debugging the status page: anyone may invoke chat-status.
    "public_function": "chat-status",
    # The IAM audit's targets.
    "administrator_role": "chat-admin-role",
    "wildcard_inline_role": "chat-analytics-role",
    "privilege_escalation_role": "chat-infra-deployer-role",
    "shared_role": "chat-realtime-connections-role",
}


class DemoAlreadySeeded(RuntimeError):
    pass


def _tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in tags.items()]


# ---------------------------------------------------------------- IAM roles and policies

def _statement(actions, resources):
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _role_specs(account, region):
    """(role name, description, inline policy statements, managed policy ARNs)."""
    arn = f"arn:aws:{{}}:{region}:{account}:{{}}"
    table = arn.format("dynamodb", f"table/{DEMO_TABLE}")
    return [
        # One role for the three WebSocket functions: they share the connections bookkeeping.
        ("chat-realtime-connections-role", "WebSocket connect, disconnect and message handlers", [
            _statement(["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:GetItem"], [table]),
            _statement(["execute-api:ManageConnections"],
                       [arn.format("execute-api", "*/*/POST/@connections/*")]),
        ], [BASIC_EXECUTION]),
        ("chat-fanout-role", "Reads the message stream, publishes to the fan-out topic", [
            _statement(["dynamodb:GetRecords", "dynamodb:GetShardIterator",
                        "dynamodb:DescribeStream", "dynamodb:ListStreams"], [f"{table}/stream/*"]),
            _statement(["sns:Publish"], [arn.format("sns", "chat-fanout")]),
        ], [BASIC_EXECUTION]),
        ("chat-delivery-role", "Consumes the delivery queue, posts to WebSocket connections", [
            _statement(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                       [arn.format("sqs", "chat-delivery")]),
            _statement(["execute-api:ManageConnections"],
                       [arn.format("execute-api", "*/*/POST/@connections/*")]),
        ], [BASIC_EXECUTION]),
        ("chat-notify-role", "Sends push notifications", [
            _statement(["ssm:GetParameter"], [arn.format("ssm", "parameter/chat/push/*")]),
        ], [BASIC_EXECUTION]),
        ("chat-history-role", "Reads message history", [
            _statement(["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"], [table]),
        ], [BASIC_EXECUTION]),
        ("chat-authorizer-role", "Validates bearer tokens", [
            _statement(["secretsmanager:GetSecretValue"],
                       [arn.format("secretsmanager", "secret:chat/jwt-*")]),
        ], [BASIC_EXECUTION]),
        ("chat-status-role", "Reports service health", [], [BASIC_EXECUTION]),
        ("chat-web-role", "Serves the web client shell", [], [BASIC_EXECUTION]),
        ("chat-thumbnailer-role", "Resizes uploaded images", [
            _statement(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::chat-uploads/*"]),
            _statement(["sns:Publish"], [arn.format("sns", "chat-media-events")]),
            _statement(["sqs:SendMessage"], [arn.format("sqs", "chat-media-failures")]),
        ], [BASIC_EXECUTION]),
        ("chat-cleanup-role", "Deletes expired messages", [
            _statement(["dynamodb:Scan", "dynamodb:BatchWriteItem"], [table]),
        ], [BASIC_EXECUTION]),
        # Over-privileged on purpose (see FLAWS): a moderation tool given admin "for now".
        ("chat-admin-role", "Moderation API", [], [ADMINISTRATOR_ACCESS]),
        # Wildcard inline policy: every DynamoDB action on every table.
        ("chat-analytics-role", "Aggregates click-stream counters", [
            _statement(["kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream",
                        "kinesis:ListShards"], [arn.format("kinesis", "stream/chat-clickstream")]),
            _statement("dynamodb:*", "*"),
        ], [BASIC_EXECUTION]),
        # Can create a function running as any role it passes: privilege escalation.
        ("chat-infra-deployer-role", "Deploys preview functions on infra pushes", [
            _statement(["iam:PassRole"], "*"),
            _statement(["lambda:CreateFunction", "lambda:UpdateFunctionCode"], "*"),
            _statement(["codecommit:GetDifferences", "codecommit:GetFile"],
                       [arn.format("codecommit", "chat-infra")]),
        ], [BASIC_EXECUTION]),
    ]


def _create_roles(iam, account, region, tags):
    roles = {}
    for name, description, statements, managed in _role_specs(account, region):
        # A role belongs to the stack of the (first) function it runs.
        stack = next(spec[1] for spec in FUNCTIONS if spec[3] == name)
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ASSUME_LAMBDA,
                               Description=description, Tags=_tag_list(tags(stack)))["Role"]
        if statements:
            document = {"Version": "2012-10-17", "Statement": statements}
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy",
                                PolicyDocument=json.dumps(document))
        for policy_arn in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        roles[name] = role["Arn"]
    return roles


# ---------------------------------------------------------------- functions

def handler_zip(runtime):
    """A tiny package that echoes its event: the same bytes (and CodeSha256) on every run."""
    if runtime.startswith("nodejs"):
        name, source = "index.mjs", "export const handler = async (event) => event;\n"
    else:
        name, source = "index.py", "def handler(event, context):\n    return event\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), source)
    return buffer.getvalue()


# Environment variable values are harmless placeholders; the secret-looking ones are there to
# prove Flowscope exports names only.
FUNCTIONS = [
    # name, stack, team, role, runtime, memory MB, timeout s, architecture, environment
    ("chat-connect", "chat-realtime", "realtime", "chat-realtime-connections-role", "python3.12",
     256, 10, "arm64", {"CONNECTIONS_TABLE": "chat-connections", "LOG_LEVEL": "INFO"}),
    ("chat-disconnect", "chat-realtime", "realtime", "chat-realtime-connections-role",
     "python3.12", 256, 10, "arm64", {"CONNECTIONS_TABLE": "chat-connections"}),
    ("chat-message", "chat-realtime", "realtime", "chat-realtime-connections-role", "nodejs20.x",
     512, 15, "arm64", {"MESSAGES_TABLE": DEMO_TABLE, "MAX_MESSAGE_BYTES": "8192",
                        "NODE_OPTIONS": "--enable-source-maps"}),
    ("chat-fanout", "chat-realtime", "realtime", "chat-fanout-role", "python3.12", 256, 30,
     "arm64", {"FANOUT_TOPIC_ARN": "demo-fanout-topic-placeholder",
               "POWERTOOLS_SERVICE_NAME": "fanout"}),
    ("chat-delivery-worker", "chat-realtime", "realtime", "chat-delivery-role", "nodejs20.x", 512,
     60, "x86_64", {"WEBSOCKET_ENDPOINT": "demo-websocket-endpoint-placeholder",
                    "PUSH_SIGNING_KEY": "demo-signing-key-not-a-secret-4c1d"}),
    ("chat-notify", "chat-realtime", "realtime", "chat-notify-role", "python3.12", 128, 10,
     "arm64", {"PUSH_PROVIDER_TOKEN": "demo-push-token-not-a-secret-93be", "LOG_LEVEL": "WARNING"}),
    ("chat-history", "chat-realtime", "realtime", "chat-history-role", "python3.12", 512, 29,
     "arm64", {"MESSAGES_TABLE": DEMO_TABLE, "PAGE_SIZE": "50"}),
    ("chat-authorizer", "chat-realtime", "realtime", "chat-authorizer-role", "nodejs20.x", 256, 5,
     "arm64", {"JWT_SECRET": "demo-jwt-secret-not-a-secret-5e7a", "JWT_ISSUER": "demo-issuer"}),
    ("chat-thumbnailer", "chat-media", "media", "chat-thumbnailer-role", "python3.12", 1536, 120,
     "arm64", {"THUMBNAIL_SIZES": "64,256,1024", "OUTPUT_PREFIX": "thumbnails/"}),
    ("chat-analytics", "chat-media", "media", "chat-analytics-role", "python3.12", 1024, 300,
     "x86_64", {"COUNTERS_TABLE": "chat-counters",
                "METRICS_API_KEY": "demo-metrics-key-not-a-secret-a61f"}),
    ("chat-admin", "chat-ops", "platform", "chat-admin-role", "python3.12", 512, 30, "x86_64",
     {"ADMIN_GROUP": "moderators", "AUDIT_WEBHOOK_URL": "https://hooks.example.invalid/demo-a7d2"}),
    ("chat-status", "chat-ops", "platform", "chat-status-role", "nodejs20.x", 128, 3, "arm64",
     {"STATUS_PAGE_TITLE": "Chat status"}),
    ("chat-web", "chat-ops", "platform", "chat-web-role", "nodejs20.x", 256, 10, "arm64",
     {"ASSET_BUCKET": "chat-uploads", "SESSION_SECRET": "demo-session-secret-not-a-secret-0b9e"}),
    ("chat-infra-notifier", "chat-ops", "platform", "chat-infra-deployer-role", "python3.12", 256,
     120, "x86_64", {"CHAT_WEBHOOK_URL": "https://hooks.example.invalid/demo-c3f8",
                     "PREVIEW_ROLE_ARN": "demo-preview-role-placeholder"}),
    ("chat-cleanup", "chat-ops", "platform", "chat-cleanup-role", "python3.12", 256, 900,
     "arm64", {"MESSAGES_TABLE": DEMO_TABLE, "RETENTION_DAYS": "30"}),
]


def _create_functions(lam, roles):
    functions = {}
    packages = {}
    for name, stack, team, role, runtime, memory, timeout, architecture, variables in FUNCTIONS:
        package = packages.setdefault(runtime, handler_zip(runtime))
        logical_id = "".join(part.title() for part in name.split("-")[1:]) + "Function"
        fn = lam.create_function(
            FunctionName=name, Runtime=runtime, Role=roles[role], Handler="index.handler",
            Code={"ZipFile": package}, MemorySize=memory, Timeout=timeout,
            Architectures=[architecture], Description=f"Chat app: {name.removeprefix('chat-')}",
            Environment={"Variables": variables},
            Tags={STACK_TAG: stack, LOGICAL_ID_TAG: logical_id, "team": team, "app": "chat"},
        )
        functions[name] = fn["FunctionArn"]
    return functions


def _allow(lam, function, sid, principal, source_arn=None, account=None):
    extra = {}
    if source_arn:
        extra["SourceArn"] = source_arn
    if account:
        extra["SourceAccount"] = account
    lam.add_permission(FunctionName=function, StatementId=sid, Action="lambda:InvokeFunction",
                       Principal=principal, **extra)


def _invocation_uri(region, function_arn):
    return (f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}"
            "/invocations")


# ---------------------------------------------------------------- the pieces of the app

def _websocket_api(client, region, account, functions):
    apis = client("apigatewayv2")
    lam = client("lambda")
    api = apis.create_api(Name="chat-websocket", ProtocolType="WEBSOCKET",
                          RouteSelectionExpression="$request.body.action",
                          Tags={"app": "chat", STACK_TAG: "chat-realtime"})
    api_id = api["ApiId"]
    integrations = {}
    routes = {"$connect": "chat-connect", "$disconnect": "chat-disconnect",
              "$default": "chat-message", "sendMessage": "chat-message"}
    for route_key, function in routes.items():
        if function not in integrations:
            integrations[function] = apis.create_integration(
                ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationMethod="POST",
                IntegrationUri=_invocation_uri(region, functions[function]))["IntegrationId"]
        apis.create_route(ApiId=api_id, RouteKey=route_key,
                          Target=f"integrations/{integrations[function]}")
        sid = "websocket-" + route_key.strip("$").lower()
        _allow(lam, function, sid, "apigateway.amazonaws.com",
               f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{route_key}")
    apis.create_stage(ApiId=api_id, StageName="production")
    return api_id


def _http_api(client, region, account, functions):
    apis = client("apigatewayv2")
    api_id = apis.create_api(Name="chat-http", ProtocolType="HTTP",
                             Tags={"app": "chat", STACK_TAG: "chat-ops"})["ApiId"]
    integration = apis.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=functions["chat-status"],
        PayloadFormatVersion="2.0")["IntegrationId"]
    apis.create_route(ApiId=api_id, RouteKey="GET /status", Target=f"integrations/{integration}")
    apis.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    lam = client("lambda")
    _allow(lam, "chat-status", "http-api-status", "apigateway.amazonaws.com",
           f"arn:aws:execute-api:{region}:{account}:{api_id}/*/GET/status")
    # The public permission (see FLAWS): no principal restriction, no source condition.
    _allow(lam, "chat-status", "debug-public-invoke", "*")
    return api_id


REST_METHODS = [
    # path, method, function
    ("/messages", "GET", "chat-history"),
    ("/messages", "POST", "chat-history"),
    ("/messages", "OPTIONS", "chat-history"),
    ("/messages/{id}", "GET", "chat-history"),
    ("/messages/{id}", "PATCH", "chat-admin"),
    ("/messages/{id}", "DELETE", "chat-admin"),
    ("/health", "ANY", "chat-admin"),
]


def _rest_api(client, region, account, functions):
    rest = client("apigateway")
    lam = client("lambda")
    api_id = rest.create_rest_api(name="chat-rest", description="Message history and moderation",
                                  endpointConfiguration={"types": ["REGIONAL"]},
                                  tags={"app": "chat", STACK_TAG: "chat-realtime"})["id"]
    authorizer_id = rest.create_authorizer(
        restApiId=api_id, name="chat-token-authorizer", type="TOKEN",
        authorizerUri=_invocation_uri(region, functions["chat-authorizer"]),
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=300)["id"]
    _allow(lam, "chat-authorizer", "rest-authorizer", "apigateway.amazonaws.com",
           f"arn:aws:execute-api:{region}:{account}:{api_id}/authorizers/{authorizer_id}")

    root = next(r["id"] for r in rest.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resources = {"/": root}
    for path in ("/messages", "/messages/{id}", "/health"):
        parent, _, part = path.rpartition("/")
        resources[path] = rest.create_resource(restApiId=api_id, parentId=resources[parent or "/"],
                                               pathPart=part)["id"]
    for path, method, function in REST_METHODS:
        # CORS preflight must pass unauthenticated; every other method needs a token.
        auth = {"authorizationType": "NONE"} if method == "OPTIONS" else {
            "authorizationType": "CUSTOM", "authorizerId": authorizer_id}
        rest.put_method(restApiId=api_id, resourceId=resources[path], httpMethod=method, **auth)
        rest.put_integration(restApiId=api_id, resourceId=resources[path], httpMethod=method,
                             type="AWS_PROXY", integrationHttpMethod="POST",
                             uri=_invocation_uri(region, functions[function]))
        route = path.replace("{id}", "*").lstrip("/")
        method_part = "*" if method == "ANY" else method
        _allow(lam, function, f"rest-{method.lower()}-{route.replace('/', '-').replace('*', 'id')}",
               "apigateway.amazonaws.com",
               f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{method_part}/{route}")
    rest.create_deployment(restApiId=api_id, stageName="prod", description="demo deployment")
    return api_id, authorizer_id


def _messaging(client, region, account, functions, tags):
    """DynamoDB stream -> fan-out -> SNS -> SQS (with DLQ) -> worker; SNS -> notify."""
    dynamodb = client("dynamodb")
    sns = client("sns")
    sqs = client("sqs")
    lam = client("lambda")

    table = dynamodb.create_table(
        TableName=DEMO_TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "room", "AttributeType": "S"},
                              {"AttributeName": "sent_at", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "room", "KeyType": "HASH"},
                   {"AttributeName": "sent_at", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        Tags=_tag_list(tags("chat-realtime")),
    )["TableDescription"]
    stream_arn = table["LatestStreamArn"]
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName="chat-fanout", StartingPosition="TRIM_HORIZON",
        BatchSize=100, MaximumBatchingWindowInSeconds=1, MaximumRetryAttempts=3,
        BisectBatchOnFunctionError=True,
        # Edits and deletes are not re-broadcast: only new messages fan out.
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]})

    topic_arn = sns.create_topic(Name="chat-fanout",
                                 Tags=_tag_list(tags("chat-realtime")))["TopicArn"]

    dlq_url = sqs.create_queue(QueueName="chat-delivery-dlq", Attributes={
        "MessageRetentionPeriod": "1209600"}, tags=tags("chat-realtime"))["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:{region}:{account}:chat-delivery-dlq"
    queue_arn = f"arn:aws:sqs:{region}:{account}:chat-delivery"
    queue_url = sqs.create_queue(QueueName="chat-delivery", tags=tags("chat-realtime"), Attributes={
        "VisibilityTimeout": "360",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
        "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "fanout-topic", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}),
    })["QueueUrl"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName="chat-delivery-worker", BatchSize=25,
        MaximumBatchingWindowInSeconds=5, FunctionResponseTypes=["ReportBatchItemFailures"],
        FilterCriteria={"Filters": [
            {"Pattern": json.dumps({"body": {"type": ["message", "edit"]}})}]})

    # No add_permission for this one: the deliberately missing permission (see FLAWS).
    sns.subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=functions["chat-notify"],
                  Attributes={"FilterPolicy": json.dumps({"mentions": [{"exists": True}]})})
    return {"table": table["TableArn"], "table_stream": stream_arn, "topic": topic_arn,
            "queue": queue_arn, "queue_url": queue_url, "dlq": dlq_arn, "dlq_url": dlq_url}


def _media(client, region, account, functions, tags):
    """S3 uploads -> thumbnailer (with destinations) and -> exports queue; Kinesis -> analytics."""
    s3 = client("s3")
    sns = client("sns")
    sqs = client("sqs")
    kinesis = client("kinesis")
    lam = client("lambda")

    events_topic = sns.create_topic(Name="chat-media-events")["TopicArn"]
    failures_arn = f"arn:aws:sqs:{region}:{account}:chat-media-failures"
    sqs.create_queue(QueueName="chat-media-failures", tags=tags("chat-media"))
    exports_arn = f"arn:aws:sqs:{region}:{account}:chat-exports"
    sqs.create_queue(QueueName="chat-exports", tags=tags("chat-media"), Attributes={
        "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": exports_arn,
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::chat-uploads"}}}]})})

    bucket = "chat-uploads"
    create = {} if region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **create)
    # S3 refuses "aws:" tags from callers (only CloudFormation itself may set them).
    user_tags = {k: v for k, v in tags("chat-media").items() if not k.startswith("aws:")}
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tag_list(user_tags)})
    bucket_arn = f"arn:aws:s3:::{bucket}"
    # The permission must exist before S3 accepts the notification configuration.
    _allow(lam, "chat-thumbnailer", "s3-chat-uploads", "s3.amazonaws.com", bucket_arn, account)
    # The stale permission (see FLAWS).
    _allow(lam, "chat-thumbnailer", FLAWS["stale_permission"]["sid"], "s3.amazonaws.com",
           FLAWS["stale_permission"]["source_arn"], account)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{
            "Id": "thumbnail-jpeg-uploads", "LambdaFunctionArn": functions["chat-thumbnailer"],
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"},
                                               {"Name": "suffix", "Value": ".jpg"}]}},
        }],
        "QueueConfigurations": [{
            "Id": "queue-exports", "QueueArn": exports_arn, "Events": ["s3:ObjectCreated:Put"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "exports/"}]}},
        }],
    })
    lam.put_function_event_invoke_config(
        FunctionName="chat-thumbnailer", MaximumRetryAttempts=1, MaximumEventAgeInSeconds=3600,
        DestinationConfig={"OnSuccess": {"Destination": events_topic},
                           "OnFailure": {"Destination": failures_arn}})

    kinesis.create_stream(StreamName="chat-clickstream", ShardCount=2)
    stream_arn = kinesis.describe_stream_summary(
        StreamName="chat-clickstream")["StreamDescriptionSummary"]["StreamARN"]
    kinesis.add_tags_to_stream(StreamName="chat-clickstream", Tags=tags("chat-media"))
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName="chat-analytics", StartingPosition="LATEST",
        BatchSize=500, MaximumBatchingWindowInSeconds=10, ParallelizationFactor=2)
    return {"bucket": bucket_arn, "media_events_topic": events_topic,
            "media_failures_queue": failures_arn, "exports_queue": exports_arn,
            "clickstream": stream_arn}


def _load_balancer(client, region, account, functions, tags):
    ec2 = client("ec2")
    elb = client("elbv2")
    lam = client("lambda")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24",
                                 AvailabilityZone=f"{region}{zone}")["Subnet"]["SubnetId"]
               for i, zone in enumerate("ab")]
    group = ec2.create_security_group(GroupName="chat-alb", Description="chat ALB",
                                      VpcId=vpc)["GroupId"]
    alb = elb.create_load_balancer(Name="chat-alb", Subnets=subnets, SecurityGroups=[group],
                                   Scheme="internet-facing", Type="application",
                                   Tags=_tag_list(tags("chat-ops"))
                                   )["LoadBalancers"][0]["LoadBalancerArn"]
    groups = {}
    for name, function in (("chat-admin-tg", "chat-admin"), ("chat-web-tg", "chat-web")):
        target_group = elb.create_target_group(Name=name, TargetType="lambda")["TargetGroups"][0]
        groups[name] = target_group["TargetGroupArn"]
        # AWS refuses to register a function the load balancer may not invoke: permission first.
        _allow(lam, function, f"alb-{name}", "elasticloadbalancing.amazonaws.com",
               target_group["TargetGroupArn"])
        elb.register_targets(TargetGroupArn=target_group["TargetGroupArn"],
                             Targets=[{"Id": functions[function]}])
    listener = elb.create_listener(
        LoadBalancerArn=alb, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": groups["chat-web-tg"]}],
    )["Listeners"][0]["ListenerArn"]
    elb.create_rule(ListenerArn=listener, Priority=10,
                    Conditions=[{"Field": "path-pattern",
                                 "PathPatternConfig": {"Values": ["/admin/*"]}}],
                    Actions=[{"Type": "forward", "TargetGroupArn": groups["chat-admin-tg"]}])
    return {"load_balancer": alb, "listener": listener, "target_groups": groups}


def _operations(client, region, account, functions, tags):
    """CodeCommit triggers and the nightly cleanup schedule."""
    codecommit = client("codecommit")
    sns = client("sns")
    events = client("events")
    lam = client("lambda")

    ops_topic = sns.create_topic(Name="chat-ops-events")["TopicArn"]
    repository = codecommit.create_repository(
        repositoryName="chat-infra",
        repositoryDescription="Infrastructure as code for the chat app",
        tags=tags("chat-ops"))["repositoryMetadata"]["Arn"]
    _allow(lam, "chat-infra-notifier", "codecommit-chat-infra", "codecommit.amazonaws.com",
           repository, account)
    codecommit.put_repository_triggers(repositoryName="chat-infra", triggers=[
        {"name": "deploy-previews", "destinationArn": functions["chat-infra-notifier"],
         "customData": "preview", "branches": [], "events": ["createReference", "updateReference"]},
        {"name": "main-branch-alerts", "destinationArn": ops_topic, "branches": ["main"],
         "events": ["all"]},
    ])

    rule = events.put_rule(Name="chat-nightly-cleanup", ScheduleExpression="cron(0 3 * * ? *)",
                           State="ENABLED", Description="Delete messages past retention",
                           Tags=_tag_list(tags("chat-ops"))
                           )["RuleArn"]
    events.put_targets(Rule="chat-nightly-cleanup", Targets=[
        {"Id": "cleanup", "Arn": functions["chat-cleanup"],
         "Input": json.dumps({"retention_days": 30})}])
    _allow(lam, "chat-cleanup", "events-nightly-cleanup", "events.amazonaws.com", rule)
    return {"repository": repository, "ops_topic": ops_topic, "rule": rule}


# ---------------------------------------------------------------- entry point

def _require_emulator(endpoint_url):
    # The fake credentials below would be refused by AWS anyway; this says why, up front.
    host = (urlparse(endpoint_url or "").hostname or "").lower()
    if not host or host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws")):
        raise ValueError(f"seed_demo writes only to an emulator endpoint, not {endpoint_url!r}")


def seed_demo(endpoint_url, region="us-east-1"):
    """Create the demo chat app in the emulator at ``endpoint_url``; return what was made.

    Expects an emptied emulator (a new one, or one just reset): running it twice against the
    same emulator raises DemoAlreadySeeded rather than creating duplicate APIs.
    """
    _require_emulator(endpoint_url)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            aws_session_token="testing", region_name=region)

    def client(service):
        return session.client(service, region_name=region, endpoint_url=endpoint_url)

    account = client("sts").get_caller_identity()["Account"]
    if DEMO_TABLE in client("dynamodb").list_tables()["TableNames"]:
        raise DemoAlreadySeeded(f"the demo already exists at {endpoint_url}; "
                                "reset the emulator first")

    def tags(stack):
        team = {"chat-realtime": "realtime", "chat-media": "media", "chat-ops": "platform"}[stack]
        return {"app": "chat", "team": team, STACK_TAG: stack}

    roles = _create_roles(client("iam"), account, region, tags)
    functions = _create_functions(client("lambda"), roles)
    summary = {"account": account, "region": region, "roles": roles, "functions": functions,
               "flaws": copy.deepcopy(FLAWS)}
    summary["websocket_api"] = _websocket_api(client, region, account, functions)
    summary["http_api"] = _http_api(client, region, account, functions)
    summary["rest_api"], summary["rest_authorizer"] = _rest_api(client, region, account, functions)
    summary.update(_messaging(client, region, account, functions, tags))
    summary.update(_media(client, region, account, functions, tags))
    summary.update(_load_balancer(client, region, account, functions, tags))
    summary.update(_operations(client, region, account, functions, tags))
    return summary
