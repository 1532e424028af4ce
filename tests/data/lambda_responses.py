"""Lambda answers shaped as AWS returns them: aliases, function URLs, event source mappings
from sources the emulator cannot create (MSK, self-managed Kafka, Amazon MQ, DocumentDB)."""

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:bill"

ALIAS_WITH_ROUTING = {
    "AliasArn": f"{FUNCTION_ARN}:live", "Name": "live", "FunctionVersion": "7",
    "Description": "canary", "RoutingConfig": {"AdditionalVersionWeights": {"8": 0.1}},
    "RevisionId": "0f6c7b3e-9d1a-4c2b-8e5f-1a2b3c4d5e6f",
}

URL_CONFIG_ON_ALIAS = {
    "FunctionUrl": "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/",
    "FunctionArn": f"{FUNCTION_ARN}:live", "AuthType": "AWS_IAM",
    "Cors": {"AllowCredentials": True, "AllowOrigins": ["https://app.example"], "MaxAge": 300},
    "CreationTime": "2026-11-30T10:00:00.000+0000", "LastModifiedTime": "2026-11-30T10:00:00.000+0000",
}

MSK_CLUSTER_ARN = f"arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/orders/5a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2"
MQ_BROKER_ARN = f"arn:aws:mq:us-east-1:{ACCOUNT}:broker:payments:b-3f1c2d4e-5a6b-7c8d-9e0f-1a2b3c4d5e6f"
DOCUMENTDB_CLUSTER_ARN = f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:catalogue"

MSK_MAPPING = {
    "UUID": "7d1e3f5a-0000-4000-8000-000000000001", "EventSourceArn": MSK_CLUSTER_ARN,
    "FunctionArn": FUNCTION_ARN, "BatchSize": 100, "State": "Enabled", "StartingPosition": "LATEST",
    "Topics": ["orders"],
    "AmazonManagedKafkaEventSourceConfig": {"ConsumerGroupId": "bill-consumers"},
}
SELF_MANAGED_KAFKA_MAPPING = {
    "UUID": "7d1e3f5a-0000-4000-8000-000000000002", "FunctionArn": f"{FUNCTION_ARN}:live",
    "BatchSize": 50, "State": "Enabled", "StartingPosition": "TRIM_HORIZON", "Topics": ["clicks"],
    "SelfManagedEventSource": {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": [
        "kafka-2.internal.example:9092", "kafka-1.internal.example:9092"]}},
    "SourceAccessConfigurations": [{"Type": "BASIC_AUTH",
                                    "URI": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:kafka"}],
}
MQ_MAPPING = {
    "UUID": "7d1e3f5a-0000-4000-8000-000000000003", "EventSourceArn": MQ_BROKER_ARN,
    "FunctionArn": FUNCTION_ARN, "BatchSize": 10, "State": "Enabled", "Queues": ["payments.in"],
}
DOCUMENTDB_MAPPING = {
    "UUID": "7d1e3f5a-0000-4000-8000-000000000004", "EventSourceArn": DOCUMENTDB_CLUSTER_ARN,
    "FunctionArn": FUNCTION_ARN, "BatchSize": 100, "State": "Enabled", "StartingPosition": "LATEST",
    "DocumentDBEventSourceConfig": {"DatabaseName": "shop", "CollectionName": "products",
                                    "FullDocument": "UpdateLookup"},
}
