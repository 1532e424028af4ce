"""Canned EventBridge ListRules / ListTargetsByRule entries."""

RULE = {
    "Name": "order-placed",
    "Arn": "arn:aws:events:us-east-1:123456789012:rule/orders/order-placed",
    "EventPattern": '{"source": ["shop.orders"], "detail-type": ["OrderPlaced"]}',
    "State": "ENABLED",
    "EventBusName": "orders",
    "ManagedBy": "schemas.amazonaws.com",
}

SCHEDULE_RULE = {
    "Name": "nightly",
    "Arn": "arn:aws:events:us-east-1:123456789012:rule/nightly",
    "ScheduleExpression": "cron(0 3 * * ? *)",
    "State": "DISABLED",
}

LAMBDA_TARGET_ON_ALIAS = {
    "Id": "bill",
    "Arn": "arn:aws:lambda:us-east-1:123456789012:function:bill:live",
    "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>}'},
    "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:bill-dlq"},
    "RetryPolicy": {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600},
}

STATE_MACHINE_TARGET = {
    "Id": "fulfil",
    "Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:fulfil",
    "RoleArn": "arn:aws:iam::123456789012:role/events-to-sfn",
    "Input": '{"constant": true}',
}

TARGET_WITHOUT_ARN = {"Id": "broken"}
