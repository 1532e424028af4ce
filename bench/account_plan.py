"""The realistic accounts of the graph benchmarks, drawn as data (pure and deterministic).

``plan_account`` returns everything ``bench.accounts.seed_account`` then creates, and the nodes
and edges by kind Flowscope should discover from it. See bench/accounts.py for the shapes.
"""
import collections
import json
import random
from dataclasses import dataclass, field

STACK_TAG = "aws:cloudformation:stack-name"
ACCOUNT = "123456789012"  # moto's default account
MAX_STACK = 30

DOMAINS = (
    "orders", "payments", "users", "inventory", "catalog", "search", "billing", "shipping",
    "notifications", "auth", "reviews", "analytics", "media", "reports", "email", "webhooks",
    "checkout", "cart", "pricing", "recommendations", "loyalty", "fraud", "ledger", "invoices",
    "subscriptions", "returns", "warehouse", "delivery", "chat", "profiles", "accounts", "audit",
    "exports", "imports", "sessions", "feeds", "ratings", "coupons", "tax", "refunds", "partners",
    "onboarding", "support", "tickets", "documents", "uploads", "geo", "fleet", "bookings",
    "quotes", "claims", "payouts", "kyc", "consents", "devices", "telemetry", "alerts", "metrics",
    "campaigns", "newsletters",
)
SHAPES = ("api", "service", "realtime", "events", "worker", "pipeline", "jobs")
SHAPE_WEIGHTS = (24, 14, 5, 14, 18, 10, 15)
ENVIRONMENTS = ("prod", "prod", "prod", "staging", "dev")
RUNTIMES = ("python3.12", "python3.12", "python3.11", "nodejs20.x", "nodejs20.x", "nodejs18.x",
            "java21", "provided.al2023")
ACTIONS = ("create", "get", "list", "update", "delete", "search", "export", "validate", "sync",
           "notify", "import", "approve", "cancel", "refund", "resize", "index", "archive",
           "enrich", "score", "route", "publish", "ingest", "transform", "reconcile", "audit")
# Components each stack shape is built from, with weights; the first drawn is the stack's core.
COMPONENTS = {
    "api": {"rest_api": 5, "http_api": 4, "worker": 2, "direct": 2, "fanout": 1},
    "service": {"http_api": 3, "rest_api": 2, "fanout": 2, "bus_rules": 2, "worker": 2, "direct": 2},
    "realtime": {"websocket": 6, "fanout": 2, "worker": 1, "direct": 1},
    "events": {"bus_rules": 4, "fanout": 4, "worker": 1, "direct": 1},
    "worker": {"worker": 6, "fanout": 2, "direct": 1},
    "pipeline": {"media": 5, "kinesis": 3, "worker": 1, "direct": 1},
    "jobs": {"schedule": 5, "direct": 3, "worker": 1},
}
COMPONENT_SIZES = {"rest_api": (2, 8), "http_api": (2, 6), "websocket": (2, 5), "fanout": (2, 5),
                   "bus_rules": (2, 6), "worker": (1, 4), "media": (1, 4), "kinesis": (1, 3),
                   "schedule": (1, 3), "direct": (1, 3)}


@dataclass
class Function:
    name: str
    region: str
    stack: str | None
    role: str
    runtime: str
    memory: int
    timeout: int
    environment: dict = field(default_factory=dict)
    dead_letter: str | None = None   # SQS ARN (moto accepts it but never returns it)


