"""Step Functions: state machines, their execution roles, and the functions their tasks invoke.

The definition is read once per state machine (DescribeStateMachine) and walked, nested Map
and Parallel states included, for Task states that call Lambda: the optimised integration
(``arn:aws:states:::lambda:invoke`` with ``FunctionName``, plain or ``.waitForTaskToken``), a
function ARN as the Resource itself, and nested executions (``states:startExecution``).
"""
import json
import re

from botocore.exceptions import ClientError

from ..arns import node_identity, parse_arn, split_function_arn
from ..vocabulary import EdgeKind, NodeType
from .base import EdgeRecord, Node, is_not_found

STACK_TAG = "aws:cloudformation:stack-name"

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
START_EXECUTION = "arn:aws:states:::states:startExecution"
_SERVICE_RESOURCE = re.compile(r"^arn:[\w-]+:states:::(?P<api>[\w-]+:[\w-]+)(?P<pattern>\.sync(:2)?|\.waitForTaskToken)?$")
_PATTERNS = {None: "request_response", ".sync": "sync", ".sync:2": "sync",
             ".waitForTaskToken": "wait_for_task_token"}
_FUNCTION_NAME = re.compile(r"^(?:(?P<account>\d{12}):function:)?(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[^:]+))?$")


def get_state_machines(client):
    pages = client.get_paginator("list_state_machines").paginate()
    return [machine for page in pages for machine in page.get("stateMachines", [])]


def describe_state_machine(client, arn):
    response = client.describe_state_machine(stateMachineArn=arn)
    response.pop("ResponseMetadata", None)
    return response


def get_tags(client, arn):
    # One call per state machine: state machines are few beside functions, and the stack tag
    # puts each in its stack on the graph's overview.
    return {t["key"]: t["value"] for t in client.list_tags_for_resource(resourceArn=arn).get("tags", [])}


def resolve_function_name(value, partition, region, account):
    """(function ARN, qualifier, problem) for a FunctionName parameter: a name, name:alias,
    a partial ARN (``123456789012:function:name``) or a full ARN."""
    if not isinstance(value, str) or not value:
        return None, None, "no FunctionName"
    function, qualifier = split_function_arn(value)
    if function:
        return function, qualifier, None
    match = _FUNCTION_NAME.match(value)
    if not match:
        return None, None, f"FunctionName {value!r} is not a function name or ARN"
    arn = f"arn:{partition}:lambda:{region}:{match['account'] or account}:function:{match['name']}"
    return arn, match["qualifier"], None


def _parameters(state):
    # JSONPath definitions pass "Parameters"; JSONata ones "Arguments".
    for key in ("Parameters", "Arguments"):
        if isinstance(state.get(key), dict):
            return state[key]
    return {}


def walk_states(definition, inside=()):
    """Yield (path, state, enclosing states) for every state, into Map and Parallel states."""
    states = definition.get("States") if isinstance(definition, dict) else None
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        path = "/".join([*(p for p, _ in inside), str(name)])
        yield path, state, [label for _, label in inside]
        if state.get("Type") == "Map":
            for key in ("ItemProcessor", "Iterator"):
                yield from walk_states(state.get(key), (*inside, (str(name), f"Map {name}")))
        elif state.get("Type") == "Parallel":
            for i, branch in enumerate(state.get("Branches") or []):
                yield from walk_states(branch, (*inside, (f"{name}[{i}]", f"Parallel {name} branch {i + 1}")))


