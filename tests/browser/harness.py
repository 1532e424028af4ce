"""A real Flowscope site for the browser tests and the graph page benchmark.

The site is Daphne (``manage.py runserver``, the same ASGI server and WebSockets as
development) in a subprocess, on a free port, against a SQLite *file* database that this
process seeds directly: pytest-django's in-memory test database cannot be shared with a
second process, and its live_server is WSGI-only (no /ws/live/). The subprocess gets no
REDIS_URL, so a sync started from the browser runs in a thread of the server and its
progress reaches the browser through the in-memory channel layer of that same process.
"""
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
ALIAS = "flowscope_browser"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_chromium(playwright, extra_args=()):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])


class Site:
    """Daphne serving Flowscope from ``workdir``'s database; ``url`` once started."""

    def __init__(self, workdir, environment=None):
        self.workdir = Path(workdir)
        self.database_path = self.workdir / "flowscope.sqlite3"
        self.database_url = f"sqlite:///{self.database_path}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / "server.log"
        self.process = None
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
        env.update({
            "DATABASE_URL": self.database_url,
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DEBUG": "false",
            "FLOWSCOPE_LOCK_DIR": str(self.workdir / "locks"),
            "FLOWSCOPE_REGIONS": REGION,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(environment or {})
        self.env = env

    def manage(self, *args, timeout=300):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                       timeout=timeout, stdout=subprocess.DEVNULL)

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.manage("migrate", "--noinput")
        # No --insecure: WhiteNoise serves the static files (and node_modules as vendor/), as
        # in a deployment.
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/login/", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not answer within 60 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def attach_database(database_url, alias=ALIAS):
    """Make ``alias`` a Django connection to the site's database (in this process)."""
    from django.db import connections

    config = dj_database_url.parse(database_url)
    config.update({"ATOMIC_REQUESTS": False, "AUTOCOMMIT": True, "CONN_MAX_AGE": 0,
                   "CONN_HEALTH_CHECKS": False, "TIME_ZONE": None, "TEST": {},
                   "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"}})
    connections.settings[alias] = config
    return alias


def detach_database(alias=ALIAS):
    from django.db import connections

    if alias in connections.settings:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def log_in(page, credentials, base=""):
    """Sign ``page`` in through the login form with (username, password)."""
    username, password = credentials
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/login/" not in url)


@contextmanager
def serving(site, django_db_blocker):
    """Start ``site`` with its database attached here; afterwards stop it, detach and delete it."""
    import pytest

    site.start()
    attach_database(site.database_url)
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps an event loop in this thread, which makes Django refuse
        # ORM calls; the seeding here is plain blocking code between browser steps.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield site
        site.stop()
        with django_db_blocker.unblock():
            detach_database()
    shutil.rmtree(site.workdir, ignore_errors=True)


def clear_graph(using):
    from flows.models import Account, Edge, Resource, SyncRun

    for model in (Edge, Resource, SyncRun, Account):
        model.objects.using(using).all().delete()


def create_user(using, username="ada", password="correct-horse-battery-staple"):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    User.objects.using(using).filter(username=username).delete()
    User.objects.db_manager(using).create_user(username, password=password)
    return username, password


def insert_graph(using, nodes, edges):
    """Rows straight into the database: nodes as dicts (arn, type, name, region, attributes),
    edges as dicts (source, target, kind, key, attributes)."""
    from flows.models import Account, Edge, Resource

    account, _ = Account.objects.using(using).get_or_create(account_id=ACCOUNT_ID)
    Resource.objects.using(using).bulk_create(
        [Resource(account=account, arn=n["arn"], type=n["type"], name=n["name"],
                  region=n.get("region", REGION), origin=n.get("origin", "test"),
                  attributes=n.get("attributes", {})) for n in nodes], batch_size=2000)
    Edge.objects.using(using).bulk_create(
        [Edge(account=account, source_arn=e["source"], target_arn=e["target"], kind=e["kind"],
              key=e.get("key", ""), origin="test", attributes=e.get("attributes", {}))
         for e in edges], batch_size=2000)


def arn_of(node_type, name, region=REGION, account=ACCOUNT_ID):
    return {
        "lambda_function": f"arn:aws:lambda:{region}:{account}:function:{name}",
        "sqs_queue": f"arn:aws:sqs:{region}:{account}:{name}",
        "sns_topic": f"arn:aws:sns:{region}:{account}:{name}",
        "dynamodb_table": f"arn:aws:dynamodb:{region}:{account}:table/{name}",
        "kinesis_stream": f"arn:aws:kinesis:{region}:{account}:stream/{name}",
        "s3_bucket": f"arn:aws:s3:::{name}",
        "api_gateway_rest": f"arn:aws:apigateway:{region}::/restapis/{name}",
        "api_gateway_v2": f"arn:aws:apigateway:{region}::/apis/{name}",
        "eventbridge_rule": f"arn:aws:events:{region}:{account}:rule/{name}",
        "eventbridge_bus": f"arn:aws:events:{region}:{account}:event-bus/{name}",
        "iam_role": f"arn:aws:iam::{account}:role/{name}",
    }[node_type]


def node(node_type, name, **attributes):
    region = "" if node_type in ("iam_role", "s3_bucket") else REGION
    return {"arn": arn_of(node_type, name), "type": node_type, "name": name, "region": region,
            "attributes": attributes}


def function(name, stack=None, tags=None, **attributes):
    tags = dict(tags or {})
    if stack:
        tags["aws:cloudformation:stack-name"] = stack
    defaults = {"runtime": "python3.12", "handler": "app.handler", "memory_size": 256, "timeout": 30,
                "role": arn_of("iam_role", f"{name}-role"), "environment_variables": [],
                "tags": tags, "stack": stack, "unmatched_permissions": []}
    defaults.update(attributes)
    return node("lambda_function", name, **defaults)


