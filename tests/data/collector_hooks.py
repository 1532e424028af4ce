"""Hooks on a boto3 session for collector tests: races, refusals and reshaped answers.

The emulator answers for real; these only step in for one operation, to reproduce what a
live account does that moto cannot (a resource deleted mid-sync, a denied call, a field
moto never returns).
"""
import io
import zipfile

import boto3
from botocore.awsrequest import AWSResponse

from flows.aws import COLLECTORS

ROLE_POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
               '{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')


def session():
    return boto3.Session()


def only(*keys):
    """The registered collectors named ``keys``: a test syncs what it looks at (IAM alone
    takes seconds in the emulator, which loads every AWS managed policy)."""
    chosen = tuple(c for c in COLLECTORS if c.key in keys)
    assert len(chosen) == len(keys), f"unknown collector among {keys}"
    return chosen


def before_each_call(session, service, operation, action):
    """Run ``action(params)`` before every call of service.operation (e.g. delete the resource);
    ``params`` are the keyword arguments the collector passed."""
    def handler(params=None, **kwargs):
        action(params)

    session.events.register(f"before-parameter-build.{service}.{operation}", handler)


def deny(session, service, operation):
    """Make service.operation answer AccessDenied, as a missing IAM permission would."""
    def handler(**kwargs):
        refused = {"Error": {"Code": "AccessDenied", "Message": f"not allowed: {operation}"},
                   "ResponseMetadata": {"HTTPStatusCode": 403}}
        # No body (raw=None): handlers that would re-read one, such as S3's, stand aside.
        return AWSResponse("https://denied.invalid/", 403, {}, None), refused

    session.events.register(f"before-call.{service}.{operation}", handler)


def reshape(session, service, operation, change):
    """Let ``change(parsed)`` edit every answer of service.operation in place."""
    def handler(parsed=None, **kwargs):
        change(parsed)

    session.events.register(f"after-call.{service}.{operation}", handler)


def count_calls(session):
    """A dict "service.Operation" -> calls made through ``session`` (updated live)."""
    calls = {}

    def handler(model=None, **kwargs):
        key = f"{model.service_model.endpoint_prefix}.{model.name}"
        calls[key] = calls.get(key, 0) + 1

    session.events.register("before-call", handler)
    return calls


def zipped_handler():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def make_function(aws, name, region="us-east-1"):
    """A function (and its role) in the emulator; returns its unqualified ARN."""
    iam = aws("iam")
    try:
        role_arn = iam.get_role(RoleName="collector-test-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role_arn = iam.create_role(RoleName="collector-test-role",
                                   AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    return aws("lambda", region).create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="index.handler",
        Code={"ZipFile": zipped_handler()})["FunctionArn"]


def make_queue(aws, name, region="us-east-1", **attributes):
    """(queue URL, queue ARN) of a new queue."""
    sqs = aws("sqs", region)
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn
