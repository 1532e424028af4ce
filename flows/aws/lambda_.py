"""Lambda: functions, aliases, function URLs, event source mappings, destinations, dead-letter
queues, roles, resource policies (the function's and each alias's own)."""
import json
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from ..arns import event_source_identity, node_identity, split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node, is_not_found, tags_by_arn

STACK_TAG = "aws:cloudformation:stack-name"


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


def get_policy(client, function_name, qualifier=None):
    """(policy document, error): no policy at all is an empty document, not an error."""
    try:
        extra = {"Qualifier": qualifier} if qualifier else {}
        return json.loads(client.get_policy(FunctionName=function_name, **extra)["Policy"]), None
    except ClientError as exc:
        if is_not_found(exc):
            return {}, None
        return None, exc
    except ValueError as exc:
        return None, exc


def get_aliases(client, function_name):
    pages = client.get_paginator("list_aliases").paginate(FunctionName=function_name)
    return [alias for page in pages for alias in page.get("Aliases", [])]


def get_function_url_config(client, function_name, qualifier=None):
    """The URL configuration of the function (or of one alias), or None when it has no URL.

    GetFunctionUrlConfig per function and alias: ListFunctionUrlConfigs would read them in one
    call, but not every endpoint serves it (the emulator does not)."""
    try:
        extra = {"Qualifier": qualifier} if qualifier else {}
        response = client.get_function_url_config(FunctionName=function_name, **extra)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    response.pop("ResponseMetadata", None)
    return response


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


def transform_alias(alias):
    """What the graph keeps of one alias: its version and weighted routing (for the inspector)."""
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    entry = {"name": alias.get("Name"), "arn": alias.get("AliasArn"),
             "function_version": alias.get("FunctionVersion"),
             "routing": {str(version): weight for version, weight in sorted(weights.items())}}
    if alias.get("Description"):
        entry["description"] = alias["Description"]
    return entry


def transform_function_url(config, function_arn, qualifier, region, account):
    """(URL node, ``function_url`` edge URL -> function) for one function URL configuration.

    The edge meets the function's node, like every alias-targeted trigger; the alias is an
    attribute, and target_arn keeps the qualified ARN the URL invokes."""
    url = config["FunctionUrl"]
    cors = config.get("Cors") or {}
    attributes = {
        "auth_type": config.get("AuthType"),
        "invoke_mode": config.get("InvokeMode") or "BUFFERED",
        "cors": {"allow_origins": cors.get("AllowOrigins", []),
                 "allow_methods": cors.get("AllowMethods", []),
                 "allow_headers": cors.get("AllowHeaders", []),
                 "expose_headers": cors.get("ExposeHeaders", []),
                 "allow_credentials": cors.get("AllowCredentials", False),
                 "max_age": cors.get("MaxAge")} if cors else None,
        "created": config.get("CreationTime"),
        "last_modified": config.get("LastModifiedTime"),
    }
    attributes = {k: v for k, v in attributes.items() if v is not None}
    node = Node(arn=url, type=NodeType.LAMBDA_FUNCTION_URL, name=urlparse(url).hostname or url,
                region=region, account=account, attributes=dict(attributes))
    edge_attributes = {"auth_type": attributes.get("auth_type"),
                       "invoke_mode": attributes["invoke_mode"], "cors": attributes.get("cors"),
                       "target_arn": f"{function_arn}:{qualifier}" if qualifier else function_arn}
    if qualifier:
        edge_attributes["alias"] = qualifier
        node.attributes["alias"] = qualifier
    edge = EdgeRecord(source=url, target=function_arn, kind=EdgeKind.FUNCTION_URL,
                      key=qualifier or "$LATEST",
                      attributes={k: v for k, v in edge_attributes.items() if v is not None})
    return node, edge


