"""Names every part of the demo shares: the stack tags, the messages table, the deliberate flaws."""

STACK_TAG = "aws:cloudformation:stack-name"
LOGICAL_ID_TAG = "aws:cloudformation:logical-id"
DEMO_TABLE = "chat-messages"

FLAWS = {
    # The notify subscription was added by hand to the topic; nobody ran add-permission, so
    # SNS deliveries to chat-notify are refused (the consistency check shows permitted=false).
    "missing_permission": {"function": "chat-notify", "kind": "sns", "source": "chat-fanout"},
    # Left over from the bucket chat-uploads replaced; that bucket no longer notifies anyone.
    "stale_permission": {"function": "chat-thumbnailer", "sid": "s3-legacy-uploads",
                         "source_arn": "arn:aws:s3:::chat-uploads-v1"},
    # Opened "temporarily" while debugging the status page: anyone may invoke chat-status.
    "public_function": "chat-status",
    # Its status page went out on a function URL with AuthType NONE and a public statement.
    "public_function_url": "chat-status",
    # The IAM audit's targets.
    "administrator_role": "chat-admin-role",
    "wildcard_inline_role": "chat-analytics-role",
    "privilege_escalation_role": "chat-infra-deployer-role",
    "shared_role": "chat-realtime-connections-role",
}


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in tags.items()]

