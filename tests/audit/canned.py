"""A small `aws iam get-account-authorization-details` answer, shaped like the real one."""
import json
from urllib.parse import quote

ACCOUNT = "111122223333"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
PASS_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:policy/pass-role"
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _role(name, trust=None, inline=(), attached=(), path="/", last_used=None):
    return {"Path": path, "RoleName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:role{path}{name}",
            "AssumeRolePolicyDocument": quote(json.dumps(trust or LAMBDA_TRUST)),
            "RolePolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in inline],
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
            "RoleLastUsed": last_used if last_used is not None else {}}


AUTHORIZATION_DETAILS = {
    "UserDetailList": [
        {"UserName": "ops", "Arn": f"arn:aws:iam::{ACCOUNT}:user/ops", "GroupList": ["admins"],
         "AttachedManagedPolicies": []},
        {"UserName": "reader", "Arn": f"arn:aws:iam::{ACCOUNT}:user/reader", "GroupList": [],
         "UserPolicyList": [{"PolicyName": "read-orders", "PolicyDocument": {
             "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                     "Resource": "arn:aws:s3:::orders/*"}]}}],
         "AttachedManagedPolicies": []},
        {"UserName": "ghost", "Arn": f"arn:aws:iam::{ACCOUNT}:user/ghost", "GroupList": ["missing"],
         "AttachedManagedPolicies": [{"PolicyName": "gone", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/gone"}]},
    ],
    "GroupDetailList": [
        {"GroupName": "admins", "Arn": f"arn:aws:iam::{ACCOUNT}:group/admins", "GroupPolicyList": [],
         "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN_POLICY_ARN}]},
    ],
    "RoleDetailList": [
        _role("deployer", attached=[PASS_ROLE_ARN], inline=[("lambda", json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
                "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]}))],
              last_used={"LastUsedDate": "2026-11-01T00:00:00Z"}),
        _role("start", trust={"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
            "AWS": f"arn:aws:iam::{ACCOUNT}:user/reader"}}]}),
        _role("middle", trust={"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
            "AWS": f"arn:aws:iam::{ACCOUNT}:role/start"}}]}),
        _role("top", attached=[ADMIN_POLICY_ARN], trust={"Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/middle"}}]}),
        _role("partner", trust={"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                               "Principal": {"AWS": "arn:aws:iam::999988887777:root"}}]}),
        _role("anyone", trust={"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*"}]}),
        _role("AWSServiceRoleForThing", path="/aws-service-role/", attached=[ADMIN_POLICY_ARN]),
    ],
    "Policies": [
        {"PolicyName": "AdministratorAccess", "Arn": ADMIN_POLICY_ARN, "DefaultVersionId": "v1",
         "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": {
             "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]},
        {"PolicyName": "pass-role", "Arn": PASS_ROLE_ARN, "DefaultVersionId": "v2", "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": False, "Document": {"Statement": []}},
            {"VersionId": "v2", "IsDefaultVersion": True, "Document": quote(json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole",
                                                        "Resource": "*"}]}))}]},
    ],
}
