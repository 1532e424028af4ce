"""Lambda: functions, event source mappings, destinations, dead-letter queues, roles, policies."""
import json

from botocore.exceptions import ClientError

from ..arns import node_identity, split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node, is_not_found, tags_by_arn

STACK_TAG = "aws:cloudformation:stack-name"
ESM_KIND_BY_SERVICE = {"sqs": EdgeKind.SQS, "kinesis": EdgeKind.KINESIS,
                       "dynamodb": EdgeKind.DYNAMODB_STREAM}


def get_functions(client):
    pages = client.get_paginator("list_functions").paginate()
    return [fn for page in pages for fn in page["Functions"]]


def get_event_source_mappings(client):
    pages = client.get_paginator("list_event_source_mappings").paginate()
    return [m for page in pages for m in page["EventSourceMappings"]]


def get_tags(ctx, functions):
    """Tags of every function: one paginated Resource Groups Tagging call instead of one per
    function; falls back to ListTags per function where the tagging API is not allowed."""
    try:
        tags = {}
        for arn, found in tags_by_arn(ctx, "lambda:function").items():
            function, _ = split_function_arn(arn)
            tags[function or arn] = found
        return tags
    except ClientError as exc:
        # Not a failure: the same tags come from one ListTags per function instead.
        ctx.note("TagsFromListTags", f"tag:GetResources refused, reading tags per function: {exc}")
    client = ctx.client("lambda")
    tags = {}
    for fn in functions:
        try:
            tags[fn["FunctionArn"]] = client.list_tags(Resource=fn["FunctionArn"]).get("Tags", {})
        except ClientError as exc:
            if not is_not_found(exc):
                ctx.warn(exc, resource=fn["FunctionArn"])
    return tags


def get_policy(client, function_name):
    """(policy document, error): no policy at all is an empty document, not an error."""
    try:
        return json.loads(client.get_policy(FunctionName=function_name)["Policy"]), None
    except ClientError as exc:
        if is_not_found(exc):
            return {}, None
        return None, exc
    except ValueError as exc:
        return None, exc


def get_event_invoke_configs(client, function_name):
    pages = client.get_paginator("list_function_event_invoke_configs").paginate(FunctionName=function_name)
    return [c for page in pages for c in page.get("FunctionEventInvokeConfigs", [])]


def transform_function(fn, tags, region, account):
    arn, _ = split_function_arn(fn["FunctionArn"])
    arn = arn or fn["FunctionArn"]
    logging_config = fn.get("LoggingConfig") or {}
    attributes = {
        "runtime": fn.get("Runtime"),
        "handler": fn.get("Handler"),
        "package_type": fn.get("PackageType", "Zip"),
        "memory_size": fn.get("MemorySize"),
        "timeout": fn.get("Timeout"),
        "ephemeral_storage": (fn.get("EphemeralStorage") or {}).get("Size"),
        "role": fn.get("Role"),
        "architectures": fn.get("Architectures", ["x86_64"]),
        "description": fn.get("Description", ""),
        "last_modified": fn.get("LastModified"),
        "code_size": fn.get("CodeSize"),
        # Names only: values may hold secrets and never leave AWS through Flowscope.
        "environment_variables": sorted(((fn.get("Environment") or {}).get("Variables") or {}).keys()),
        "layers": [layer.get("Arn") for layer in fn.get("Layers", [])],
        "tracing": (fn.get("TracingConfig") or {}).get("Mode"),
        "log_group": logging_config.get("LogGroup") or f"/aws/lambda/{fn['FunctionName']}",
        "log_format": logging_config.get("LogFormat", "Text"),
        "vpc": bool((fn.get("VpcConfig") or {}).get("SubnetIds")),
        "tags": tags,
        "stack": tags.get(STACK_TAG),
    }
    node = Node(arn=arn, type=NodeType.LAMBDA_FUNCTION, name=fn["FunctionName"], region=region,
                account=account, attributes=attributes)
    # Values stay in memory only, to find the resources they name (flows/references.py).
    node.private["environment"] = dict(((fn.get("Environment") or {}).get("Variables") or {}))
    edges = []
    if fn.get("Role"):
        edges.append(EdgeRecord(source=arn, target=fn["Role"], kind=EdgeKind.EXECUTION_ROLE))
    dlq = (fn.get("DeadLetterConfig") or {}).get("TargetArn")
    if dlq:
        edges.append(EdgeRecord(source=arn, target=node_identity(dlq)[0], kind=EdgeKind.DEAD_LETTER,
                                key="function", attributes={"target_arn": dlq}))
    return node, edges


