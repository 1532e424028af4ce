"""The pieces of the demo app around its functions: APIs, messaging, media, load balancer, ops."""
import json

from .common import DEMO_TABLE, FLAWS, STACK_TAG, tag_list
from .functions import allow, invocation_uri


def websocket_api(client, region, account, functions):
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
                IntegrationUri=invocation_uri(region, functions[function]))["IntegrationId"]
        apis.create_route(ApiId=api_id, RouteKey=route_key,
                          Target=f"integrations/{integrations[function]}")
        sid = "websocket-" + route_key.strip("$").lower()
        allow(lam, function, sid, "apigateway.amazonaws.com",
               f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{route_key}")
    apis.create_stage(ApiId=api_id, StageName="production")
    return api_id


def http_api(client, region, account, functions):
    apis = client("apigatewayv2")
    api_id = apis.create_api(Name="chat-http", ProtocolType="HTTP",
                             Tags={"app": "chat", STACK_TAG: "chat-ops"})["ApiId"]
    integration = apis.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=functions["chat-status"],
        PayloadFormatVersion="2.0")["IntegrationId"]
    apis.create_route(ApiId=api_id, RouteKey="GET /status", Target=f"integrations/{integration}")
    apis.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    lam = client("lambda")
    allow(lam, "chat-status", "http-api-status", "apigateway.amazonaws.com",
           f"arn:aws:execute-api:{region}:{account}:{api_id}/*/GET/status")
    # The public permission (see FLAWS): no principal restriction, no source condition.
    allow(lam, "chat-status", "debug-public-invoke", "*")
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


def rest_api(client, region, account, functions):
    rest = client("apigateway")
    lam = client("lambda")
    api_id = rest.create_rest_api(name="chat-rest", description="Message history and moderation",
                                  endpointConfiguration={"types": ["REGIONAL"]},
                                  tags={"app": "chat", STACK_TAG: "chat-realtime"})["id"]
    authorizer_id = rest.create_authorizer(
        restApiId=api_id, name="chat-token-authorizer", type="TOKEN",
        authorizerUri=invocation_uri(region, functions["chat-authorizer"]),
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=300)["id"]
    allow(lam, "chat-authorizer", "rest-authorizer", "apigateway.amazonaws.com",
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
                             uri=invocation_uri(region, functions[function]))
        route = path.replace("{id}", "*").lstrip("/")
        method_part = "*" if method == "ANY" else method
        allow(lam, function, f"rest-{method.lower()}-{route.replace('/', '-').replace('*', 'id')}",
               "apigateway.amazonaws.com",
               f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{method_part}/{route}")
    rest.create_deployment(restApiId=api_id, stageName="prod", description="demo deployment")
    return api_id, authorizer_id


def messaging(client, region, account, functions, tags):
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
        Tags=tag_list(tags("chat-realtime")),
    )["TableDescription"]
    stream_arn = table["LatestStreamArn"]
    lam.create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName="chat-fanout", StartingPosition="TRIM_HORIZON",
        BatchSize=100, MaximumBatchingWindowInSeconds=1, MaximumRetryAttempts=3,
        BisectBatchOnFunctionError=True,
        # Edits and deletes are not re-broadcast: only new messages fan out.
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]})

    topic_arn = sns.create_topic(Name="chat-fanout",
                                 Tags=tag_list(tags("chat-realtime")))["TopicArn"]

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


def media(client, region, account, functions, tags):
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
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(user_tags)})
    bucket_arn = f"arn:aws:s3:::{bucket}"
    # The permission must exist before S3 accepts the notification configuration.
    allow(lam, "chat-thumbnailer", "s3-chat-uploads", "s3.amazonaws.com", bucket_arn, account)
    # The stale permission (see FLAWS).
    allow(lam, "chat-thumbnailer", FLAWS["stale_permission"]["sid"], "s3.amazonaws.com",
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


def load_balancer(client, region, account, functions, tags):
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
                                   Tags=tag_list(tags("chat-ops"))
                                   )["LoadBalancers"][0]["LoadBalancerArn"]
    groups = {}
    for name, function in (("chat-admin-tg", "chat-admin"), ("chat-web-tg", "chat-web")):
        target_group = elb.create_target_group(Name=name, TargetType="lambda")["TargetGroups"][0]
        groups[name] = target_group["TargetGroupArn"]
        # AWS refuses to register a function the load balancer may not invoke: permission first.
        allow(lam, function, f"alb-{name}", "elasticloadbalancing.amazonaws.com",
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


def operations(client, region, account, functions, tags):
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
    allow(lam, "chat-infra-notifier", "codecommit-chat-infra", "codecommit.amazonaws.com",
           repository, account)
    codecommit.put_repository_triggers(repositoryName="chat-infra", triggers=[
        {"name": "deploy-previews", "destinationArn": functions["chat-infra-notifier"],
         "customData": "preview", "branches": [], "events": ["createReference", "updateReference"]},
        {"name": "main-branch-alerts", "destinationArn": ops_topic, "branches": ["main"],
         "events": ["all"]},
    ])

    rule = events.put_rule(Name="chat-nightly-cleanup", ScheduleExpression="cron(0 3 * * ? *)",
                           State="ENABLED", Description="Delete messages past retention",
                           Tags=tag_list(tags("chat-ops"))
                           )["RuleArn"]
    events.put_targets(Rule="chat-nightly-cleanup", Targets=[
        {"Id": "cleanup", "Arn": functions["chat-cleanup"],
         "Input": json.dumps({"retention_days": 30})}])
    allow(lam, "chat-cleanup", "events-nightly-cleanup", "events.amazonaws.com", rule)
    return {"repository": repository, "ops_topic": ops_topic, "rule": rule}

