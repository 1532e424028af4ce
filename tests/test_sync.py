import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from botocore.stub import Stubber

from flows.aws.lambda_ import get_functions
from flows.locks import SyncInProgress, account_lock
from flows.models import Edge, Resource, SyncRun
from flows.sync import sync_account
from tests import faults
from tests.aws.test_lambda import make_function

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def architecture(aws):
    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    fn = make_function(aws, "worker", role)
    queue = aws("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="worker")
    return {"role": role, "function": fn["FunctionArn"], "queue": queue_arn}


@pytest.mark.django_db
def test_a_second_sync_of_an_unchanged_account_changes_nothing(architecture):
    first = sync_account(["us-east-1"])
    second = sync_account(["us-east-1"])
    assert first.nodes_added >= 3 and first.edges_added >= 2
    assert (second.nodes_added, second.nodes_removed, second.nodes_changed) == (0, 0, 0)
    assert (second.edges_added, second.edges_removed, second.edges_changed) == (0, 0, 0)
    assert second.node_count == first.node_count


@pytest.mark.django_db
def test_a_resource_that_vanished_leaves_the_graph_on_the_next_sync(aws, architecture):
    make_function(aws, "temporary", architecture["role"])
    sync_account(["us-east-1"])
    temporary = architecture["function"].replace("worker", "temporary")
    assert Resource.objects.filter(arn=temporary).exists()

    aws("lambda").delete_function(FunctionName="temporary")
    run = sync_account(["us-east-1"])

    assert not Resource.objects.filter(arn=temporary).exists()
    assert not Edge.objects.filter(source_arn=temporary).exists()
    assert temporary in run.diff["nodes"]["removed"]
    assert Resource.objects.filter(arn=architecture["function"]).exists()


@pytest.mark.django_db
def test_access_denied_on_one_service_keeps_its_previous_graph_and_completes_the_rest(aws, architecture):
    sync_account(["us-east-1"])
    functions_before = sorted(Resource.objects.filter(type="lambda_function").values_list("arn", flat=True))
    edges_before = Edge.objects.filter(origin="lambda:us-east-1").count()
    aws("lambda").delete_function(FunctionName="worker")
    aws("sqs").create_queue(QueueName="newcomer")

    session = faults.session()
    faults.deny(session, "lambda")
    run = sync_account(["us-east-1"], session=session)

    assert run.status == "partial"
    fatal = [e for e in run.errors if e.get("fatal")]
    assert [(e["service"], e["code"]) for e in fatal] == [("lambda", "AccessDeniedException")]
    assert "not authorized" in fatal[0]["message"]
    assert "read permission" in fatal[0]["message"]
    # The denied service's part of the graph stays as it was (not retired)...
    assert sorted(Resource.objects.filter(type="lambda_function").values_list("arn", flat=True)) == functions_before
    assert Edge.objects.filter(origin="lambda:us-east-1").count() == edges_before
    assert run.nodes_removed == 0
    # ...while the other services are read afresh.
    assert Resource.objects.filter(type="sqs_queue", name="newcomer").exists()


@pytest.mark.django_db
def test_throttling_is_retried_and_is_no_failure(architecture):
    session = faults.session()
    seen = faults.throttle(session, "lambda", "ListFunctions", times=2)
    run = sync_account(["us-east-1"], session=session)
    assert seen["throttled"] == 2
    assert run.status == "success", run.errors
    assert Resource.objects.filter(arn=architecture["function"]).exists()


@pytest.mark.django_db
def test_a_function_deleted_between_list_and_describe_is_skipped_cleanly(aws, architecture):
    make_function(aws, "doomed", architecture["role"])
    session = faults.session()

    def delete_first(params=None, **kwargs):
        if params.get("FunctionName") == "doomed":
            aws("lambda").delete_function(FunctionName="doomed")

    session.events.register("before-call.lambda.GetPolicy", delete_first)
    run = sync_account(["us-east-1"], session=session)
    assert run.status == "success", run.errors
    assert Resource.objects.filter(arn=architecture["function"]).exists()


@pytest.mark.django_db
def test_a_sync_never_runs_twice_for_one_account_at_once(architecture):
    with account_lock("123456789012"):
        with pytest.raises(SyncInProgress):
            sync_account(["us-east-1"])
    assert sync_account(["us-east-1"]).status == "success"


def test_list_functions_follows_every_page():
    import boto3

    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    page = [{"FunctionName": f"f{i}", "FunctionArn": f"arn:aws:lambda:us-east-1:123456789012:function:f{i}"}
            for i in range(3)]
    with Stubber(client) as stub:
        stub.add_response("list_functions", {"Functions": page[:2], "NextMarker": "m1"}, {})
        stub.add_response("list_functions", {"Functions": page[2:]}, {"Marker": "m1"})
        assert [f["FunctionName"] for f in get_functions(client)] == ["f0", "f1", "f2"]
        stub.assert_no_pending_responses()


KILL_SCRIPT = textwrap.dedent("""
    import os, sys, time
    import django
    django.setup()
    from flows.models import Resource
    from flows.sync import sync_account

    original = Resource.objects.bulk_create

    def slow_bulk_create(objs, *args, **kwargs):
        created = original(objs, *args, **kwargs)
        open(sys.argv[1], "w").write("inside the transaction")
        time.sleep(60)
        return created

    Resource.objects.bulk_create = slow_bulk_create
    sync_account(["us-east-1"])
""")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_sigkill_in_the_middle_of_writing_leaves_the_last_good_graph(aws, architecture, tmp_path, settings):
    first = sync_account(["us-east-1"])
    before = sorted(Resource.objects.values_list("arn", "origin"))
    make_function(aws, "added-later", architecture["role"])

    marker = tmp_path / "marker"
    db = settings.DATABASES["default"]
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "DJANGO_SETTINGS_MODULE": "dashboard.settings", "PYTHONPATH": str(ROOT),
           "FLOWSCOPE_SYNC_LOCK_TTL": "10"}
    child = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(marker)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the sync process ended before it began writing"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()

    assert sorted(Resource.objects.values_list("arn", "origin")) == before
    killed = SyncRun.objects.exclude(pk=first.pk).get()
    assert killed.status == "running"
    # The next sync sees the dead run, marks it, and completes once the dead holder's lock is
    # gone (at once with flock, after its TTL with Redis).
    wait_for_lock("123456789012")
    after = sync_account(["us-east-1"])
    killed.refresh_from_db()
    assert killed.status == "failed" and killed.errors[0]["code"] == "Interrupted"
    assert after.status == "success"
    assert Resource.objects.filter(name="added-later").exists()


