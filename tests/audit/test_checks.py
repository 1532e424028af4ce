from flows.audit.checks import check_identity
from flows.audit.findings import Category, Severity

from .helpers import ACCOUNT, ROLE_ARN, USER_ARN, allow, by_category, deny, principal


def categories(findings):
    return {f.category for f in findings}


def test_it_reports_an_aws_managed_administrator_policy_as_admin():
    findings = check_identity(principal(allow("*")))
    admin = by_category(findings, Category.ADMIN)
    assert [f.severity for f in admin] == [Severity.CRITICAL]
    assert admin[0].actions == ["*"] and admin[0].policy == "policy1"
    # Admin implies the rest: no flood of derived findings.
    assert Category.PRIVILEGE_ESCALATION not in categories(findings)


def test_it_reports_a_role_that_may_rewrite_its_own_policies_as_admin_by_meaning():
    findings = check_identity(principal(allow("iam:PutRolePolicy", ROLE_ARN)))
    admin = by_category(findings, Category.ADMIN)
    assert admin and "rewrite its own" in admin[0].title
    assert "statement 1 of policy \"policy1\"" in admin[0].detail


def test_it_does_not_call_put_role_policy_on_another_role_admin_but_escalation():
    other = f"arn:aws:iam::{ACCOUNT}:role/other"
    findings = check_identity(principal(allow("iam:PutRolePolicy", other)))
    assert not by_category(findings, Category.ADMIN)
    assert by_category(findings, Category.PRIVILEGE_ESCALATION)


def test_it_reports_a_user_that_may_write_its_groups_policy_as_admin():
    group = f"arn:aws:iam::{ACCOUNT}:group/devs"
    findings = check_identity(principal(allow("iam:AttachGroupPolicy", group), kind="user",
                                        group_arns=(group,)))
    assert by_category(findings, Category.ADMIN)


def test_it_finds_an_escalation_split_across_two_policies():
    findings = check_identity(principal(allow("iam:PassRole"), allow(["lambda:CreateFunction",
                                                                      "lambda:InvokeFunction"])))
    [finding] = [f for f in by_category(findings, Category.PRIVILEGE_ESCALATION)
                 if "Lambda" in f.title]
    assert finding.policy == "policy1, policy2"
    assert finding.actions == ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]


def test_it_needs_every_part_of_an_escalation_combination():
    findings = check_identity(principal(allow(["iam:PassRole", "lambda:InvokeFunction"])))
    assert not by_category(findings, Category.PRIVILEGE_ESCALATION)


def test_an_explicit_deny_removes_the_escalation():
    findings = check_identity(principal(allow("iam:*"), deny("iam:*")))
    assert not by_category(findings, Category.PRIVILEGE_ESCALATION)
    assert not by_category(findings, Category.ADMIN)


def test_a_deny_all_in_another_policy_removes_administrator_access():
    findings = check_identity(principal(allow("*"), deny("*")))
    assert not by_category(findings, Category.ADMIN)


