"""Poll Lambda log groups with FilterLogEvents and turn what they hold into invocations.

- One LogCursor per log group, found from the graph (each function node's ``log_group``).
- Workers *lease* due cursors (leases.py), so adding workers adds capacity and no group is
  polled twice at once.
- Each page of events is applied in one transaction that also saves the cursor: a worker
  killed at any point leaves data and cursor in step, and the next poll resumes from there.
- Windows overlap, because CloudWatch makes events readable 5-20 s after their own timestamp
  and not always in timestamp order: every poll re-reads a quarter second before the newest
  event seen, more when new events have lately turned up further behind it (up to the lag);
  every LOG_CATCHUP_INTERVAL a catch-up poll also reads the older window from
  LOG_INGESTION_LAG_SECONDS before the previous catch-up to that long before now (windows
  tile: each event is read by one catch-up), so an event up to that late is never missed.
  Events already read are skipped by fingerprint (seen.py).
- Every FilterLogEvents request waits for the account+region budget shared by all workers.
- A deleted log group, throttling or any AWS error is counted on the cursor, never raised.
"""
import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..aws.base import error_code, is_not_found
from ..models import LogCursor, Resource
from ..ops import counters as shared_counters
from ..resilience import TRANSIENT, Backoff
from ..vocabulary import NodeType
from . import store
from .clients import Clients
from .delivery import aws_account_id, resume_polling_where_streams_stopped, stream_feeds
from .leases import (
    LEASE_SECONDS,
    LeaseLost,
    claim_cursors,
    end_lease,
    lease_cursor,
    owner_id,
    release,
    release_dead_local_leases,
)
from .limits import filter_log_events_tps
from .push import PushBatcher
from .schedule import (
    FIRST_POLL_LOOKBACK_S,
    catchup_window,
    count_groups,
    forget_group_counts,
    groups_per_region,
    head_overlap_ms,
    next_poll_delay,
    seconds_until_due,
)
from .seen import SeenWindow
from .seen import prune as seen_prune

log = logging.getLogger(__name__)

THROTTLE_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException",
                  "RequestLimitExceeded", "LimitExceededException"}


# ---------------------------------------------------------------- which groups to poll


def ensure_cursors():
    """Create, update and retire cursors from the function nodes of the graph.

    Returns the number of enabled cursors.
    """
    store.ensure_counter()
    wanted = {}
    functions = Resource.objects.filter(type=NodeType.LAMBDA_FUNCTION).values_list(
        "account_id", "arn", "name", "region", "attributes")
    for account_id, arn, name, region, attributes in functions:
        group = (attributes or {}).get("log_group") or f"/aws/lambda/{name}"
        wanted.setdefault((account_id, region, group), []).append(arn)
    existing = {(c.account_id, c.region, c.log_group): c for c in LogCursor.objects.all()}
    now = timezone.now()
    for key, arns in wanted.items():
        arns = sorted(arns)
        cursor = existing.get(key)
        if cursor is None:
            LogCursor.objects.get_or_create(
                account_id=key[0], region=key[1], log_group=key[2],
                defaults={"function_arns": arns, "next_poll_at": now})
        elif cursor.function_arns != arns or not cursor.enabled:
            LogCursor.objects.filter(pk=cursor.pk).update(function_arns=arns, enabled=True)
    gone = [c.pk for key, c in existing.items() if key not in wanted and c.enabled]
    if gone:
        LogCursor.objects.filter(pk__in=gone).update(enabled=False)
    return LogCursor.objects.filter(enabled=True).count()


