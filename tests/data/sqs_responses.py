"""Canned SQS GetQueueAttributes(All) answers."""

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"
DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:orders-dlq.fifo"

FIFO_QUEUE_ATTRIBUTES = {
    "QueueArn": QUEUE_ARN,
    "FifoQueue": "true",
    "ContentBasedDeduplication": "true",
    "VisibilityTimeout": "180",
    "MessageRetentionPeriod": "1209600",
    "DelaySeconds": "0",
    "MaximumMessageSize": "262144",
    "ReceiveMessageWaitTimeSeconds": "20",
    "KmsMasterKeyId": "alias/orders",
    # AWS returns maxReceiveCount as a number in some accounts and as a string in others.
    "RedrivePolicy": f'{{"deadLetterTargetArn":"{DLQ_ARN}","maxReceiveCount":"4"}}',
}

MALFORMED_REDRIVE_ATTRIBUTES = {
    "QueueArn": QUEUE_ARN,
    "VisibilityTimeout": "30",
    "RedrivePolicy": "{deadLetterTargetArn: oops",
}

REDRIVE_WITHOUT_TARGET_ATTRIBUTES = {
    "QueueArn": QUEUE_ARN,
    "RedrivePolicy": '{"maxReceiveCount": 3}',
}

NON_NUMERIC_ATTRIBUTES = {
    "QueueArn": QUEUE_ARN,
    "VisibilityTimeout": "thirty",
    "RedrivePolicy": '["not", "an", "object"]',
}
