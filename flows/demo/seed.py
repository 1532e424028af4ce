"""The demo account: a serverless chat app wired with every trigger Flowscope graphs.

``seed_demo`` builds it with plain boto3 against an emulator endpoint (never a real
account: it uses fake credentials and refuses AWS endpoints). The architecture, in three
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
    infra notifier and an SNS topic; an EventBridge schedule -> cleanup, and a weekly one ->
    cleanup's ``live`` alias (permitted on the alias); status also answers on a function URL.
chat-realtime, moderation
    EventBridge ``chat-message-flagged`` -> state machine ``chat-moderation``, whose tasks run
    history, then in parallel notify (waiting for a task token) and cleanup.

Deliberate flaws, so the consistency check and the IAM audit have something to find, are
listed in ``FLAWS`` and returned in the summary.
"""
import copy
from urllib.parse import urlparse

import boto3

from .architecture import resources, workflows
from .architecture.common import DEMO_TABLE, FLAWS, STACK_TAG
from .architecture.functions import create_functions
from .architecture.roles import create_roles


class DemoAlreadySeeded(RuntimeError):
    pass


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

    roles = create_roles(client("iam"), account, region, tags)
    functions = create_functions(client("lambda"), roles)
    summary = {"account": account, "region": region, "roles": roles, "functions": functions,
               "flaws": copy.deepcopy(FLAWS)}
    summary["websocket_api"] = resources.websocket_api(client, region, account, functions)
    summary["http_api"] = resources.http_api(client, region, account, functions)
    summary["rest_api"], summary["rest_authorizer"] = resources.rest_api(client, region, account, functions)
    summary.update(resources.messaging(client, region, account, functions, tags))
    summary.update(resources.media(client, region, account, functions, tags))
    summary.update(resources.load_balancer(client, region, account, functions, tags))
    summary.update(resources.operations(client, region, account, functions, tags))
    summary["function_url"] = workflows.function_url(client, functions)
    summary.update(workflows.alias_schedule(client, region, account, functions, tags))
    summary.update(workflows.moderation(client, region, account, functions, tags))
    return summary
