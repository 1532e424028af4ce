"""Canned DynamoDB DescribeTable answers (the "Table" member)."""
import datetime

# Provisioned long ago: no BillingModeSummary, stream never enabled.
OLD_PROVISIONED_TABLE = {
    "TableName": "legacy",
    "TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/legacy",
    "TableStatus": "ACTIVE",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "ItemCount": 1200,
    "TableSizeBytes": 48000,
    "CreationDateTime": datetime.datetime(2016, 3, 1, tzinfo=datetime.UTC),
    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
}

# Stream switched off: the last stream ARN is still reported, the view type is not current.
STREAM_DISABLED_TABLE = {
    "TableName": "chat",
    "TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/chat",
    "TableStatus": "ACTIVE",
    "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
    "StreamSpecification": {"StreamEnabled": False},
    "LatestStreamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/chat/stream/2024-01-01T00:00:00.000",
    "GlobalSecondaryIndexes": [{"IndexName": "by-room"}],
    "Replicas": [{"RegionName": "eu-west-1"}],
}
