"""What CloudWatch Logs puts in a Kinesis record for a subscription filter (pure functions):
gzip'd JSON, a DATA_MESSAGE with one log group's events or a CONTROL_MESSAGE."""
import base64
import gzip
import json


def decode_record(data):
    """The CloudWatch Logs message in one Kinesis record: gzip'd JSON. Returns the dict, or
    None for a CONTROL_MESSAGE. Raises ValueError for anything else."""
    if isinstance(data, str):  # some SDKs and tests hand over base64 text
        data = base64.b64decode(data)
    try:
        message = json.loads(gzip.decompress(data))
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError(f"not a gzip'd JSON log message: {exc}") from None
    if not isinstance(message, dict):
        raise ValueError("log message is not a JSON object")  # noqa: TRY004 (one error type for callers)
    kind = message.get("messageType")
    if kind == "CONTROL_MESSAGE":
        return None
    if kind != "DATA_MESSAGE" or not isinstance(message.get("logEvents"), list):
        raise ValueError(f"unexpected messageType {kind!r}")
    return message


def poll_style_events(message):
    """The message's events in the shape FilterLogEvents gives them (what the poller's parser
    and seen fingerprints take). Event ids are opaque strings."""
    stream = str(message.get("logStream") or "")
    events = []
    for event in message["logEvents"]:
        if not isinstance(event, dict) or not isinstance(event.get("message"), str):
            continue
        try:
            timestamp = int(event.get("timestamp"))
        except (TypeError, ValueError):
            continue
        events.append({"logStreamName": stream, "timestamp": timestamp, "message": event["message"],
                       "eventId": str(event.get("id", ""))})
    return events


def by_log_group(decoded):
    """{(owner, log group): events in record order} of one GetRecords page, groups in the
    order they first appear, and the number of control messages. ``decoded``: [message or
    None] in record order."""
    groups, control = {}, 0
    for message in decoded:
        if message is None:
            control += 1
            continue
        key = (str(message.get("owner") or ""), str(message.get("logGroup") or ""))
        groups.setdefault(key, []).extend(poll_style_events(message))
    return groups, control