def apply_events_under_lease(cursor_id, owner, events, publish_item=None, wait=1.0,
                             advance=False, keep_old=False, also=None):
    """Fold events that came from elsewhere than a poll (a Live Tail session, a Kinesis
    stream) into a log group's invocations: under the cursor's lease, skipping what a poll
    already read (and marking the rest as read, so the polls that follow skip it). By default
    the poll position stays: a tail that samples or drops events must not make the next poll
    start after them, and events older than the seen horizon are skipped (counted as
    duplicates). A stream, which carries every event, passes ``advance`` (the next safety
    poll starts after what it delivered) and ``keep_old`` (a backlog read after an outage is
    applied, not skipped). ``also()`` runs inside the transaction that applies the events (a
    stream's checkpoint). Returns a PollOutcome; ``error`` is "Busy" when the lease could not
    be had (try again later), "Gone" when the log group is no longer polled (drop the events)."""
    outcome = PollOutcome(cursor_id, started_at=timezone.now())
    if not events:
        return outcome
    if not LogCursor.objects.filter(pk=cursor_id, enabled=True).exists():
        outcome.error = "Gone"
        return outcome
    if not lease_cursor(owner, cursor_id, wait):
        outcome.error = "Busy"
        return outcome
    counters = {}
    try:
        # Older than the seen horizon, an event may have been read by a poll and forgotten
        # since: it cannot be told apart, so it is left out (it is older than the lag anyway,
        # and the emulator's Live Tail replays whole groups). Read under the lease: polls move
        # the horizon.
        if not keep_old:
            cursor = LogCursor.objects.get(pk=cursor_id)
            horizon = seen_horizon_ms(cursor, int(time.time() * 1000))
            recent = [e for e in events if (e.get("timestamp") or 0) >= horizon]
            outcome.duplicates = len(events) - len(recent)
            events = recent
        if not events:
            if also:
                with transaction.atomic():
                    also()
            return outcome
        seen = SeenWindow(cursor_id, min(e.get("timestamp") or 0 for e in events))
        _apply_page(cursor_id, owner, events, outcome, counters, publish_item, seen,
                    advance=advance, also=also)
    except LeaseLost:
        outcome.error = "LeaseLost"
    finally:
        end_lease(owner, cursor_id)
    return outcome


# ---------------------------------------------------------------- one poll of one group


@dataclass
class PollOutcome:
    cursor_id: int
    log_group: str = ""
    pages: int = 0
    events: int = 0
    duplicates: int = 0
    invocations: int = 0
    items: list = field(default_factory=list)
    error: str = ""
    missing: bool = False       # the log group does not exist (yet): expected, not alarming
    started_at: object = None


def poll_cursor(cursor_id, owner, clients, region_counts=None, publish_item=None,
                between_reads=None):
    """Poll one leased log group up to now. ``publish_item(item)`` is called after each commit
    with every invocation that commit completed. Never raises for AWS errors.

    A catch-up poll reads twice: first the recent window, as every poll does, then the older
    part of the catch-up window (``between_reads()`` runs in between, to publish what the
    first read found): new events are not kept waiting behind a re-read of the lag window.
    """
    cursor = LogCursor.objects.select_related("account").get(pk=cursor_id)
    outcome = PollOutcome(cursor_id, cursor.log_group, started_at=timezone.now())
    if _stream_carries(cursor):
        _step_back(cursor_id, owner)
        return outcome
    # {(account, region): enabled groups} known to the caller; else counted when scheduling.
    groups_in_region = (region_counts or {}).get((cursor.account_id, cursor.region))
    options = settings.FLOWSCOPE
    now_ms = int(time.time() * 1000)
    lag_ms = options["LOG_INGESTION_LAG_SECONDS"] * 1000
    catchup = now_ms - cursor.last_catchup_ms >= options["LOG_CATCHUP_INTERVAL"] * 1000
    head_ms = head_overlap_ms(cursor.stats.get("behind_ms", 0), lag_ms)
    # A poller down for longer than the retention does not read what would be deleted anyway.
    oldest_ms = now_ms - options["INVOCATION_RETENTION_HOURS"] * 3600 * 1000
    if cursor.last_event_ms:
        head_start_ms = max(oldest_ms, cursor.last_event_ms - head_ms)
    else:
        head_start_ms = max(oldest_ms, now_ms - max(
            FIRST_POLL_LOOKBACK_S, options["LOG_INGESTION_LAG_SECONDS"]) * 1000)
    reads = [{"startTime": head_start_ms}]
    if cursor.last_event_ms and catchup:
        start_ms, end_ms = catchup_window(cursor, now_ms)
        start_ms = max(start_ms, oldest_ms)
        end_ms = min(end_ms, head_start_ms - 1)  # the newer part is this poll's first read
        if start_ms <= end_ms:
            reads.append({"startTime": start_ms, "endTime": end_ms})
    counters = {"api_calls": 0}
    try:
        seen = SeenWindow(cursor_id, min(read["startTime"] for read in reads))
        client = clients.get(cursor.account, cursor.region)
        paginator = client.get_paginator("filter_log_events")
        catchup_ms = None
        if catchup:
            # The first catch-up of a group is dated back by a share of the interval that
            # differs per group: groups created together do not all re-read their lag window
            # in the same poll cycle ever after. (Earlier is safe: the next one reads more.)
            phase = (cursor_id * 7919 % 1000) / 1000 if not cursor.last_catchup_ms else 0
            catchup_ms = now_ms - int(phase * options["LOG_CATCHUP_INTERVAL"] * 1000)
        for number, read in enumerate(reads, start=1):
            if number > 1 and between_reads:
                between_reads()
            for page in paginator.paginate(logGroupName=cursor.log_group, interleaved=True,
                                           **read):
                counters["api_calls"] += 1
                outcome.pages += 1
                # The last page's transaction also schedules the next poll, ends the lease.
                last = number == len(reads) and not page.get("nextToken")
                finish = functools.partial(
                    _schedule, outcome=outcome, counters=counters,
                    groups_in_region=groups_in_region, catchup_ms=catchup_ms) if last else None
                _apply_page(cursor_id, owner, page.get("events") or [], outcome, counters,
                            publish_item, seen, finish=finish)
                if last:
                    return outcome
    except LeaseLost:
        outcome.error = "LeaseLost"
        return outcome
    except ClientError as exc:
        code = error_code(exc)
        if is_not_found(exc):
            # Lambda creates the group at the first invocation: keep polling, rarely. Kept on
            # the cursor (live health shows it), but not logged as a warning every cycle.
            counters["missing"] = 1
            outcome.missing = True
        else:
            counters["throttled" if code in THROTTLE_CODES else "errors"] = 1
        outcome.error = f"{code}: {exc}"
    except BotoCoreError as exc:
        counters["errors"] = 1
        outcome.error = f"{type(exc).__name__}: {exc}"
    _finish(cursor_id, owner, outcome, counters, groups_in_region)
    return outcome


