"""Random policy shapes never crash the audit; they yield findings, at worst unparseable ones."""
import json
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.audit import Category, Finding, audit_authorization_details
from flows.audit.checks import check_identity
from flows.audit.effective import Permissions, Principal
from flows.audit.policy import parse_policy

from .helpers import ROLE_ARN

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12))
actions = st.one_of(st.sampled_from(["*", "s3:*", "s3:Get*", "iam:PassRole", "IAM:passrole", "iam:?ut*",
                                     "lambda:CreateFunction", "nope:Nope", "s3:", ":", "a:b:c", "s3:Get[x]"]),
                    st.text(max_size=15))


def one_or_many(inner):
    return st.one_of(inner, st.lists(inner, max_size=4))


statement = st.one_of(
    scalars,
    st.fixed_dictionaries({}, optional={
        "Effect": st.one_of(st.sampled_from(["Allow", "Deny", "allow"]), scalars),
        "Action": one_or_many(actions), "NotAction": one_or_many(actions),
        "Resource": one_or_many(st.sampled_from(["*", "arn:aws:iam::aws:policy/x", "arn:aws:s3:::b/*"])),
        "NotResource": one_or_many(st.text(max_size=10)),
        "Condition": st.one_of(scalars, st.dictionaries(
            st.sampled_from(["DateLessThan", "StringEquals", "Bool"]),
            st.one_of(scalars, st.dictionaries(st.sampled_from(["aws:CurrentTime", "aws:SourceArn"]),
                                               one_or_many(scalars), max_size=2)), max_size=2)),
        "Principal": st.one_of(st.just("*"), scalars, st.dictionaries(
            st.sampled_from(["AWS", "Service"]), one_or_many(st.text(max_size=20)), max_size=2)),
        "Sid": scalars,
    }),
)
document = st.one_of(
    scalars,
    st.fixed_dictionaries({}, optional={"Version": scalars, "Statement": one_or_many(statement)}),
)
encoded = st.one_of(document, document.map(lambda d: json.dumps(d)),
                    document.map(lambda d: quote(json.dumps(d))), st.text(max_size=30))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(encoded, min_size=1, max_size=3))
def test_random_policy_shapes_never_crash_the_checks(documents):
    policies = [parse_policy(d, f"p{i}") for i, d in enumerate(documents)]
    findings = check_identity(Principal(arn=ROLE_ARN, kind="role", permissions=Permissions(policies)))
    assert all(isinstance(f, Finding) for f in findings)
    for policy in policies:
        if policy.problems:
            assert any(f.category == Category.UNPARSEABLE and f.policy == policy.name for f in findings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(encoded, encoded, st.one_of(scalars, st.lists(scalars, max_size=3)))
def test_random_authorization_details_never_crash_the_account_audit(policy, trust, junk):
    details = {
        "RoleDetailList": [junk, {"RoleName": "r", "Arn": ROLE_ARN, "AssumeRolePolicyDocument": trust,
                                  "RolePolicyList": [{"PolicyName": "x", "PolicyDocument": policy}, junk],
                                  "AttachedManagedPolicies": junk}],
        "UserDetailList": junk, "GroupDetailList": junk, "Policies": junk,
    }
    result = audit_authorization_details(details, functions=[
        {"arn": "arn:aws:lambda:eu-west-1:111122223333:function:f", "resource_policy": policy, "role": ROLE_ARN}])
    assert all(isinstance(f, Finding) for f in result.findings)


json_values = st.recursive(
    scalars, lambda children: st.one_of(st.lists(children, max_size=3),
                                        st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=12)
fields = {
    "Arn": st.one_of(st.just(ROLE_ARN), st.just("arn:aws:iam::111122223333:user/u"), json_values),
    "RoleName": json_values, "UserName": json_values, "GroupName": st.one_of(st.just("g"), json_values),
    "Path": json_values, "GroupList": st.one_of(st.just(["g"]), json_values),
    "AssumeRolePolicyDocument": st.one_of(encoded, json_values),
    "RolePolicyList": json_values, "UserPolicyList": json_values, "GroupPolicyList": json_values,
    "AttachedManagedPolicies": st.one_of(st.just([{"PolicyArn": "arn:aws:iam::aws:policy/P"}]), json_values),
    "PermissionsBoundary": json_values, "RoleLastUsed": json_values,
    "PolicyVersionList": st.one_of(st.just([{"IsDefaultVersion": True, "Document": {"Statement": []}}]),
                                   json_values),
    "DefaultVersionId": json_values, "PolicyName": json_values,
}
entity = st.fixed_dictionaries({}, optional=fields)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={
    key: st.one_of(st.lists(st.one_of(entity, json_values), max_size=3), json_values)
    for key in ("RoleDetailList", "UserDetailList", "GroupDetailList", "Policies")}),
    st.lists(st.one_of(json_values, st.fixed_dictionaries(
        {"arn": st.one_of(st.just("arn:aws:lambda:eu-west-1:111122223333:function:f"), json_values)},
        optional={"role": st.one_of(st.just(ROLE_ARN), json_values), "resource_policy": encoded,
                  "url_auth_type": json_values})), max_size=3))
def test_junk_anywhere_in_the_authorization_details_never_crashes(details, functions):
    result = audit_authorization_details(details, functions=functions)
    assert all(isinstance(f, Finding) and isinstance(f.principal, str) for f in result.findings)
