"""boto3 CloudWatch Logs clients for the pollers: one per (account, role, region), each tied to
the FilterLogEvents budget shared by all workers, and reading events straight from JSON."""
import json
import time

from ..aws.session import client_config, make_session
from .limits import limit_filter_log_events, make_limiter

CLIENT_MAX_AGE_S = 45 * 60      # assumed-role credentials last an hour


class Clients:
    """boto3 logs clients per (account, region), each tied to the shared rate limiter."""

    def __init__(self, limiter=None):
        self.limiter = limiter or make_limiter()
        self._clients = {}

    def get(self, account, region):
        key = (account.account_id, account.role_arn, region)
        client, created = self._clients.get(key, (None, 0))
        if client is None or time.monotonic() - created > CLIENT_MAX_AGE_S:
            session = make_session(account.role_arn or None)
            client = session.client("logs", region_name=region, config=client_config())
            limit_filter_log_events(client, self.limiter, account.account_id, region)
            client.meta.events.register("before-parse.cloudwatch-logs.FilterLogEvents",
                                        take_events_as_json)
            self._clients[key] = (client, time.monotonic())
        return client


def take_events_as_json(response_dict, customized_response_dict, **kwargs):
    """FilterLogEvents' events are JSON strings and integers that need no conversion: take
    them straight from json.loads instead of botocore's walk over every field of every event
    (a third of a poller's time on busy groups). Anything unexpected, and every error
    response, is left to botocore."""
    if response_dict.get("status_code", 500) >= 300:
        return
    try:
        payload = json.loads(response_dict.get("body") or b"")
    except (TypeError, ValueError):
        return
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        return
    del payload["events"]
    customized_response_dict["events"] = events
    response_dict["body"] = json.dumps(payload).encode()