def test_a_conditional_deny_keeps_the_finding_with_lower_confidence():
    conditional = deny("iam:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})
    [finding] = by_category(check_identity(principal(allow("iam:CreateAccessKey"), conditional)),
                            Category.PRIVILEGE_ESCALATION)
    assert finding.confidence == "medium" and finding.severity == Severity.HIGH
    assert "may be blocked by the Deny" in finding.detail


def test_a_condition_lowers_confidence_but_never_hides_the_finding():
    document = allow("iam:CreatePolicyVersion", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    findings = by_category(check_identity(principal(document)), Category.PRIVILEGE_ESCALATION)
    assert findings and findings[0].confidence == "medium"
    assert "aws:RequestedRegion" in findings[0].detail


def test_writes_that_only_name_aws_managed_policies_grant_nothing_and_are_reported_as_unused():
    findings = check_identity(principal(allow("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/Admin*")))
    assert not by_category(findings, Category.PRIVILEGE_ESCALATION)
    [unused] = by_category(findings, Category.UNUSED_PERMISSION)
    assert unused.severity == Severity.INFO and "AWS-owned" in unused.detail


def test_it_reports_reading_secrets_everywhere_as_data_exfiltration():
    findings = check_identity(principal(allow(["secretsmanager:GetSecretValue", "s3:GetObject"])))
    [finding] = by_category(findings, Category.DATA_EXFILTRATION)
    assert finding.severity == Severity.HIGH
    assert "secretsmanager:GetSecretValue" in finding.actions


def test_reading_one_named_bucket_is_not_data_exfiltration():
    findings = check_identity(principal(allow("s3:GetObject", "arn:aws:s3:::orders/*")))
    assert not by_category(findings, Category.DATA_EXFILTRATION)


def test_it_reports_actions_that_hand_out_credentials():
    findings = check_identity(principal(allow(["ecr:GetAuthorizationToken", "sts:GetSessionToken"])))
    [finding] = by_category(findings, Category.CREDENTIALS_EXPOSURE)
    assert set(finding.actions) == {"ecr:GetAuthorizationToken", "sts:GetSessionToken"}


def test_it_uses_the_databases_access_level_for_permissions_management():
    findings = check_identity(principal(allow("s3:PutBucketPolicy")))
    [finding] = by_category(findings, Category.PERMISSIONS_MANAGEMENT)
    assert finding.actions == ["s3:PutBucketPolicy"] and finding.severity == Severity.HIGH


def test_it_reports_service_wildcards_per_statement():
    [finding] = by_category(check_identity(principal(allow("dynamodb:*", "arn:aws:dynamodb:*:*:table/t"))),
                            Category.SERVICE_WILDCARD)
    assert finding.actions == ["dynamodb:*"] and "statement 1" in finding.detail


def test_it_reports_scopable_writes_on_every_resource():
    [finding] = by_category(check_identity(principal(allow("sqs:SendMessage"))), Category.WRITE_ANY_RESOURCE)
    assert finding.actions == ["sqs:SendMessage"]
    scoped = principal(allow("sqs:SendMessage", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders"))
    assert not by_category(check_identity(scoped), Category.WRITE_ANY_RESOURCE)


def test_it_reports_infrastructure_changes():
    [finding] = by_category(check_identity(principal(allow(["ec2:TerminateInstances", "ec2:DescribeInstances"]))),
                            Category.INFRASTRUCTURE_MODIFICATION)
    assert finding.actions == ["ec2:TerminateInstances"] and finding.severity == Severity.MEDIUM


def test_it_reports_a_statement_whose_condition_can_never_hold_again():
    document = allow("iam:CreatePolicyVersion",
                     Condition={"DateLessThan": {"aws:CurrentTime": "2019-01-01T00:00:00Z"}})
    findings = check_identity(principal(document))
    assert not by_category(findings, Category.PRIVILEGE_ESCALATION)
    assert "can never apply" in by_category(findings, Category.UNUSED_PERMISSION)[0].detail


def test_it_reports_an_unreadable_policy_as_unparseable():
    findings = check_identity(principal("{not json", allow("s3:GetObject", "arn:aws:s3:::b/*")))
    [finding] = by_category(findings, Category.UNPARSEABLE)
    assert finding.severity == Severity.MEDIUM and "not valid JSON" in finding.detail


def test_user_findings_name_the_user():
    findings = check_identity(principal(allow("iam:CreateLoginProfile"), kind="user"))
    assert {f.principal for f in findings} == {USER_ARN}


def test_writing_logs_anywhere_is_a_low_write_any_resource_finding():
    [finding] = by_category(check_identity(principal(allow(["logs:CreateLogStream", "logs:PutLogEvents"]))),
                            Category.WRITE_ANY_RESOURCE)
    assert finding.severity == Severity.LOW and "log group" in finding.detail


def test_infrastructure_writes_scoped_to_named_resources_are_not_reported():
    table = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
    findings = check_identity(principal(allow(["dynamodb:DeleteTable", "dynamodb:PutItem"], table)))
    assert not by_category(findings, Category.INFRASTRUCTURE_MODIFICATION)


def test_managing_only_ones_own_access_keys_is_not_escalation():
    own = f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"
    findings = check_identity(principal(allow(["iam:CreateAccessKey", "iam:UpdateLoginProfile"], own),
                                        kind="user"))
    assert not by_category(findings, Category.PRIVILEGE_ESCALATION)
    assert by_category(findings, Category.CREDENTIALS_EXPOSURE)
    anyone = check_identity(principal(allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/*"),
                                      kind="user"))
    assert by_category(anyone, Category.PRIVILEGE_ESCALATION)


def test_pass_role_limited_to_lambda_is_not_an_ec2_escalation_but_is_a_lambda_one():
    only_lambda = allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})
    findings = check_identity(principal(only_lambda, allow(["ec2:RunInstances", "lambda:CreateFunction",
                                                            "lambda:InvokeFunction"])))
    titles = [f.title for f in by_category(findings, Category.PRIVILEGE_ESCALATION)]
    assert "Privilege escalation: PassRole to a new Lambda function" in titles
    assert "Privilege escalation: PassRole to EC2" not in titles


def test_a_policy_variable_naming_the_caller_lets_a_user_rewrite_itself():
    own = f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"
    findings = check_identity(principal(allow("iam:PutUserPolicy", own), kind="user"))
    assert by_category(findings, Category.ADMIN)
