"""The demo's IAM roles and policies, one per function (the shared one is a flaw)."""
import json

from .common import DEMO_TABLE, tag_list
from .functions import FUNCTIONS

ASSUME_LAMBDA = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


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


def create_roles(iam, account, region, tags):
    roles = {}
    for name, description, statements, managed in _role_specs(account, region):
        # A role belongs to the stack of the (first) function it runs.
        stack = next(spec[1] for spec in FUNCTIONS if spec[3] == name)
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ASSUME_LAMBDA,
                               Description=description, Tags=tag_list(tags(stack)))["Role"]
        if statements:
            document = {"Version": "2012-10-17", "Statement": statements}
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy",
                                PolicyDocument=json.dumps(document))
        for policy_arn in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        roles[name] = role["Arn"]
    return roles


# ---------------------------------------------------------------- functions
