"""Small builders shared by the audit tests."""
from flows.audit.effective import Permissions, Principal
from flows.audit.policy import parse_policy

ACCOUNT = "111122223333"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/worker"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders"


def allow(actions, resources="*", **extra):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources, **extra}]}


def deny(actions, resources="*", **extra):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": actions, "Resource": resources, **extra}]}


def principal(*documents, kind="role", arn=None, **fields):
    policies = [parse_policy(document, f"policy{number}") for number, document in enumerate(documents, 1)]
    arn = arn or (ROLE_ARN if kind == "role" else USER_ARN)
    return Principal(arn=arn, kind=kind, permissions=Permissions(policies), **fields)


def by_category(findings, category):
    return [f for f in findings if f.category == category]