LOCK_SCRIPT = textwrap.dedent("""
    import sys, time
    import django
    django.setup()
    from flows.locks import account_lock
    with account_lock("999999999999"):
        open(sys.argv[1], "w").write("locked")
        time.sleep(60)
""")


@pytest.mark.parametrize("backend", ["file", pytest.param("redis", marks=pytest.mark.services)])
def test_the_sync_lock_frees_itself_when_its_holder_is_killed(backend, tmp_path, settings):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings", "PYTHONPATH": str(ROOT),
           "FLOWSCOPE_LOCK_DIR": settings.FLOWSCOPE["LOCK_DIR"], "FLOWSCOPE_SYNC_LOCK_TTL": "10"}
    if backend == "file":
        env.pop("REDIS_URL", None)
        settings.REDIS_URL = ""
    else:
        env["REDIS_URL"] = settings.REDIS_URL
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", LOCK_SCRIPT, str(marker)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(SyncInProgress):
            with account_lock("999999999999"):
                pass
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    wait_for_lock("999999999999")


def wait_for_lock(account_id, seconds=15):
    deadline = time.monotonic() + seconds
    while True:
        try:
            with account_lock(account_id):
                return
        except SyncInProgress:
            assert time.monotonic() < deadline, "the lock outlived its dead holder"
            time.sleep(0.5)
