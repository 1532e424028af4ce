"""function_takeover: who may change what a function runs, or who may call it."""
import json
from pathlib import Path

from flows.audit import Category, Severity, audit_authorization_details

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY_POLICY = Path(__file__).resolve().parents[2] / "policies" / "flowscope-readonly.json"
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def function_arn(name):
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def statement(actions, resources="*", effect="Allow", **extra):
    return {"Effect": effect, "Action": actions, "Resource": resources, **extra}


def role(name, *statements, managed=(), boundary=None):
    entry = {"RoleName": name, "Arn": role_arn(name), "Path": "/", "AssumeRolePolicyDocument": LAMBDA_TRUST,
             "RolePolicyList": [{"PolicyName": f"{name}-policy", "PolicyDocument": {
                 "Version": "2012-10-17", "Statement": list(statements)}}] if statements else [],
             "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in managed]}
    if boundary:
        entry["PermissionsBoundary"] = {"PermissionsBoundaryArn": boundary}
    return entry


def managed(arn, *statements):
    return {"PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "DefaultVersionId": "v1", "PolicyVersionList": [
        {"VersionId": "v1", "IsDefaultVersion": True,
         "Document": {"Version": "2012-10-17", "Statement": list(statements)}}]}


# Two functions: "payments" runs as an administrator, "thumbs" as a role that may only log.
FUNCTIONS = [
    {"arn": function_arn("payments"), "role": role_arn("payments-role")},
    {"arn": function_arn("thumbs"), "role": role_arn("thumbs-role")},
]
EXECUTION_ROLES = [
    role("payments-role", managed=[ADMIN_ACCESS]),
    role("thumbs-role", statement(["logs:PutLogEvents"], f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/thumbs:*")),
]


def audit(*principals, functions=FUNCTIONS, policies=(), users=(), groups=(), **kwargs):
    details = {"RoleDetailList": EXECUTION_ROLES + list(principals), "UserDetailList": list(users),
               "GroupDetailList": list(groups),
               "Policies": [managed(ADMIN_ACCESS, statement("*")), *policies]}
    return audit_authorization_details(details, functions=functions, **kwargs)


def takeovers(result, principal):
    return [f for f in result.findings if f.category == Category.FUNCTION_TAKEOVER and f.principal == principal]


def taken(result, principal):
    return {arn for f in takeovers(result, principal) for arn in f.functions}


def test_it_finds_who_may_change_a_functions_code_and_rates_it_by_the_functions_role():
    result = audit(role("deployer", statement("lambda:UpdateFunctionCode", function_arn("payments"))))
    [finding] = takeovers(result, role_arn("deployer"))
    assert finding.functions == [function_arn("payments")]
    # payments runs as an administrator: taking it over is taking over the account.
    assert finding.severity == Severity.CRITICAL and finding.confidence == "high"
    assert finding.actions == ["lambda:UpdateFunctionCode"]
    assert 'statement 1 of policy "deployer-policy"' in finding.detail and "change the code" in finding.detail


def test_taking_over_a_function_whose_role_can_do_little_is_low():
    result = audit(role("deployer", statement("lambda:UpdateFunctionCode", function_arn("thumbs"))))
    [finding] = takeovers(result, role_arn("deployer"))
    assert finding.functions == [function_arn("thumbs")] and finding.severity == Severity.LOW


def test_changing_the_configuration_counts():
    result = audit(role("tuner", statement("lambda:UpdateFunctionConfiguration", function_arn("payments"))))
    [finding] = takeovers(result, role_arn("tuner"))
    assert finding.actions == ["lambda:UpdateFunctionConfiguration"] and "layers, environment, role" in finding.detail


def test_updating_an_alias_counts_only_where_triggers_call_the_alias():
    deployer = role("releaser", statement(["lambda:UpdateAlias", "lambda:PublishVersion"], "*"))
    assert not takeovers(audit(deployer), role_arn("releaser"))
    aliased = [dict(FUNCTIONS[0], aliases=["live"]), FUNCTIONS[1]]
    [finding] = takeovers(audit(deployer, functions=aliased), role_arn("releaser"))
    assert finding.functions == [function_arn("payments")]
    assert finding.actions == ["lambda:PublishVersion", "lambda:UpdateAlias"]
    assert "repoint the alias triggers call (live)" in finding.detail


def test_an_alias_scoped_grant_reaches_the_alias_its_triggers_call():
    aliased = [dict(FUNCTIONS[0], aliases=["live"])]
    result = audit(role("releaser", statement("lambda:UpdateAlias", function_arn("payments") + ":live")),
                   functions=aliased)
    assert taken(result, role_arn("releaser")) == {function_arn("payments")}


def test_adding_to_the_resource_policy_counts():
    result = audit(role("opener", statement("lambda:AddPermission", function_arn("payments"))))
    [finding] = takeovers(result, role_arn("opener"))
    assert finding.actions == ["lambda:AddPermission"] and "let anyone invoke" in finding.detail


def test_pass_role_and_create_function_take_over_the_roles_of_existing_functions():
    creator = role("creator", statement("iam:PassRole", role_arn("payments-role")),
                   statement(["lambda:CreateFunction", "lambda:InvokeFunction"], f"arn:aws:lambda:*:{ACCOUNT}:function:preview-*"))
    [finding] = takeovers(audit(creator), role_arn("creator"))
    # Only payments: the creator may pass payments-role, not thumbs-role.
    assert finding.functions == [function_arn("payments")] and finding.severity == Severity.CRITICAL
    assert finding.actions == ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]


def test_pass_role_and_create_function_need_a_way_to_run_the_new_function():
    creator = role("creator", statement("iam:PassRole", "*"), statement("lambda:CreateFunction", "*"))
    assert not takeovers(audit(creator), role_arn("creator"))
    with_mapping = role("creator", statement("iam:PassRole", "*"),
                        statement(["lambda:CreateFunction", "lambda:CreateEventSourceMapping"], "*"))
    assert taken(audit(with_mapping), role_arn("creator")) == {function_arn("payments"), function_arn("thumbs")}


def test_pass_role_limited_to_another_service_does_not_count():
    creator = role("creator", statement("iam:PassRole", "*", Condition={
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
        statement(["lambda:CreateFunction", "lambda:InvokeFunction"], "*"))
    assert not takeovers(audit(creator), role_arn("creator"))


def test_a_deny_removes_the_takeover():
    result = audit(role("deployer", statement("lambda:Update*", "*"),
                        statement("lambda:UpdateFunctionCode", function_arn("payments"), effect="Deny")))
    assert taken(result, role_arn("deployer")) == {function_arn("payments"), function_arn("thumbs")}
    [code] = [f for f in takeovers(result, role_arn("deployer")) if function_arn("payments") in f.functions]
    # UpdateFunctionConfiguration still reaches payments; code changes only reach thumbs.
    assert "lambda:UpdateFunctionCode" not in code.actions
    denied = audit(role("deployer", statement("lambda:UpdateFunctionCode", "*"),
                        statement("lambda:*", function_arn("payments"), effect="Deny")))
    assert taken(denied, role_arn("deployer")) == {function_arn("thumbs")}


def test_a_grant_scoped_to_another_function_does_not_reach_this_one():
    result = audit(role("deployer", statement(["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"],
                                              function_arn("thumbs*"))))
    assert taken(result, role_arn("deployer")) == {function_arn("thumbs")}


def test_wildcards_notaction_and_notresource_are_respected():
    not_action = role("broad", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert taken(audit(not_action), role_arn("broad")) == {function_arn("payments"), function_arn("thumbs")}
    not_resource = role("almost", {"Effect": "Allow", "Action": "lambda:UpdateFunctionCode",
                                   "NotResource": function_arn("payments")})
    assert taken(audit(not_resource), role_arn("almost")) == {function_arn("thumbs")}
    other_account = role("elsewhere", statement("lambda:*", "arn:aws:lambda:*:999988887777:function:*"))
    assert not takeovers(audit(other_account), role_arn("elsewhere"))


def test_a_permissions_boundary_caps_the_takeover():
    boundary = "arn:aws:iam::111122223333:policy/read-only-boundary"
    result = audit(role("capped", statement("lambda:*", "*"), boundary=boundary),
                   policies=[managed(boundary, statement(["lambda:Get*", "lambda:List*"], "*"))])
    assert not takeovers(result, role_arn("capped"))


def test_a_condition_lowers_confidence_and_severity():
    result = audit(role("deployer", statement("lambda:UpdateFunctionCode", function_arn("payments"), Condition={
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    [finding] = takeovers(result, role_arn("deployer"))
    assert finding.confidence == "medium" and finding.severity == Severity.HIGH
    assert "aws:SourceIp" in finding.detail


def test_users_and_group_members_are_found_too():
    group = {"GroupName": "deployers", "Arn": f"arn:aws:iam::{ACCOUNT}:group/deployers",
             "GroupPolicyList": [{"PolicyName": "ship", "PolicyDocument": {
                 "Version": "2012-10-17", "Statement": [statement("lambda:UpdateFunctionCode", "*")]}}],
             "AttachedManagedPolicies": []}
    alice = {"UserName": "alice", "Arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "GroupList": ["deployers"],
             "UserPolicyList": [], "AttachedManagedPolicies": []}
    result = audit(users=[alice], groups=[group])
    assert taken(result, alice["Arn"]) == {function_arn("payments"), function_arn("thumbs")}
    assert {f.severity for f in takeovers(result, alice["Arn"])} == {Severity.CRITICAL, Severity.LOW}


def test_a_read_only_principal_has_no_finding():
    readonly = role("flowscope-read", *json.loads(READONLY_POLICY.read_text())["Statement"])
    viewer = role("viewer", statement(["lambda:Get*", "lambda:List*", "lambda:InvokeFunction"], "*"))
    result = audit(readonly, viewer)
    assert not takeovers(result, role_arn("flowscope-read")) and not takeovers(result, role_arn("viewer"))


def test_flowscopes_own_role_never_appears_even_if_it_could_write():
    result = audit(role("flowscope-read", statement("lambda:*", "*")), ignore=[role_arn("flowscope-read")])
    assert not takeovers(result, role_arn("flowscope-read"))


def test_a_functions_own_role_is_not_reported_as_taking_it_over():
    # payments-role is an administrator: it may change every other function, but not "take over" itself.
    result = audit()
    assert taken(result, role_arn("payments-role")) == {function_arn("thumbs")}


def test_an_unknown_execution_role_is_rated_medium():
    result = audit(role("deployer", statement("lambda:UpdateFunctionCode", "*")),
                   functions=[{"arn": function_arn("orphan"), "role": role_arn("not-in-file")}])
    [finding] = takeovers(result, role_arn("deployer"))
    assert finding.severity == Severity.MEDIUM and "could not be read" in finding.detail


def test_findings_carry_the_findings_format_fields():
    result = audit(role("deployer", statement("lambda:UpdateFunctionCode", "*")))
    data = [f.to_dict() for f in takeovers(result, role_arn("deployer"))]
    assert {d["category"] for d in data} == {"function_takeover"}
    assert all(d["principal"] == role_arn("deployer") and d["functions"] for d in data)
    # One finding per rating of the roles taken over: critical (payments) and low (thumbs).
    assert sorted(d["severity"] for d in data) == ["critical", "low"]


# ---------------------------------------------------------------- known-benign grants

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
BASIC_POLICY = managed(BASIC_EXECUTION, statement(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]))


def test_basic_execution_log_writes_roll_up_into_one_info_note():
    result = audit(role("a-role", managed=[BASIC_EXECUTION]), role("b-role", managed=[BASIC_EXECUTION]),
                   policies=[BASIC_POLICY])
    writes = [f for f in result.findings if f.category == Category.WRITE_ANY_RESOURCE]
    [note] = writes
    assert note.severity == Severity.INFO and note.principal == "(known-benign grants)"
    assert note.resources == [role_arn("a-role"), role_arn("b-role")] and note.functions == []
    assert note.actions == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


def test_other_writes_on_any_resource_are_still_reported_beside_the_benign_ones():
    result = audit(role("a-role", statement("sqs:SendMessage"), managed=[BASIC_EXECUTION]), policies=[BASIC_POLICY])
    [finding] = [f for f in result.findings if f.category == Category.WRITE_ANY_RESOURCE and f.principal == role_arn("a-role")]
    assert finding.actions == ["sqs:SendMessage"] and finding.severity == Severity.MEDIUM


def test_an_empty_benign_list_reports_log_writes_per_role_again():
    result = audit(role("a-role", managed=[BASIC_EXECUTION]), policies=[BASIC_POLICY], benign=())
    [finding] = [f for f in result.findings if f.category == Category.WRITE_ANY_RESOURCE]
    assert finding.principal == role_arn("a-role") and finding.severity == Severity.LOW


def test_a_takeover_keeps_its_title_when_functions_come_and_go_so_a_suppression_survives():
    deployer = role("deployer", statement("lambda:UpdateFunctionCode", "*"))
    before = {f.title for f in takeovers(audit(deployer), role_arn("deployer"))}
    more = FUNCTIONS + [{"arn": function_arn("resizer"), "role": role_arn("thumbs-role")}]
    after = takeovers(audit(deployer, functions=more), role_arn("deployer"))
    assert {f.title for f in after} == before
    assert function_arn("resizer") in next(f for f in after if f.severity == Severity.LOW).functions


# ---------------------------------------------------------------- through roles it may assume


def trusting(entry, *principals):
    entry["AssumeRolePolicyDocument"] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}]}
    return entry


def test_a_principal_that_may_assume_a_deployer_role_takes_over_what_that_role_can():
    bob = {"UserName": "bob", "Arn": f"arn:aws:iam::{ACCOUNT}:user/bob", "GroupList": [],
           "UserPolicyList": [], "AttachedManagedPolicies": []}
    deployer = trusting(role("deployer", statement("lambda:UpdateFunctionCode", function_arn("payments"))), bob["Arn"])
    result = audit(deployer, users=[bob])
    [finding] = takeovers(result, bob["Arn"])
    assert finding.functions == [function_arn("payments")] and finding.severity == Severity.CRITICAL
    assert finding.title.endswith(", by assuming deployer")
    assert "sts:AssumeRole" in finding.actions and role_arn("deployer") in finding.resources
    assert finding.detail.index(f"{bob['Arn']} -> {role_arn('deployer')}") < finding.detail.index("How to fix:")


def test_nobody_gains_a_takeover_through_a_role_they_may_not_assume():
    bob = {"UserName": "bob", "Arn": f"arn:aws:iam::{ACCOUNT}:user/bob", "GroupList": [],
           "UserPolicyList": [], "AttachedManagedPolicies": []}
    # Trusting the account root needs the caller's own sts:AssumeRole, which bob lacks.
    deployer = trusting(role("deployer", statement("lambda:UpdateFunctionCode", "*")), f"arn:aws:iam::{ACCOUNT}:root")
    assert not takeovers(audit(deployer, users=[bob]), bob["Arn"])
