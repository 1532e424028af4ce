"""Canned Kinesis answers: a ListStreams summary and a DescribeStreamSummary description."""
import datetime

STREAM_SUMMARY = {
    "StreamName": "clicks",
    "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
    "StreamStatus": "ACTIVE",
    "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
    "StreamCreationTimestamp": datetime.datetime(2024, 2, 1, tzinfo=datetime.UTC),
}

STREAM_DESCRIPTION = {
    **STREAM_SUMMARY,
    "StreamModeDetails": {"StreamMode": "PROVISIONED"},
    "RetentionPeriodHours": 168,
    "OpenShardCount": 4,
    "EncryptionType": "KMS",
    "ConsumerCount": 1,
    "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
}

SUMMARY_WITHOUT_ARN = {"StreamName": "orphan", "StreamStatus": "CREATING"}
