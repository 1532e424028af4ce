"""Canned IAM GetAccountAuthorizationDetails pages."""
import datetime
import json
from urllib.parse import quote

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
INLINE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": "arn:aws:dynamodb:*:*:table/chat"}]}
LOGS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}

ROLE = {
    "Path": "/service/",
    "RoleName": "chat-fn",
    "RoleId": "AROAEXAMPLE0000000001",
    "Arn": "arn:aws:iam::123456789012:role/service/chat-fn",
    "CreateDate": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    # The raw API URL-encodes documents; some paths hand them on undecoded.
    "AssumeRolePolicyDocument": quote(json.dumps(TRUST)),
    "RolePolicyList": [
        {"PolicyName": "table", "PolicyDocument": json.dumps(INLINE)},
        {"PolicyName": "broken", "PolicyDocument": "%7B%22Version%22%3A"},
    ],
    "AttachedManagedPolicies": [
        {"PolicyName": "AWSLambdaBasicExecutionRole",
         "PolicyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
        {"PolicyName": "gone", "PolicyArn": "arn:aws:iam::123456789012:policy/gone"},
    ],
    "PermissionsBoundary": {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                            "PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/boundary"},
    "Tags": [{"Key": "team", "Value": "chat"}],
    "RoleLastUsed": {"LastUsedDate": datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC),
                     "Region": "eu-west-1"},
    "InstanceProfileList": [],
}

# Roles and policies come on different pages: roles must still find their documents.
# Documents are URL-encoded JSON strings, as the API sends them.
PAGE_WITH_ROLE = {"RoleDetailList": [ROLE], "Policies": [], "IsTruncated": True, "Marker": "m1"}
PAGE_WITH_POLICIES = {"RoleDetailList": [], "IsTruncated": False, "Policies": [
    {"PolicyName": "AWSLambdaBasicExecutionRole",
     "Arn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
     "DefaultVersionId": "v2",
     "PolicyVersionList": [
         {"VersionId": "v1", "IsDefaultVersion": False,
          "Document": quote(json.dumps({"Version": "2012-10-17", "Statement": []}))},
         {"VersionId": "v2", "IsDefaultVersion": True, "Document": quote(json.dumps(LOGS))}]},
    {"PolicyName": "UnattachedPolicy", "Arn": "arn:aws:iam::aws:policy/UnattachedPolicy",
     "DefaultVersionId": "v1",
     "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True,
                            "Document": quote(json.dumps(LOGS))}]},
]}
