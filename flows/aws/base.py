"""What every collector shares: the context it runs in, and how AWS errors are classified."""
import threading
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from botocore.parsers import ResponseParserError

from ..graph import EdgeRecord, GraphBuilder, Node  # noqa: F401  (re-exported for collectors)

# Error codes meaning "this resource is gone": it was deleted between list and describe.
NOT_FOUND_CODES = frozenset({
    "ResourceNotFoundException", "NotFoundException", "NotFound", "NoSuchBucket",
    "NoSuchEntity", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
    "RepositoryDoesNotExistException", "LoadBalancerNotFound", "ListenerNotFound",
    "TargetGroupNotFound", "ResourceNotFound", "StateMachineDoesNotExist", "RuleSetDoesNotExist",
    "RuleDoesNotExist",
})
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
})
UNSUPPORTED_CODES = frozenset({
    "UnsupportedOperation", "UnknownOperationException", "NotImplemented", "InvalidAction",
    "OptInRequired", "SubscriptionRequiredException",
})


def error_code(exc):
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") or str(
            exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "ClientError"))
    if isinstance(exc, EndpointConnectionError):
        return "EndpointConnectionError"
    return type(exc).__name__


def is_not_found(exc):
    return isinstance(exc, ClientError) and error_code(exc) in NOT_FOUND_CODES


def describe_error(exc, service=None):
    """A plain sentence for the user: what failed and what to do about it.

    ``service`` names the AWS service called, for errors that do not come from AWS itself.
    """
    code = error_code(exc)
    operation = getattr(exc, "operation_name", None)
    if isinstance(exc, ClientError) and code.isdigit():
        # No AWS error code, only an HTTP status: the answer came from something in between (a
        # proxy, a crashed emulator), and its body is often an HTML page, never worth showing.
        where = " ".join(part for part in (service, operation) if part)
        return {"code": code, "message": f"HTTP {code} from {where}".strip()}
    if isinstance(exc, ResponseParserError):
        return {"code": code, "message": (
            f"{service or 'The service'} answered something that is not an AWS response; "
            "check the endpoint (AWS_ENDPOINT_URL) and any proxy in between.")}
    message = str(exc)
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message") or message
    if code in ACCESS_DENIED_CODES:
        hint = "Flowscope's credentials lack a read permission; see policies/flowscope-readonly.json."
    elif code in UNSUPPORTED_CODES or isinstance(exc, EndpointConnectionError):
        hint = "The service or API is not available in this region or endpoint."
    else:
        hint = ""
    text = f"{operation}: {message}" if operation else message
    return {"code": code, "message": f"{text} {hint}".strip()}


@dataclass
class CollectContext:
    """Everything a collector needs: where to read, and where to put what it finds."""

    session: object
    account: str
    partition: str
    region: str                 # the region collected; global collectors get the home region
    origin: str                 # "collector:region", stamped on every node and edge found
    builder: GraphBuilder
    config: object
    client_lock: threading.Lock
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    resources_found: int = 0

    def client(self, service):
        # boto3 sessions are not thread-safe to create clients from; the clients themselves are.
        with self.client_lock:
            return self.session.client(service, region_name=self.region, config=self.config)

    def add(self, nodes=(), edges=()):
        nodes = list(nodes)
        self.resources_found += len(nodes)
        self.builder.add(self.origin, nodes, edges)

    def warn(self, exc, resource=None):
        """Record a non-fatal problem with one resource; the collector carries on."""
        service = self.origin.split(":")[0]
        entry = describe_error(exc, service) if isinstance(
            exc, (ClientError, BotoCoreError, ResponseParserError)) else {
            "code": type(exc).__name__, "message": str(exc)}
        if resource:
            entry["resource"] = resource
        self.warnings.append(entry)

    def note(self, code, message, resource=None):
        """Record something odd but harmless (an unknown shape kept raw); the run stays a success."""
        self.notes.append({"code": code, "message": message, "resource": resource, "level": "info"})

    def call_or_skip(self, fn, *args, resource=None, **kwargs):
        """Call fn; None if the resource vanished meanwhile (skipped cleanly, not an error)."""
        try:
            return fn(*args, **kwargs)
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise

    def offered(self, service):
        """Whether botocore knows ``service`` in this region; if not, say so in a note.

        Several of the services whose triggers we read (IoT, AppSync ...) exist in fewer regions
        than Lambda: asking one where it is absent fails to connect, which is not an error."""
        with self.client_lock:
            regions = self.session.get_available_regions(service, partition_name=self.partition)
        if not regions or self.region in regions:
            return True
        self.note("ServiceNotInRegion", f"{service} is not offered in {self.region}; nothing to read")
        return False

    def read(self, fn, *args, resource=None, **kwargs):
        """(result, refused) of one per-resource read: (None, False) when the resource vanished
        meanwhile (skip it), (None, True) when the read failed (warned; the caller marks what
        is missing and carries on)."""
        try:
            return fn(*args, **kwargs), False
        except ClientError as exc:
            if is_not_found(exc):
                return None, False
            self.warn(exc, resource=resource)
            return None, True

    def arn(self, service, resource, region=None):
        region = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"


def tags_by_arn(ctx, resource_type):
    """{ARN: {key: value}} for every resource of one type (e.g. "sqs:queue"), in one paginated
    Resource Groups Tagging call instead of one tag call per resource. Raises ClientError."""
    pages = ctx.client("resourcegroupstaggingapi").get_paginator("get_resources").paginate(
        ResourceTypeFilters=[resource_type])
    return {item["ResourceARN"]: {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            for page in pages for item in page.get("ResourceTagMappingList", [])}


def as_int(value):
    """An integer from an AWS attribute string, or None when absent or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