def _stream_carries(cursor):
    """True when a stream feeds this group's region and the group's safety poll is not due
    (it was polled less than a safety gap ago, or never): the poll would only read what the
    stream brings. An account-level subscription filter policy covers every group."""
    options = settings.FLOWSCOPE
    if not options["LOG_STREAMS"]:
        return False
    safety = float(options["LOG_STREAM_SAFETY_POLL_SECONDS"])
    due = cursor.last_polled_at is not None and cursor.last_polled_at <= timezone.now() - timedelta(seconds=safety)
    return not due and stream_feeds(cursor.account.account_id, cursor.region)


def _step_back(cursor_id, owner):
    """Skip this poll: the next one is the safety poll, half to one safety gap from now (spread
    per group, so the groups a stream took over are not all due again at the same moment)."""
    now = timezone.now()
    safety = float(settings.FLOWSCOPE["LOG_STREAM_SAFETY_POLL_SECONDS"])
    phase = (cursor_id * 7919 % 1000) / 1000
    LogCursor.objects.filter(pk=cursor_id, lease_owner=owner).update(
        last_polled_at=now, lease_owner="", leased_until=None,
        next_poll_at=now + timedelta(seconds=safety * (0.5 + 0.5 * phase)))


def _apply_page(cursor_id, owner, events, outcome, counters, publish_item, seen,
                advance=True, finish=None, also=None):
    """Apply one page of events in one transaction with the cursor (and, given ``finish``,
    the next poll's schedule: see ``_schedule``; given ``also``, whatever else must commit
    with it)."""
    duplicates = 0
    with transaction.atomic():
        cursor = LogCursor.objects.select_for_update().get(pk=cursor_id)
        if cursor.lease_owner != owner:
            raise LeaseLost(cursor.log_group)
        fresh = []
        behind = 0
        for event in events:
            if not seen.add(event):
                duplicates += 1
                continue
            fresh.append(event)
            behind = max(behind, cursor.last_event_ms - (event.get("timestamp") or 0))
        # How far behind the newest event new ones still turn up (ingestion lag spread),
        # remembered with a slow decay: head polls re-read that much.
        if advance:
            cursor.stats["behind_ms"] = max(behind, int(cursor.stats.get("behind_ms", 0) * 0.9))
        if events and advance:
            newest = max(e.get("timestamp") or 0 for e in events)
            # A clock-skewed event from the future must not push the window past now.
            cursor.last_event_ms = max(cursor.last_event_ms, min(newest, int(time.time() * 1000)))
        cursor.leased_until = timezone.now() + timedelta(seconds=LEASE_SECONDS)

        def save_cursor(page):
            seen.save()
            fields = ["open_requests", "last_event_ms", "leased_until", "stats"]
            if finish:
                fields += finish(cursor, events=len(events), duplicates=duplicates, page=page)
            cursor.save(update_fields=fields)

        batch = store.apply_events(fresh, cursor.function_arns, cursor.log_group,
                                   cursor.open_requests, before_numbering=save_cursor)
        items = [store.invocation_item(row) for row in batch.completed]
        if also:
            also()
        if publish_item and items:
            transaction.on_commit(lambda: [publish_item(item) for item in items])
    outcome.events += len(events)
    outcome.duplicates += duplicates
    outcome.invocations += batch.invocations
    outcome.items.extend(items)
    for name in ("malformed", "huge", "orphans"):
        counters[name] = counters.get(name, 0) + getattr(batch, name)


