import pytest
from django.contrib.auth import get_user_model

from flows.models import Account, Edge, Resource

ACCOUNT_ID = "123456789012"
PASSWORD = "correct horse battery staple"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("ada", password=PASSWORD)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def csrf_client(user):
    """A client that enforces CSRF like a browser session does (the default client skips it)."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.fixture
def account(db):
    return Account.objects.create(account_id=ACCOUNT_ID, name="demo")


def function_arn(name, region="us-east-1"):
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def queue_arn(name, region="us-east-1"):
    return f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{name}"


def add_node(account, arn, type_, name, **attributes):
    return Resource.objects.create(
        account=account,
        arn=arn,
        type=type_,
        name=name,
        region=arn.split(":")[3],
        origin="test:us-east-1",
        attributes=attributes,
    )


def add_edge(account, source, target, kind, key="", **attributes):
    return Edge.objects.create(
        account=account,
        source_arn=source,
        target_arn=target,
        kind=kind,
        key=key,
        origin="test:us-east-1",
        attributes=attributes,
    )


def seed_synthetic_graph(account, nodes, edges_per_node=1.5):
    """A graph of functions fed by queues, about ``edges_per_node`` edges per node."""
    rows = []
    for i in range(nodes):
        if i % 2:
            rows.append(
                Resource(
                    account=account,
                    arn=function_arn(f"fn-{i}"),
                    type="lambda_function",
                    name=f"fn-{i}",
                    region="us-east-1",
                    origin="lambda:us-east-1",
                    attributes={
                        "runtime": "python3.12",
                        "memory_size": 256,
                        "timeout": 30,
                        "environment_variables": ["TABLE", "QUEUE_URL"],
                        "tags": {"aws:cloudformation:stack-name": f"stack-{i % 12}"},
                    },
                )
            )
        else:
            rows.append(
                Resource(
                    account=account,
                    arn=queue_arn(f"q-{i}"),
                    type="sqs_queue",
                    name=f"q-{i}",
                    region="us-east-1",
                    origin="sqs:us-east-1",
                    attributes={"visibility_timeout": 30, "tags": {"team": "chat"}},
                )
            )
    Resource.objects.bulk_create(rows, batch_size=1000)
    arns = [r.arn for r in rows]
    edges = [
        Edge(
            account=account,
            source_arn=arns[i % nodes],
            target_arn=arns[(i * 7 + 1) % nodes],
            kind="sqs",
            key=str(i),
            origin="lambda:us-east-1",
            attributes={"batch_size": 10, "enabled": True},
        )
        for i in range(int(nodes * edges_per_node))
    ]
    Edge.objects.bulk_create(edges, batch_size=1000)
    return arns