@dataclass
class Plan:
    """Everything to create, in creation order, and what Flowscope should then discover."""
    regions: tuple
    roles: dict = field(default_factory=dict)           # name -> stack (None: account-wide)
    queues: list = field(default_factory=list)          # (region, name, stack, dlq name)
    topics: list = field(default_factory=list)          # (region, name, stack)
    tables: list = field(default_factory=list)          # (region, name, stack, stream?)
    streams: list = field(default_factory=list)         # (region, name, stack)
    buckets: list = field(default_factory=list)         # (region, name, stack)
    buses: list = field(default_factory=list)           # (region, name, stack)
    functions: list = field(default_factory=list)       # Function
    wirings: list = field(default_factory=list)         # [ops], one list per component
    stacks: dict = field(default_factory=dict)          # (region, stack) -> functions
    edges: collections.Counter = field(default_factory=collections.Counter)
    targeted_buses: set = field(default_factory=set)

    def nodes(self):
        types = collections.Counter({
            "lambda_function": len(self.functions), "iam_role": len(self.roles),
            "sqs_queue": len(self.queues), "sns_topic": len(self.topics),
            "dynamodb_table": len(self.tables), "kinesis_stream": len(self.streams),
            "s3_bucket": len(self.buckets), "eventbridge_bus": len(self.targeted_buses)})
        for ops in self.wirings:
            for op in ops:
                if op["op"] == "rest_api":
                    types["api_gateway_rest"] += 1
                elif op["op"] == "v2_api":
                    types["api_gateway_v2"] += 1
                elif op["op"] == "rule":
                    types["eventbridge_rule"] += 1
        return +types


def arn(service, region, resource, account=ACCOUNT):
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def function_arn(region, name):
    return arn("lambda", region, f"function:{name}")


def queue_arn(region, name):
    return arn("sqs", region, name)


def topic_arn(region, name):
    return arn("sns", region, name)


def bus_arn(region, name):
    return arn("events", region, f"event-bus/{name}")