def task_target(state, partition, region, account):
    """(target ARN, qualifier, integration pattern, problem) of a Task state, or None when it
    calls neither a function nor another state machine."""
    resource = state.get("Resource")
    if not isinstance(resource, str):
        return None
    function, qualifier = split_function_arn(resource)
    if function:
        return function, qualifier, "request_response", None
    match = _SERVICE_RESOURCE.match(resource)
    if not match:
        return None
    parameters = _parameters(state)
    pattern = _PATTERNS.get(match["pattern"], match["pattern"])
    if match["api"] == "lambda:invoke":
        if "FunctionName.$" in parameters:
            return None, None, pattern, "FunctionName comes from the state's input"
        function, qualifier, problem = resolve_function_name(parameters.get("FunctionName"),
                                                             partition, region, account)
        return function, qualifier, pattern, problem
    if match["api"] == "states:startExecution":
        target = parameters.get("StateMachineArn")
        if "StateMachineArn.$" in parameters or not isinstance(target, str):
            return None, None, pattern, "StateMachineArn comes from the state's input"
        return node_identity(target)[0], None, pattern, None
    return None


def transform_state_machine(described, partition, region, account, tags=None):
    """(node, edges, problems) for one described state machine."""
    arn = described["stateMachineArn"]
    tags = tags or {}
    logging = described.get("loggingConfiguration") or {}
    attributes = {
        "type": described.get("type"),
        "status": described.get("status"),
        "role": described.get("roleArn"),
        "description": described.get("description"),
        "created": str(described["creationDate"]) if described.get("creationDate") else None,
        "logging_level": logging.get("level"),
        "tracing": bool((described.get("tracingConfiguration") or {}).get("enabled")),
        "query_language": None,
        "tags": tags,
        "stack": tags.get(STACK_TAG),
    }
    edges, problems = [], []
    try:
        definition = json.loads(described.get("definition") or "{}")
    except ValueError:
        definition = {}
        problems.append(f"the definition of {arn} is not valid JSON")
    if isinstance(definition, dict):
        attributes["query_language"] = definition.get("QueryLanguage")
        states = list(walk_states(definition))
        attributes["state_count"] = len(states)
    else:
        states = []
    for path, state, inside in states:
        if state.get("Type") != "Task":
            continue
        found = task_target(state, partition, region, account)
        if found is None:
            continue
        target, qualifier, pattern, problem = found
        if problem:
            problems.append(f"task {path} of {arn}: {problem}")
        if target is None:
            continue
        edge_attributes = {
            "state": path.rsplit("/", 1)[-1],
            "path": path,
            "inside": inside,
            "resource": state.get("Resource"),
            "integration_pattern": pattern,
            "alias": qualifier,
            "retry": bool(state.get("Retry")),
            "catch": bool(state.get("Catch")),
            "timeout_seconds": state.get("TimeoutSeconds"),
        }
        edges.append(EdgeRecord(source=arn, target=target, kind=EdgeKind.STATE_MACHINE_TASK, key=path,
                                attributes={k: v for k, v in edge_attributes.items() if v not in (None, [])}))
    role = described.get("roleArn")
    if role and parse_arn(role):
        edges.append(EdgeRecord(source=arn, target=role, kind=EdgeKind.EXECUTION_ROLE))
    node = Node(arn=arn, type=NodeType.STEPFUNCTIONS_STATE_MACHINE, name=described.get("name") or arn,
                region=region, account=account,
                attributes={k: v for k, v in attributes.items() if v is not None})
    return node, edges, problems


def collect(ctx):
    """Step Functions state machines, their execution roles and the functions their tasks run."""
    if not ctx.offered("stepfunctions"):
        return
    client = ctx.client("stepfunctions")
    for machine in get_state_machines(client):
        described = ctx.call_or_skip(describe_state_machine, client, machine["stateMachineArn"],
                                     resource=machine["stateMachineArn"])
        if described is None:
            continue  # deleted since it was listed
        try:
            tags = get_tags(client, machine["stateMachineArn"])
        except ClientError as exc:
            if not is_not_found(exc):
                ctx.warn(exc, resource=machine["stateMachineArn"])
            tags = {}
        node, edges, problems = transform_state_machine(described, ctx.partition, ctx.region, ctx.account, tags)
        for problem in problems:
            ctx.note("UnresolvedTask", problem, resource=node.arn)
        ctx.add([node], edges)
