"""Answers of Cognito, IoT and AppSync shaped as AWS returns them."""

ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"

USER_POOL_LAMBDA_CONFIG = {
    "PreTokenGeneration": f"{FN}:tokens-v1",
    "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": f"{FN}:tokens-v2"},
    "CustomSMSSender": {"LambdaVersion": "V1_0", "LambdaArn": f"{FN}:sms"},
    "UserMigration": f"{FN}:migrate:live",
    "KMSKeyID": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}

IOT_RULE_LISTED = {"ruleArn": f"arn:aws:iot:us-east-1:{ACCOUNT}:rule/alarms", "ruleName": "alarms",
                   "topicPattern": "plant/+/alarm", "ruleDisabled": True}
IOT_RULE_WITH_ERROR_ACTION = {
    "ruleName": "alarms", "sql": "SELECT * FROM 'plant/+/alarm'", "ruleDisabled": True,
    "awsIotSqlVersion": "2016-03-23",
    "actions": [{"sns": {"targetArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms", "roleArn": "r"}},
                {"lambda": {"functionArn": f"{FN}:page-oncall"}}],
    "errorAction": {"lambda": {"functionArn": f"{FN}:dead-letters"}},
}

APPSYNC_API = {
    "name": "catalogue", "apiId": "f2cb6f3f8b2e4d9a", "authenticationType": "AMAZON_COGNITO_USER_POOLS",
    "arn": f"arn:aws:appsync:us-east-1:{ACCOUNT}:apis/f2cb6f3f8b2e4d9a", "apiType": "GRAPHQL",
    "visibility": "GLOBAL", "xrayEnabled": False,
    "tags": {"aws:cloudformation:stack-name": "catalogue-stack"},
}
APPSYNC_DATA_SOURCES = [
    {"name": "products", "type": "AWS_LAMBDA", "serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/appsync-products",
     "lambdaConfig": {"lambdaFunctionArn": f"{FN}:products-resolver:live"},
     "dataSourceArn": f"arn:aws:appsync:us-east-1:{ACCOUNT}:apis/f2cb6f3f8b2e4d9a/datasources/products"},
    {"name": "orders", "type": "AMAZON_DYNAMODB", "serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/appsync-orders",
     "dynamodbConfig": {"tableName": "orders", "awsRegion": "us-east-1"}},
]
