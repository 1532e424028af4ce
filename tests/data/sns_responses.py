"""Canned SNS answers, shaped as boto3 returns them."""

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:orders"

TOPIC_ATTRIBUTES = {
    "TopicArn": TOPIC_ARN,
    "Owner": "123456789012",
    "DisplayName": "Orders",
    "SubscriptionsConfirmed": "3",
    "SubscriptionsPending": "1",
    "SubscriptionsDeleted": "0",
    "Policy": '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},'
              '"Action":"SNS:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:orders"}]}',
}

TOPIC_ATTRIBUTES_BAD_POLICY = {**TOPIC_ATTRIBUTES, "Policy": "{'single': 'quotes'}"}

LAMBDA_SUBSCRIPTION_ON_ALIAS = {
    "SubscriptionArn": f"{TOPIC_ARN}:0b6941c3-f04d-4d3e-a66d-b1df00e1e381",
    "Owner": "123456789012",
    "Protocol": "lambda",
    "Endpoint": "arn:aws:lambda:us-east-1:123456789012:function:bill:live",
    "TopicArn": TOPIC_ARN,
}

# A cross-account queue whose owner has not confirmed yet: no subscription ARN exists.
PENDING_SQS_SUBSCRIPTION = {
    "SubscriptionArn": "PendingConfirmation",
    "Owner": "123456789012",
    "Protocol": "sqs",
    "Endpoint": "arn:aws:sqs:us-east-1:210987654321:audit",
    "TopicArn": TOPIC_ARN,
}

HTTPS_SUBSCRIPTION = {
    "SubscriptionArn": f"{TOPIC_ARN}:5f1b0c0e-8a43-4d1c-9f0b-3d1f3a1e2b7c",
    "Owner": "123456789012",
    "Protocol": "https",
    "Endpoint": "https://hooks.example.com/orders",
    "TopicArn": TOPIC_ARN,
}

LAMBDA_SUBSCRIPTION_TO_NON_FUNCTION = {
    **LAMBDA_SUBSCRIPTION_ON_ALIAS,
    "Endpoint": "arn:aws:sqs:us-east-1:123456789012:not-a-function",
}