class _Builder:
    """Draws the account; every random choice comes from one ``random.Random(seed)``."""

    def __init__(self, functions, stacks, regions, seed):
        if functions < 1 or stacks < 1:
            raise ValueError("an account needs at least one function and one stack")
        if not regions:
            raise ValueError("an account needs at least one region")
        self.rng = random.Random(seed)
        self.plan = Plan(regions=tuple(regions))
        self.functions, self.stacks = functions, min(stacks, functions)
        self.names = set()
        self.shared = {}   # region -> shared resources of the account

    def unique(self, name, limit=64):
        name = name[:limit].rstrip("-")
        candidate, n = name, 2
        while candidate in self.names:
            candidate = f"{name[:limit - 4]}-{n}"
            n += 1
        self.names.add(candidate)
        return candidate

    # -- sizes and names

    def stack_sizes(self, total):
        """``self.stacks`` sizes summing to ``total``: skewed (many small, a few big), 1..cap."""
        cap = max(MAX_STACK, -(-total * 5 // (2 * self.stacks)))
        weights = [self.rng.lognormvariate(0, 0.9) for _ in range(self.stacks)]
        scale = total / sum(weights)
        sizes = [min(cap, max(1, round(w * scale))) for w in weights]
        while sum(sizes) != total:
            i = self.rng.randrange(self.stacks)
            if sum(sizes) < total and sizes[i] < cap:
                sizes[i] += 1
            elif sum(sizes) > total and sizes[i] > 1:
                sizes[i] -= 1
        return sizes

    def stack_names(self):
        names, regions = [], self.plan.regions
        while len(names) < self.stacks:
            shape = self.rng.choices(SHAPES, SHAPE_WEIGHTS)[0]
            base = f"{self.rng.choice(DOMAINS)}-{shape}-{self.rng.choice(ENVIRONMENTS)}"
            region = regions[0] if len(regions) == 1 or self.rng.random() < 0.7 else \
                self.rng.choice(regions[1:])
            if any(n == base and r == region for n, r, _ in names):
                continue
            names.append((base, region, shape))
            # Some stacks are deployed to a second region under the same name.
            if len(regions) > 1 and len(names) < self.stacks and self.rng.random() < 0.08:
                other = self.rng.choice([r for r in regions if r != region])
                if not any(n == base and r == other for n, r, _ in names):
                    names.append((base, other, shape))
        return names

    # -- resources

    def role(self, name, stack=None):
        self.plan.roles.setdefault(name, stack)
        return f"arn:aws:iam::{ACCOUNT}:role/{name}"

    def queue(self, region, name, stack, dead_letter=True):
        dlq = None
        if dead_letter:
            dlq = self.unique(f"{name}-dlq", 80)
            self.plan.queues.append((region, dlq, stack, None))
            self.plan.edges["dead_letter"] += 1
        self.plan.queues.append((region, name, stack, dlq))
        return queue_arn(region, name)

    def topic(self, region, name, stack):
        self.plan.topics.append((region, name, stack))
        return topic_arn(region, name)

    def table(self, region, name, stack, stream=False):
        self.plan.tables.append((region, name, stack, stream))
        return name

    def function(self, ctx, action, environment=None):
        stack, region = ctx["stack"], ctx["region"]
        prefix = stack or "adhoc"
        name = self.unique(f"{prefix}-{action}")
        role = ctx["role"](name)
        fn = Function(name=name, region=region, stack=stack, role=role,
                      runtime=ctx.get("runtime") or self.rng.choice(RUNTIMES),
                      memory=self.rng.choice((128, 256, 512, 1024, 1536)),
                      timeout=self.rng.choice((3, 6, 10, 30, 60, 300, 900)),
                      environment=dict(environment or {}))
        if ctx.get("table"):
            fn.environment.setdefault("TABLE_NAME", ctx["table"])
        self.plan.functions.append(fn)
        self.plan.edges["execution_role"] += 1
        ctx["count"] = ctx.get("count", 0) + 1
        return fn

    def actions(self, n):
        return [self.rng.choice(ACTIONS) for _ in range(n)]

    # -- components: each builds ``n`` functions and the triggers around them

    def destinations(self, ctx, fn, ops, chance=0.35):
        if self.rng.random() >= chance:
            return
        shared = self.shared[ctx["region"]]
        on_failure = shared["failed_queue"] if self.rng.random() < 0.6 else \
            self.queue(ctx["region"], self.unique(f"{ctx['prefix']}-failures", 80), ctx["stack"],
                       dead_letter=False)
        on_success = None
        if self.rng.random() < 0.4:
            if self.rng.random() < 0.5:
                on_success = shared["bus"]
                self.plan.targeted_buses.add(on_success)
            else:
                if "events_topic" not in ctx:
                    ctx["events_topic"] = self.topic(
                        ctx["region"], self.unique(f"{ctx['prefix']}-events", 256), ctx["stack"])
                on_success = ctx["events_topic"]
        ops.append({"op": "invoke_config", "region": ctx["region"], "function": fn.name,
                    "on_success": on_success, "on_failure": on_failure})
        self.plan.edges["destination"] += 1 + (on_success is not None)

    def with_table(self, ctx, ops, stream_consumer):
        """The stack's table; with a consumer function, its stream feeds that function."""
        entity = self.rng.choice(DOMAINS)
        ctx["table"] = self.table(ctx["region"], self.unique(f"{ctx['prefix']}-{entity}", 255),
                                  ctx["stack"], stream=stream_consumer)
        if stream_consumer:
            fn = self.function(ctx, "stream-processor")
            on_failure = self.shared[ctx["region"]]["failed_queue"] if self.rng.random() < 0.3 else None
            ops.append({"op": "esm", "region": ctx["region"], "source": ("table", ctx["table"]),
                        "function": fn.name, "on_failure": on_failure})
            self.plan.edges["dynamodb_stream"] += 1
            self.plan.edges["destination"] += on_failure is not None
            return 1
        return 0

    def rest_api(self, ctx, n, ops):
        n -= self.with_table(ctx, ops, stream_consumer=n >= 3)
        authorizer = None
        if n >= 3 and self.rng.random() < 0.5:
            authorizer = self.function(ctx, "authorizer")
            n -= 1
        entity = self.rng.choice(DOMAINS)
        routes = []
        paths = [f"/{entity}", f"/{entity}/{{id}}", f"/{entity}/{{id}}/items", "/health"]
        for fn in [self.function(ctx, a) for a in self.actions(max(1, n))]:
            for _ in range(self.rng.choice((1, 1, 2))):
                method, path = self.rng.choice(("GET", "POST", "PUT", "DELETE", "PATCH")), \
                    self.rng.choice(paths)
                if all((m, p) != (method, path) for m, p, _ in routes):
                    routes.append((method, path, fn.name))
        ops.append({"op": "rest_api", "region": ctx["region"], "stack": ctx["stack"],
                    "name": self.unique(f"{ctx['prefix']}-rest", 128), "routes": routes,
                    "authorizer": authorizer.name if authorizer else None})
        self.plan.edges["api_gateway"] += len(routes) + (authorizer is not None)

    def http_api(self, ctx, n, ops):
        n -= self.with_table(ctx, ops, stream_consumer=n >= 3)
        entity = self.rng.choice(DOMAINS)
        routes = []
        for fn in [self.function(ctx, a) for a in self.actions(max(1, n))]:
            for _ in range(self.rng.choice((1, 1, 2))):
                key = f"{self.rng.choice(('GET', 'POST', 'PUT', 'DELETE', 'ANY'))} " + \
                    self.rng.choice((f"/{entity}", f"/{entity}/{{id}}", "/status", f"/{entity}/search"))
                if all(k != key for k, _ in routes):
                    routes.append((key, fn.name))
        ops.append({"op": "v2_api", "region": ctx["region"], "stack": ctx["stack"], "protocol": "HTTP",
                    "name": self.unique(f"{ctx['prefix']}-http", 128), "routes": routes})
        self.plan.edges["api_gateway_v2"] += len(routes)

    def websocket(self, ctx, n, ops):
        self.with_table(ctx, ops, stream_consumer=False)
        keys = ["$connect", "$disconnect", "$default"] + [
            f"{a}Message" for a in dict.fromkeys(self.actions(max(0, n - 3)))]
        handlers = [self.function(ctx, f"ws-{k.strip('$').lower()}") for k in keys[:n]]
        routes = [(key, handlers[i % len(handlers)].name) for i, key in enumerate(keys)]
        ops.append({"op": "v2_api", "region": ctx["region"], "stack": ctx["stack"],
                    "protocol": "WEBSOCKET", "name": self.unique(f"{ctx['prefix']}-ws", 128),
                    "routes": routes})
        self.plan.edges["api_gateway_v2"] += len(routes)
        self.destinations(ctx, self.rng.choice(handlers), ops)

    def fanout(self, ctx, n, ops):
        region = ctx["region"]
        # Often the topic is another stack's (its events, consumed here).
        others = [t for t in self.shared[region]["topics"] if t[1] != ctx["stack"]]
        if others and self.rng.random() < 0.4:
            topic = self.rng.choice(others)[0]
        else:
            topic = self.topic(region, self.unique(f"{ctx['prefix']}-{self.rng.choice(DOMAINS)}-events", 256),
                               ctx["stack"])
            self.shared[region]["topics"].append((topic, ctx["stack"]))
        queues = min(n, self.rng.randint(1, 3))
        for action in self.actions(queues):
            queue = self.unique(f"{ctx['prefix']}-{action}-queue", 80)
            self.queue(region, queue, ctx["stack"], dead_letter=self.rng.random() < 0.7)
            fn = self.function(ctx, f"{action}-consumer")
            ops.append({"op": "subscribe", "region": region, "topic": topic, "protocol": "sqs",
                        "endpoint": queue_arn(region, queue)})
            ops.append({"op": "esm", "region": region, "source": ("queue", queue), "function": fn.name})
            self.plan.edges["sns"] += 1
            self.plan.edges["sqs"] += 1
            self.destinations(ctx, fn, ops, chance=0.15)
        for action in self.actions(n - queues):
            fn = self.function(ctx, f"{action}-subscriber")
            ops.append({"op": "subscribe", "region": region, "topic": topic, "protocol": "lambda",
                        "endpoint": function_arn(region, fn.name)})
            ops.append({"op": "permission", "region": region, "function": fn.name,
                        "principal": "sns.amazonaws.com", "source_arn": topic})
            self.plan.edges["sns"] += 1
            self.destinations(ctx, fn, ops)

    def bus_rules(self, ctx, n, ops):
        region = ctx["region"]
        shared_bus = self.rng.random() < 0.6
        bus = "platform-events" if shared_bus else ctx.get("bus")
        if bus is None:
            bus = ctx["bus"] = self.unique(f"{ctx['prefix']}-bus", 256)
            self.plan.buses.append((region, bus, ctx["stack"]))
        for action in self.actions(n):
            fn = self.function(ctx, f"on-{action}")
            rule = self.unique(f"{ctx['prefix']}-{action}-rule", 64)
            targets = [function_arn(region, fn.name)]
            if self.rng.random() < 0.2:   # the same events archived to a queue as well
                targets.append(self.queue(region, self.unique(f"{ctx['prefix']}-{action}-archive", 80),
                                          ctx["stack"], dead_letter=False))
            ops.append({"op": "rule", "region": region, "bus": bus, "name": rule, "stack": ctx["stack"],
                        "pattern": json.dumps({"source": [f"acme.{self.rng.choice(DOMAINS)}"],
                                               "detail-type": [f"{action.title()}Requested"]}),
                        "targets": targets, "function": fn.name})
            self.plan.edges["eventbridge"] += len(targets)
            self.destinations(ctx, fn, ops)

    def worker(self, ctx, n, ops):
        region = ctx["region"]
        for action in self.actions(n):
            queue = self.unique(f"{ctx['prefix']}-{action}-jobs", 80)
            self.queue(region, queue, ctx["stack"], dead_letter=self.rng.random() < 0.75)
            fn = self.function(ctx, f"{action}-worker")
            if self.rng.random() < 0.2:
                fn.dead_letter = self.queue(region, self.unique(f"{fn.name}-async-dlq", 80),
                                            ctx["stack"], dead_letter=False)
            ops.append({"op": "esm", "region": region, "source": ("queue", queue), "function": fn.name})
            self.plan.edges["sqs"] += 1
            self.destinations(ctx, fn, ops, chance=0.5)

    def media(self, ctx, n, ops):
        region = ctx["region"]
        bucket = self.unique(f"acme-{ctx['prefix']}-{region}"[:50] + f"-{self.rng.randrange(16**6):06x}", 63)
        self.plan.buckets.append((region, bucket, ctx["stack"]))
        lambdas, queues = [], []
        if n >= 2 and self.rng.random() < 0.5:
            queue = self.unique(f"{ctx['prefix']}-uploads-queue", 80)
            self.queue(region, queue, ctx["stack"])
            fn = self.function(ctx, "upload-indexer")
            queues.append((f"{queue}-notify", queue_arn(region, queue), "incoming/"))
            ops.append({"op": "esm", "region": region, "source": ("queue", queue), "function": fn.name})
            self.plan.edges["sqs"] += 1
            n -= 1
        for i, action in enumerate(self.actions(n)):
            fn = self.function(ctx, f"{action}-upload")
            lambdas.append((f"{action}-{i}", fn.name, f"{action}/"))
            ops.append({"op": "permission", "region": region, "function": fn.name,
                        "principal": "s3.amazonaws.com", "source_arn": f"arn:aws:s3:::{bucket}"})
            self.destinations(ctx, fn, ops)
        ops.append({"op": "notifications", "region": region, "bucket": bucket,
                    "lambdas": lambdas, "queues": queues})
        self.plan.edges["s3"] += len(lambdas) + len(queues)

    def kinesis(self, ctx, n, ops):
        region = ctx["region"]
        stream = self.unique(f"{ctx['prefix']}-{self.rng.choice(DOMAINS)}-stream", 128)
        self.plan.streams.append((region, stream, ctx["stack"]))
        for action in self.actions(n):
            fn = self.function(ctx, f"{action}-stream")
            on_failure = self.shared[region]["failed_queue"] if self.rng.random() < 0.5 else None
            ops.append({"op": "esm", "region": region, "source": ("stream", stream),
                        "function": fn.name, "on_failure": on_failure})
            self.plan.edges["kinesis"] += 1
            self.plan.edges["destination"] += on_failure is not None

    def schedule(self, ctx, n, ops):
        region = ctx["region"]
        for action in self.actions(n):
            fn = self.function(ctx, f"nightly-{action}")
            ops.append({"op": "rule", "region": region, "bus": "default", "stack": ctx["stack"],
                        "name": self.unique(f"{ctx['prefix']}-{action}-schedule", 64),
                        "schedule": self.rng.choice(("rate(5 minutes)", "rate(1 hour)", "cron(0 3 * * ? *)")),
                        "targets": [function_arn(region, fn.name)], "function": fn.name})
            self.plan.edges["eventbridge"] += 1

    def direct(self, ctx, n, ops):
        # Invoked by other functions, Step Functions or people: no trigger to graph.
        for action in self.actions(n):
            fn = self.function(ctx, action)
            self.destinations(ctx, fn, ops, chance=0.2)

    # -- roles

    def role_strategy(self, stack, region):
        suffix = "" if region == self.plan.regions[0] else f"-{region}"
        choice = self.rng.choices(("stack", "function", "mixed", "account"), (45, 30, 12, 13))[0]
        if choice == "account":
            shared = self.rng.choice(("lambda-basic-execution", "legacy-lambda-role",
                                      "platform-shared-lambda-role"))
            return lambda _name: self.role(shared)
        stack_role = f"{stack}{suffix}-role"
        if choice == "stack":
            return lambda _name: self.role(stack_role, stack)

        def per_function(name):
            if choice == "mixed" and self.rng.random() < 0.6:
                return self.role(stack_role, stack)
            return self.role(f"{name}{suffix}-role"[:64], stack)
        return per_function

    # -- the account

    def build(self):
        for region in self.plan.regions:
            # Account-wide pieces every stack may use; the failures queue belongs to no stack.
            failed = self.queue(region, "ops-failed-events", None, dead_letter=False)
            self.plan.buses.append((region, "platform-events", None))
            self.shared[region] = {"failed_queue": failed, "bus": bus_arn(region, "platform-events"),
                                   "topics": []}
        unstacked = max(1, self.functions // 25) if self.functions >= 20 else 0
        stacks = self.stack_names()
        sizes = self.stack_sizes(self.functions - unstacked)
        for (stack, region, shape), size in zip(stacks, sizes):
            ops = []
            ctx = {"stack": stack, "region": region, "prefix": stack,
                   "role": self.role_strategy(stack, region)}
            self.plan.stacks[(region, stack)] = size
            weights = COMPONENTS[shape]
            remaining = size
            while remaining > 0:
                component = self.rng.choices(list(weights), list(weights.values()))[0]
                low, high = COMPONENT_SIZES[component]
                n = min(remaining, self.rng.randint(low, high))
                getattr(self, component)(ctx, n, ops)
                remaining = size - ctx["count"]
            self.plan.wirings.append(ops)
        self.unstacked(unstacked)
        self.orphans()
        return self.plan

    def unstacked(self, count):
        """Functions made by hand: no stack tag, the account-wide role, their own triggers."""
        regions = self.plan.regions
        for i in range(count):
            region = regions[0] if self.rng.random() < 0.8 else self.rng.choice(regions)
            ctx = {"stack": None, "region": region, "prefix": "adhoc",
                   "role": lambda _name: self.role(self.rng.choice(
                       ("lambda-basic-execution", "legacy-lambda-role")))}
            ops = []
            kind = self.rng.choice(("worker", "schedule", "direct", "fanout"))
            getattr(self, kind)(ctx, 1, ops)
            self.plan.wirings.append(ops)

    def orphans(self):
        """Resources nothing reads: forgotten queues, tables and topics, outside any stack."""
        for i in range(max(1, self.functions // 100)):
            region = self.rng.choice(self.plan.regions)
            what = self.rng.choice(("queue", "table", "topic"))
            name = self.unique(f"legacy-{self.rng.choice(DOMAINS)}-{what}", 80)
            if what == "queue":
                self.queue(region, name, None, dead_letter=False)
            elif what == "table":
                self.table(region, name, None)
            else:
                self.topic(region, name, None)


def plan_account(functions=300, stacks=30, regions=("us-east-1", "eu-west-1"), seed=1):
    """The account ``seed_account`` creates, as data (pure and deterministic)."""
    return _Builder(functions, stacks, regions, seed).build()
