"""The demo's Lambda functions, their packages, and the permission helpers triggers use."""
import io
import zipfile

from .common import DEMO_TABLE, LOGICAL_ID_TAG, STACK_TAG


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


def create_functions(lam, roles):
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


def allow(lam, function, sid, principal, source_arn=None, account=None):
    extra = {}
    if source_arn:
        extra["SourceArn"] = source_arn
    if account:
        extra["SourceAccount"] = account
    lam.add_permission(FunctionName=function, StatementId=sid, Action="lambda:InvokeFunction",
                       Principal=principal, **extra)


def invocation_uri(region, function_arn):
    return (f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}"
            "/invocations")

