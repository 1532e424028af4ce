"""When each log group is polled next, and how far back a poll reads: arithmetic on settings
and a cursor's counters, and the counts of groups per region it works from (the poller
applies it, poller.py)."""
import time

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from ..models import LogCursor

HEAD_OVERLAP_MS = 250           # every poll re-reads at least this much before the newest event
FIRST_POLL_LOOKBACK_S = 60      # a new cursor starts this far back
QUIET_SHARE = 0.25              # of the FilterLogEvents budget, kept for quiet log groups
BUDGET_USE = 0.9                # of the budget that scheduled polls plan on (the rest: catch-ups, retries)


def quiet_interval(groups_in_region, tps, active=0):
    """Seconds between polls of a quiet log group. The quiet groups share, in turn, whatever
    the active groups (polled every LOG_POLL_INTERVAL) leave of the budget, and never less than
    QUIET_SHARE of it; no group is polled more often than every LOG_POLL_IDLE_INTERVAL. So a
    small account sees an idle function within seconds, and a big one spends its whole budget:
    the gap is quiet groups / (budget left for them)."""
    floor = float(settings.FLOWSCOPE["LOG_POLL_IDLE_INTERVAL"])
    interval = float(settings.FLOWSCOPE["LOG_POLL_INTERVAL"])
    quiet = max(1, groups_in_region - active)
    left = max(tps * QUIET_SHARE, tps * BUDGET_USE - active / interval)
    return max(floor, quiet / left)


def catchup_window(cursor, now_ms):
    """(start, end) ms of event time a catch-up poll reads: from LAG before the previous
    catch-up to LAG before now. Consecutive windows tile: every event is read by exactly one
    catch-up, at a time when (being at most LAG late) it is surely readable, and an event
    that regular polls missed because it turned up late is found at most LAG + the interval
    after its own timestamp. Without a previous catch-up, one interval is assumed; after a
    long stop, no further back than two intervals before the newest event."""
    lag_ms = settings.FLOWSCOPE["LOG_INGESTION_LAG_SECONDS"] * 1000
    interval_ms = settings.FLOWSCOPE["LOG_CATCHUP_INTERVAL"] * 1000
    previous = cursor.last_catchup_ms or (cursor.last_event_ms - interval_ms)
    start = max(previous - lag_ms, cursor.last_event_ms - lag_ms - 2 * interval_ms)
    return start, now_ms - lag_ms


def head_overlap_ms(behind_ms, lag_ms):
    """How far before the newest event seen a regular poll starts: half a second, more when new
    events have been turning up behind the newest one (up to the full ingestion lag)."""
    return int(min(max(HEAD_OVERLAP_MS, behind_ms * 1.5 + HEAD_OVERLAP_MS), max(lag_ms, HEAD_OVERLAP_MS)))


def next_poll_delay(found_events, quiet_polls, groups_in_region, tps, active=0):
    """(seconds until the next poll, new quiet_polls): an active group is polled every
    LOG_POLL_INTERVAL; each empty poll doubles the gap, up to the quiet interval."""
    interval = float(settings.FLOWSCOPE["LOG_POLL_INTERVAL"])
    if found_events:
        return interval, 0
    quiet_polls += 1
    return min(quiet_interval(groups_in_region, tps, active), interval * 2 ** min(quiet_polls, 20)), quiet_polls


_group_counts = {"at": -1e9, "counts": {}}


def count_groups(**where):
    """{(account, region): (enabled log groups, active ones)}; active: the last poll found
    events (a group never polled yet counts as quiet)."""
    rows = (LogCursor.objects.filter(enabled=True, **where).values("account_id", "region")
            .annotate(n=Count("pk"), active=Count("pk", filter=Q(quiet_polls=0, last_polled_at__isnull=False)))
            .values_list("account_id", "region", "n", "active"))
    return {(a, r): (n, active) for a, r, n, active in rows}


def groups_per_region(max_age):
    """count_groups() for every account and region, counted at most every ``max_age`` seconds."""
    if time.monotonic() - _group_counts["at"] > max_age:
        _group_counts["counts"] = count_groups()
        _group_counts["at"] = time.monotonic()
    return _group_counts["counts"]


def forget_group_counts():
    """Count again at the next groups_per_region() (the cursors were just refreshed)."""
    _group_counts["at"] = -1e9


def seconds_until_due(longest, shortest=0.02):
    """How long a worker with nothing to do can sleep: until the next group falls due (a
    group due in 80 ms is polled then, not a whole idle period later), at most ``longest``."""
    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)  # leased: being polled
    nearest = (LogCursor.objects.filter(free, enabled=True, next_poll_at__isnull=False)
               .order_by("next_poll_at").values_list("next_poll_at", flat=True).first())
    if nearest is None:
        return longest
    return min(longest, max(shortest, (nearest - now).total_seconds()))
