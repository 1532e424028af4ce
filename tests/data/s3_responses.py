"""Canned S3 answers: ListBuckets entries and GetBucketNotificationConfiguration bodies."""
import datetime

BUCKET = {"Name": "uploads", "CreationDate": datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC),
          "BucketRegion": "eu-west-1"}
BUCKET_ARN = "arn:aws:s3:::uploads"

NOTIFICATION = {
    "LambdaFunctionConfigurations": [{
        "Id": "thumbnails",
        "LambdaFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:thumbnail:prod",
        "Events": ["s3:ObjectCreated:Put", "s3:ObjectCreated:Post"],
        # Rule names are case-insensitive; the console writes "Prefix", the CLI often "prefix".
        "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "images/"},
                                           {"Name": "suffix", "Value": ".jpg"}]}},
    }],
    "QueueConfigurations": [{
        "Id": "audit",
        "QueueArn": "arn:aws:sqs:eu-west-1:123456789012:audit",
        "Events": ["s3:ObjectRemoved:*"],
    }],
    "TopicConfigurations": [{
        # No Id: the edge key falls back to a digest of the configuration.
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:uploads",
        "Events": ["s3:ObjectCreated:*"],
    }],
    "EventBridgeConfiguration": {},
}

NOTIFICATION_WITH_WRONG_TARGETS = {
    "LambdaFunctionConfigurations": [
        {"Id": "not-a-function", "LambdaFunctionArn": "arn:aws:sqs:eu-west-1:123456789012:q",
         "Events": ["s3:ObjectCreated:*"]},
        "garbage",
    ],
    "QueueConfigurations": [{"Id": "no-arn", "Events": ["s3:ObjectCreated:*"]}],
}