def seen_horizon_ms(cursor, now_ms):
    """Events older than this are never read again: the next catch-up window starts there
    (or later), and regular polls start at most LAG before the newest event."""
    lag_ms = settings.FLOWSCOPE["LOG_INGESTION_LAG_SECONDS"] * 1000
    return min(catchup_window(cursor, now_ms)[0], cursor.last_event_ms - lag_ms) - 1000


def _finish(cursor_id, owner, outcome, counters, groups_in_region):
    """Record counters and schedule the next poll, ending the lease, when the poll did not
    end with a page that did so (an error, or no page)."""
    with transaction.atomic():
        cursor = LogCursor.objects.select_for_update().filter(pk=cursor_id).first()
        if cursor is None or cursor.lease_owner != owner:
            return
        fields = _schedule(cursor, outcome=outcome, counters=counters,
                           groups_in_region=groups_in_region)
        cursor.save(update_fields=fields)


def _schedule(cursor, outcome, counters, groups_in_region, catchup_ms=None, events=0,
              duplicates=0, page=None):
    """Add this poll's counters (``outcome`` and ``counters`` so far, plus the last page's
    ``events``, ``duplicates`` and EventBatch ``page``) to the locked ``cursor``, schedule its
    next poll, forget seen events no later poll reads, and end the lease. Returns the fields
    to save."""
    events += outcome.events
    duplicates += outcome.duplicates
    invocations = outcome.invocations + (page.invocations if page else 0)
    counters = dict(counters)
    for name in ("malformed", "huge", "orphans"):
        counters[name] = counters.get(name, 0) + (getattr(page, name) if page else 0)
    stats = dict(cursor.stats)
    for name, value in {**counters, "events": events, "duplicates": duplicates,
                        "invocations": invocations}.items():
        if value:
            stats[name] = stats.get(name, 0) + value
    if groups_in_region is None:
        groups_in_region = count_groups(account_id=cursor.account_id, region=cursor.region).get(
            (cursor.account_id, cursor.region), (1, 0))
    total, active = groups_in_region
    delay, cursor.quiet_polls = next_poll_delay(
        events - duplicates > 0, cursor.quiet_polls, total,
        filter_log_events_tps(cursor.region), active)
    if counters.get("throttled"):
        delay = max(delay, 5.0)
    if settings.FLOWSCOPE["LOG_STREAMS"] and stream_feeds(aws_account_id(cursor.account_id), cursor.region):
        # A stream carries this group's events: a slow safety poll is all it needs.
        delay = max(delay, float(settings.FLOWSCOPE["LOG_STREAM_SAFETY_POLL_SECONDS"]))
    now = timezone.now()
    cursor.activity = 0.7 * cursor.activity + 0.3 * invocations
    cursor.stats = stats
    cursor.last_error = outcome.error[:2000]
    cursor.last_polled_at = now
    # Counted from the start of this poll: a group whose poll takes longer than the
    # interval is due again at once (the shared budget still caps the rate).
    cursor.next_poll_at = (outcome.started_at or now) + timedelta(seconds=delay)
    fields = ["stats", "last_error", "last_polled_at", "next_poll_at", "quiet_polls", "activity",
              "lease_owner", "leased_until"]
    if catchup_ms is not None:
        cursor.last_catchup_ms = catchup_ms
        fields.append("last_catchup_ms")
    seen_prune(cursor.pk, seen_horizon_ms(cursor, int(time.time() * 1000)))
    cursor.lease_owner = ""
    cursor.leased_until = None
    return fields