def transform_event_source_mapping(mapping):
    """An event source mapping as an edge, or (None, problem) for sources we do not graph."""
    source_arn = mapping.get("EventSourceArn")
    function_arn, qualifier = split_function_arn(mapping.get("FunctionArn"))
    if not source_arn or not function_arn:
        return None, "event source mapping without a source or function ARN"
    service = source_arn.split(":")[2] if source_arn.count(":") >= 5 else ""
    kind = ESM_KIND_BY_SERVICE.get(service)
    if kind is None:
        return None, f"event source {source_arn} ({service or 'unknown service'}) is not graphed"
    filters = [f.get("Pattern") for f in (mapping.get("FilterCriteria") or {}).get("Filters", [])]
    attributes = {
        "uuid": mapping.get("UUID"),
        "batch_size": mapping.get("BatchSize"),
        "maximum_batching_window_seconds": mapping.get("MaximumBatchingWindowInSeconds"),
        "filter_criteria": filters,
        "state": mapping.get("State"),
        "starting_position": mapping.get("StartingPosition"),
        "parallelization_factor": mapping.get("ParallelizationFactor"),
        "maximum_retry_attempts": mapping.get("MaximumRetryAttempts"),
        "bisect_batch_on_function_error": mapping.get("BisectBatchOnFunctionError"),
        "function_response_types": mapping.get("FunctionResponseTypes", []),
        "event_source_arn": source_arn,
    }
    if mapping.get("StartingPositionTimestamp"):
        attributes["starting_position_timestamp"] = str(mapping["StartingPositionTimestamp"])
    if qualifier:
        attributes["alias"] = qualifier
    attributes = {k: v for k, v in attributes.items() if v is not None}
    edge = EdgeRecord(source=node_identity(source_arn)[0], target=function_arn, kind=kind,
                      key=mapping.get("UUID", ""), attributes=attributes)
    on_failure = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    extra = []
    if on_failure:
        extra.append(EdgeRecord(source=function_arn, target=node_identity(on_failure)[0],
                                kind=EdgeKind.DESTINATION, key=f"esm:{mapping.get('UUID')}",
                                attributes={"condition": "on_failure", "event_source_mapping":
                                            mapping.get("UUID"), "target_arn": on_failure}))
    return [edge, *extra], None


def transform_event_invoke_configs(function_arn, configs):
    edges = []
    for config in configs:
        _, qualifier = split_function_arn(config.get("FunctionArn"))
        destinations = config.get("DestinationConfig") or {}
        for condition, key in (("on_success", "OnSuccess"), ("on_failure", "OnFailure")):
            target = (destinations.get(key) or {}).get("Destination")
            if not target:
                continue
            attributes = {"condition": condition, "target_arn": target,
                          "maximum_retry_attempts": config.get("MaximumRetryAttempts"),
                          "maximum_event_age_seconds": config.get("MaximumEventAgeInSeconds")}
            if qualifier:
                attributes["qualifier"] = qualifier
            edges.append(EdgeRecord(
                source=function_arn, target=node_identity(target)[0], kind=EdgeKind.DESTINATION,
                key=f"{condition}:{qualifier or '$LATEST'}",
                attributes={k: v for k, v in attributes.items() if v is not None}))
    return edges


def collect(ctx):
    """Lambda functions with their roles, DLQs, destinations, resource policies and ESMs."""
    client = ctx.client("lambda")
    functions = get_functions(client)
    tags = get_tags(ctx, functions)
    for fn in functions:
        node, edges = transform_function(fn, tags.get(split_function_arn(fn["FunctionArn"])[0], {}),
                                         ctx.region, ctx.account)
        policy, error = get_policy(client, fn["FunctionName"])
        if error is not None:
            ctx.warn(error, resource=node.arn)
            node.attributes["resource_policy_error"] = str(error)
        node.attributes["resource_policy"] = policy
        try:
            edges += transform_event_invoke_configs(node.arn, get_event_invoke_configs(client, fn["FunctionName"]))
        except ClientError as exc:
            if not is_not_found(exc):
                ctx.warn(exc, resource=node.arn)
        ctx.add([node], edges)

    for mapping in get_event_source_mappings(client):
        edges, problem = transform_event_source_mapping(mapping)
        if problem:
            ctx.note("UnsupportedEventSource", problem, resource=mapping.get("UUID"))
            continue
        ctx.add((), edges)
