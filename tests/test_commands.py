import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.aws.test_lambda import make_function


@pytest.fixture
def small_architecture(aws):
    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    make_function(aws, "f1", role)
    make_function(aws, "f2", role, region="eu-west-1")
    return role


@pytest.mark.django_db
def test_sync_command_discovers_every_region_given(small_architecture, capsys):
    call_command("sync", "--region", "us-east-1", "--region", "eu-west-1")
    out = capsys.readouterr().out
    assert "success" in out
    call_command("export_graph", "--format", "json")
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "flowscope.graph/1"
    regions = {n["region"] for n in document["nodes"] if n["type"] == "lambda_function"}
    assert regions == {"us-east-1", "eu-west-1"}


@pytest.mark.django_db
def test_export_graph_draws_dot_and_mermaid(small_architecture, capsys):
    call_command("sync", "--region", "us-east-1")
    capsys.readouterr()
    call_command("export_graph", "--format", "dot")
    dot = capsys.readouterr().out
    assert dot.startswith("digraph flowscope {") and "execution_role" in dot and "->" in dot
    call_command("export_graph", "--format", "mermaid")
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("flowchart LR") and "-->|" in mermaid


@pytest.mark.django_db
def test_sync_command_assumes_each_role_given(aws, small_architecture, capsys):
    call_command("sync", "--region", "us-east-1", "--role-arn", small_architecture, "--json")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "success"
    assert summary["account"] == "123456789012"


def test_export_graph_rejects_an_unknown_format():
    result = subprocess.run([sys.executable, "manage.py", "export_graph", "--format", "nope"],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "invalid choice" in result.stderr


@pytest.mark.django_db
def test_sync_command_needs_no_region_in_the_environment_beside_its_region_option(
        small_architecture, monkeypatch, capsys):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)

    call_command("sync", "--region", "eu-west-1", "--role-arn", small_architecture, "--json")

    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "success"


@pytest.mark.django_db
def test_sync_command_keeps_the_cause_of_a_failed_start(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there

    with pytest.raises(CommandError, match="sync could not start") as raised:
        call_command("sync", "--region", "us-east-1")

    assert raised.value.__cause__ is not None