# ---------------------------------------------------------------- cycles and the loop


@dataclass
class CycleReport:
    claimed: int = 0
    events: int = 0
    duplicates: int = 0
    invocations: int = 0
    errors: list = field(default_factory=list)
    published_frames: int = 0


_last_refresh = {"at": 0.0}


def run_cycle(owner, clients, batcher, limit=None, refresh_every=60.0):
    """Claim due log groups, poll each, publish what completed. Returns a CycleReport."""
    if time.monotonic() - _last_refresh["at"] > refresh_every:
        ensure_cursors()
        release_dead_local_leases()
        resume_polling_where_streams_stopped()
        _last_refresh["at"] = time.monotonic()
        forget_group_counts()
    report = CycleReport()
    ids = claim_cursors(owner, limit or settings.FLOWSCOPE["LOG_POLL_BATCH"])
    report.claimed = len(ids)
    if not ids:
        return report
    groups = groups_per_region(min(refresh_every, 5.0))  # active groups come and go
    for index, cursor_id in enumerate(ids):
        try:
            outcome = poll_cursor(cursor_id, owner, clients, groups,
                                  publish_item=batcher.add, between_reads=batcher.flush)
        except TRANSIENT:
            # The database or Redis away: give this batch back and let the loop back off
            # (polling the other groups now would meet the same trouble). What the batcher
            # holds was stored, and goes out with the next flush.
            _give_back(ids[index:], owner)
            raise
        except Exception as exc:  # a bug must not stop the other groups
            log.exception("polling log cursor %s failed", cursor_id)
            outcome = PollOutcome(cursor_id, error=f"{type(exc).__name__}: {exc}")
            LogCursor.objects.filter(pk=cursor_id, lease_owner=owner).update(
                lease_owner="", leased_until=None,
                next_poll_at=timezone.now() + timedelta(seconds=LEASE_SECONDS))
        finally:
            release(cursor_id)
        report.events += outcome.events
        report.duplicates += outcome.duplicates
        report.invocations += outcome.invocations
        if outcome.error and not outcome.missing:
            report.errors.append(f"{outcome.log_group}: {outcome.error}")
        batcher.maybe_flush()
    batcher.flush()
    report.published_frames = batcher.frames
    shared_counters.add("log_polls", len(ids))
    return report


def _give_back(ids, owner):
    """Unlease cursors at once if the database lets us; otherwise their leases expire."""
    try:
        LogCursor.objects.filter(pk__in=ids, lease_owner=owner).update(
            lease_owner="", leased_until=None)
    except TRANSIENT:
        pass
    for cursor_id in ids[1:]:
        release(cursor_id)


def poll_loop(stop=None, owner=None, clients=None, publish=None, idle_sleep=0.5,
              on_cycle=None, prune_every=300.0):
    """Run poll cycles until ``stop()`` says so: the ``poll_logs`` command and benchmarks."""
    from ..publish import publish as default_publish

    owner = owner or owner_id()
    clients = clients or Clients()
    batcher = PushBatcher(publish or default_publish)
    backoff = Backoff("log polling", log)
    last_prune = 0.0
    while not (stop and stop()):
        try:
            report = run_cycle(owner, clients, batcher)
            if on_cycle:
                on_cycle(report)
            for error in report.errors:
                log.warning("log polling: %s", error)
            if time.monotonic() - last_prune > prune_every:
                store.prune()
                last_prune = time.monotonic()
            if not report.claimed:
                time.sleep(seconds_until_due(idle_sleep))
        except Exception as exc:  # the database locked or away, Redis away: wait, go on
            backoff.wait(exc)
        else:
            backoff.succeeded()