def transform_event_source_mapping(mapping):
    """An event source mapping as an edge, or (None, problem) for sources we do not graph."""
    function_arn, qualifier = split_function_arn(mapping.get("FunctionArn"))
    source, kind, problem = event_source_identity(mapping)
    if not function_arn:
        return None, "event source mapping without a function ARN"
    if problem:
        return None, problem
    source_arn = mapping.get("EventSourceArn")
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
        "topics": mapping.get("Topics"),
        "queues": mapping.get("Queues"),
        "consumer_group_id": _consumer_group(mapping),
        "bootstrap_servers": ((mapping.get("SelfManagedEventSource") or {}).get("Endpoints") or {})
        .get("KAFKA_BOOTSTRAP_SERVERS"),
        "database": (mapping.get("DocumentDBEventSourceConfig") or {}).get("DatabaseName"),
        "collection": (mapping.get("DocumentDBEventSourceConfig") or {}).get("CollectionName"),
    }
    if mapping.get("StartingPositionTimestamp"):
        attributes["starting_position_timestamp"] = str(mapping["StartingPositionTimestamp"])
    if qualifier:
        attributes["alias"] = qualifier
    attributes = {k: v for k, v in attributes.items() if v is not None}
    edge = EdgeRecord(source=source, target=function_arn, kind=kind,
                      key=mapping.get("UUID", ""), attributes=attributes)
    on_failure = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    extra = []
    if on_failure:
        extra.append(EdgeRecord(source=function_arn, target=node_identity(on_failure)[0],
                                kind=EdgeKind.DESTINATION, key=f"esm:{mapping.get('UUID')}",
                                attributes={"condition": "on_failure", "event_source_mapping":
                                            mapping.get("UUID"), "target_arn": on_failure}))
    return [edge, *extra], None


def _consumer_group(mapping):
    for key in ("AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig"):
        group = (mapping.get(key) or {}).get("ConsumerGroupId")
        if group:
            return group
    return None


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
        nodes = [node] + collect_aliases_and_urls(ctx, client, fn["FunctionName"], node, edges)
        ctx.add(nodes, edges)

    for mapping in get_event_source_mappings(client):
        edges, problem = transform_event_source_mapping(mapping)
        if problem:
            ctx.note("UnsupportedEventSource", problem, resource=mapping.get("UUID"))
            continue
        ctx.add((), edges)


def collect_aliases_and_urls(ctx, client, function_name, node, edges):
    """Each alias with its own resource policy, and the URL of the function and of each alias.

    Fills the function node's attributes and ``edges``; returns the URL nodes."""
    try:
        aliases = get_aliases(client, function_name)
    except ClientError as exc:
        if not is_not_found(exc):
            ctx.warn(exc, resource=node.arn)
            node.attributes["aliases_error"] = str(exc)
        aliases = []
    node.attributes["aliases"] = [transform_alias(alias) for alias in aliases]
    policies, errors = {}, {}
    for alias in aliases:
        policy, error = get_policy(client, function_name, alias["Name"])
        if error is not None:
            ctx.warn(error, resource=alias.get("AliasArn"))
            errors[alias["Name"]] = str(error)
        else:
            policies[alias["Name"]] = policy
    node.attributes["alias_policies"] = policies
    if errors:
        node.attributes["alias_policy_errors"] = errors

    url_nodes, urls = [], []
    for qualifier in [None] + [alias["Name"] for alias in aliases]:
        try:
            config = get_function_url_config(client, function_name, qualifier)
        except ClientError as exc:
            ctx.warn(exc, resource=f"{node.arn}:{qualifier}" if qualifier else node.arn)
            continue
        if not config or not config.get("FunctionUrl"):
            continue
        _, answered = split_function_arn(config.get("FunctionArn"))
        if (answered and answered != qualifier) or any(u["url"] == config["FunctionUrl"] for u in urls):
            continue  # an endpoint that ignores Qualifier answers with another URL's config
        url_node, edge = transform_function_url(config, node.arn, qualifier, ctx.region, ctx.account)
        url_nodes.append(url_node)
        edges.append(edge)
        urls.append({"url": url_node.arn, "qualifier": qualifier, "auth_type": edge.attributes.get("auth_type")})
    node.attributes["function_urls"] = urls
    return url_nodes
