"""The benchmark's realistic accounts (bench/accounts.py): drawn deterministically, shaped like
real stacks, and discovered by a sync exactly as planned."""
import collections

import pytest

from bench.accounts import STACK_TAG, plan_account, seed_account
from flows.models import Edge, Resource
from flows.sync import sync_account

REGIONS = ("us-east-1", "eu-west-1")


def stacks_of(plan):
    stacks = collections.defaultdict(list)
    for fn in plan.functions:
        stacks[(fn.region, fn.stack)].append(fn)
    return stacks


def test_it_draws_the_same_account_from_the_same_seed():
    first, again, other = plan_account(300, 30, seed=1), plan_account(300, 30, seed=1), plan_account(300, 30, seed=2)
    assert first.functions == again.functions and first.wirings == again.wirings
    assert first.functions != other.functions


def test_it_spreads_functions_over_stacks_of_varied_sizes_in_two_regions():
    plan = plan_account(300, 30, regions=REGIONS)
    stacks = stacks_of(plan)
    unstacked = stacks.pop(("us-east-1", None), []) + stacks.pop(("eu-west-1", None), [])
    assert len(plan.functions) == 300
    assert len(stacks) == 30
    assert 0 < len(unstacked) < 30
    sizes = sorted(len(fns) for fns in stacks.values())
    assert sizes[0] <= 3 and sizes[-1] >= 15 and sizes[-1] <= 34
    assert {region for region, _ in stacks} == set(REGIONS)
    assert all("-" in stack for _, stack in stacks)


def test_it_wires_every_shape_the_issue_asks_for():
    plan = plan_account(2000, 150, regions=REGIONS)
    for kind in ("api_gateway", "api_gateway_v2", "dynamodb_stream", "sns", "sqs", "eventbridge",
                 "destination", "dead_letter", "s3", "kinesis", "execution_role"):
        assert plan.edges[kind] > 0, kind
    ops = [op for ops in plan.wirings for op in ops]
    protocols = {op["protocol"] for op in ops if op["op"] == "v2_api"}
    assert protocols == {"HTTP", "WEBSOCKET"}
    assert {op["protocol"] for op in ops if op["op"] == "subscribe"} == {"sqs", "lambda"}
    # A topic fanning out to several consumers, some of them in other stacks.
    subscribers = collections.Counter(op["topic"] for op in ops if op["op"] == "subscribe")
    assert max(subscribers.values()) >= 3
    topic_stack = {f"arn:aws:sns:{r}:123456789012:{name}": stack for r, name, stack in plan.topics}
    consumer_stacks = collections.defaultdict(set)
    for ops_of_component in plan.wirings:
        stacks = {f.stack for f in plan.functions
                  if f.name in {op.get("function") for op in ops_of_component}}
        for op in ops_of_component:
            if op["op"] == "subscribe":
                consumer_stacks[op["topic"]] |= stacks
    assert any(stacks - {topic_stack[topic]} for topic, stacks in consumer_stacks.items())
    # Roles: shared within a stack, shared across stacks, and one per function.
    stacks_by_role = collections.defaultdict(set)
    functions_by_role = collections.Counter()
    for fn in plan.functions:
        stacks_by_role[fn.role].add(fn.stack)
        functions_by_role[fn.role] += 1
    assert any(len(stacks) >= 3 for stacks in stacks_by_role.values())
    assert sum(1 for n in functions_by_role.values() if n == 1) > 100
    assert any(n >= 5 and len(stacks_by_role[role]) == 1 for role, n in functions_by_role.items())
    # Resources outside any stack: the shared failures queue and forgotten leftovers.
    assert any(stack is None and name == "ops-failed-events" for _, name, stack, _ in plan.queues)
    assert any(name.startswith("legacy-") for _, name, *_ in plan.queues + plan.tables + plan.topics)


def test_it_refuses_a_real_aws_endpoint():
    with pytest.raises(ValueError, match="emulator"):
        seed_account("https://lambda.us-east-1.amazonaws.com", functions=5, stacks=2)


def test_it_seeds_the_emulator_with_what_a_sync_then_discovers(aws, db):
    summary = seed_account(aws.endpoint, functions=60, stacks=8, regions=REGIONS, seed=4)
    run = sync_account(list(REGIONS))
    assert run.status == "success", run.errors
    nodes = collections.Counter(Resource.objects.values_list("type", flat=True))
    edges = collections.Counter(Edge.objects.values_list("kind", flat=True))
    assert dict(nodes) == summary["nodes"]
    assert dict(edges) == summary["edges"]
    plan = plan_account(60, 8, regions=REGIONS, seed=4)
    discovered = collections.Counter(
        (r.region, r.attributes["stack"]) for r in Resource.objects.filter(type="lambda_function"))
    assert discovered == collections.Counter((f.region, f.stack) for f in plan.functions)
    assert all(STACK_TAG in r.attributes["tags"] for r in Resource.objects.filter(type="lambda_function")
               if r.attributes["stack"])
