"""How a log group's events reach Flowscope: polled, or carried by a Kinesis stream (stream
mode, stream.py). While a stream of an account and region is being read, the pollers step
back to a slow safety poll of its groups, and come back at once when it stops."""
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..models import Account, LogCursor, LogStreamShard

ALIVE_SECONDS = 30              # a stream read this recently feeds its account and region


def parse_stream_arn(arn):
    """(account, region, stream name) of a Kinesis stream ARN."""
    parts = arn.split(":", 5)
    return parts[4], parts[3], parts[5].split("/", 1)[1]


_feeds = {"at": -1e9, "regions": set()}


_account_ids = {}


def aws_account_id(account_pk):
    """The 12-digit id of an Account row (cursors hold the row's key)."""
    if account_pk not in _account_ids:
        _account_ids[account_pk] = Account.objects.filter(pk=account_pk).values_list(
            "account_id", flat=True).first()
    return _account_ids[account_pk]


def stream_feeds(account_id, region, max_age=5.0):
    """True while a configured stream of this account (12-digit id) and region has been read
    lately: its log groups then need only the slow safety poll."""
    if not settings.FLOWSCOPE["LOG_STREAMS"]:
        return False
    if time.monotonic() - _feeds["at"] > max_age:
        now = timezone.now()
        # Read lately, or being read now (a consumer holds a shard's lease).
        alive = Q(last_read_at__gte=now - timedelta(seconds=ALIVE_SECONDS)) | Q(
            leased_until__gt=now, last_read_at__isnull=False)
        arns = LogStreamShard.objects.filter(
            alive, stream_arn__in=settings.FLOWSCOPE["LOG_STREAMS"]
        ).values_list("stream_arn", flat=True).distinct()
        _feeds["regions"] = {parse_stream_arn(arn)[:2] for arn in arns}
        _feeds["at"] = time.monotonic()
    return (account_id, region) in _feeds["regions"]


def delivery_mode(account_id, region):
    """"stream" or "polling": how a log group's events reach Flowscope now."""
    return "stream" if stream_feeds(account_id, region) else "polling"


def resume_polling_where_streams_stopped():
    """Log groups whose stream stopped are polled at once again, not after their safety gap."""
    streams = settings.FLOWSCOPE["LOG_STREAMS"]
    if not streams:
        return 0
    now = timezone.now()
    moved = 0
    for arn in streams:
        account_id, region, _ = parse_stream_arn(arn)
        if stream_feeds(account_id, region, max_age=0):
            continue
        moved += LogCursor.objects.filter(
            account__account_id=account_id, region=region, enabled=True,
            next_poll_at__gt=now + timedelta(seconds=settings.FLOWSCOPE["LOG_POLL_IDLE_INTERVAL"] * 2),
        ).update(next_poll_at=now)
    return moved