def edge(source, target, kind, key="", **attributes):
    return {"source": source["arn"], "target": target["arn"], "kind": kind, "key": key,
            "attributes": attributes}


SOURCE_TYPES = [("sqs_queue", "sqs"), ("sns_topic", "sns"), ("dynamodb_table", "dynamodb_stream"),
                ("kinesis_stream", "kinesis"), ("s3_bucket", "s3"), ("api_gateway_v2", "api_gateway_v2"),
                ("eventbridge_rule", "eventbridge")]
TARGET_TYPES = [("sqs_queue", "destination"), ("sns_topic", "destination"), ("sqs_queue", "dead_letter")]


def synthetic_graph(size, seed=3):
    """About ``size`` nodes and 1.5 × as many edges, shaped like a serverless estate: a third
    functions, each with a role, fed by sources and sending to destinations, in stacks."""
    rng = random.Random(seed)
    functions = max(1, size // 3)
    roles = max(1, size // 12)
    sources = max(1, (size - functions - roles) * 2 // 3)
    targets = max(0, size - functions - roles - sources)
    stacks = [f"stack-{i:03d}" for i in range(max(1, size // 60))]
    nodes, edges = [], []
    role_nodes = [node("iam_role", f"role-{i:05d}") for i in range(roles)]
    function_nodes = [function(f"fn-{i:05d}", stack=rng.choice(stacks), role=None) for i in range(functions)]
    source_nodes = []
    for i in range(sources):
        node_type, kind = SOURCE_TYPES[i % len(SOURCE_TYPES)]
        source_nodes.append((node(node_type, f"src-{i:05d}"), kind))
    target_nodes = []
    for i in range(targets):
        node_type, kind = TARGET_TYPES[i % len(TARGET_TYPES)]
        target_nodes.append((node(node_type, f"dst-{i:05d}"), kind))
    nodes = role_nodes + function_nodes + [n for n, _ in source_nodes] + [n for n, _ in target_nodes]
    for fn in function_nodes:
        role = rng.choice(role_nodes)
        fn["attributes"]["role"] = role["arn"]
        edges.append(edge(fn, role, "execution_role"))
    wanted = int(size * 1.5)
    for i, (src, kind) in enumerate(source_nodes):
        edges.append(edge(src, function_nodes[i % functions], kind, key=f"s{i}", batch_size=10))
    i = 0
    while len(edges) < wanted:
        if target_nodes and i % 2 == 0:
            dst, kind = target_nodes[rng.randrange(len(target_nodes))]
            edges.append(edge(rng.choice(function_nodes), dst, kind, key=f"d{i}", condition="on_failure"))
        else:
            src, kind = source_nodes[rng.randrange(len(source_nodes))]
            edges.append(edge(src, rng.choice(function_nodes), kind, key=f"x{i}", batch_size=5))
        i += 1
    return nodes, edges


def multi_stack_graph(stacks=12, functions_per_stack=6, seed=5):
    """An account too big to open expanded: ``stacks`` CloudFormation stacks, each an API in
    front of functions with a queue, a table and a topic, two regions, one role shared by most
    functions, a bus whose rules target functions of several stacks, and a few queues and a
    bucket outside any stack."""
    rng = random.Random(seed)
    nodes, edges = [], []
    shared_role = node("iam_role", "shared-lambda-role")
    nodes.append(shared_role)
    bus_rules = []
    for s in range(stacks):
        region = REGION if s % 3 else "eu-west-1"
        stack = f"svc-{s:02d}-prod"

        def here(n, region=region):
            n = dict(n)
            n["region"] = region
            n["arn"] = n["arn"].replace(REGION, region)
            return n

        api = here(node("api_gateway_rest", f"api{s:02d}"))
        queue = here(node("sqs_queue", f"{stack}-jobs"))
        table = here(node("dynamodb_table", f"{stack}-items"))
        topic = here(node("sns_topic", f"{stack}-events"))
        fns = [here(function(f"{stack}-fn{i}", stack=stack, role=shared_role["arn"]))
               for i in range(functions_per_stack)]
        nodes += [api, queue, table, topic] + fns
        for i, fn in enumerate(fns[:3]):
            edges.append(edge(api, fn, "api_gateway", key=f"GET /r{i}", method="GET", path=f"/r{i}"))
        edges.append(edge(fns[0], queue, "destination", key="on_success", condition="on_success"))
        edges.append(edge(queue, fns[3], "sqs", key="esm"))
        edges.append(edge(table, fns[4], "dynamodb_stream", key="stream"))
        edges.append(edge(fns[1], topic, "destination", key="on_failure", condition="on_failure"))
        edges.append(edge(topic, fns[5], "sns", key="sub"))
        for fn in fns:
            edges.append(edge(fn, shared_role, "execution_role"))
        if s % 2 == 0:
            rule = node("eventbridge_rule", f"route-{stack}")
            bus_rules.append((rule, fns[rng.randrange(len(fns))]))
    bus = node("eventbridge_bus", "orders-bus")
    nodes.append(bus)
    for rule, target in bus_rules:
        nodes.append(rule)
        edges.append(edge(bus, rule, "eventbridge", key=rule["name"]))
        edges.append(edge(rule, target, "eventbridge", key="t1"))
    loose = [node("sqs_queue", f"legacy-queue-{i}") for i in range(4)] + [node("s3_bucket", "shared-uploads")]
    nodes += loose
    return nodes, edges
