"""Stream mode: read Lambda log events from Kinesis Data Streams fed by CloudWatch Logs
subscription filters (an account-level subscription filter policy, or per-group filters; see
deploy/), instead of polling every log group.

- Each shard is *leased* to one consumer at a time (shards.py: a lease time on its
  LogStreamShard row, renewed as it reads, and on Postgres an advisory lock), so more workers
  read more shards and never the same one twice; a consumer reads its share in turns. What a
  record holds is decoded by records.py.
- A GetRecords page is applied in one transaction that also saves the shard's checkpoint:
  every log group in it at once (the cursors locked together, one read and one write of seen
  fingerprints, one insert, aggregate and numbering: the same parser, store and publisher as
  polling). A consumer killed at any point resumes after the last page whose data is in:
  nothing lost, nothing counted twice, and an event a poll also read is skipped by its
  fingerprint. A group a poll holds at that moment is applied after, under its lease.
- Resharding: a shard starts only once its parents are read to their end (ListShards gives
  the parents); a closed shard read to its ending sequence number is finished.
- An expired iterator (5 minutes idle) is taken again after the checkpoint; throttling backs
  off; CONTROL_MESSAGE records (the test message sent when a filter is created) are skipped;
  records that do not decode are counted and skipped, never fatal.
- While a stream reads for an account and region, the pollers step back: its log groups are
  polled only every LOG_STREAM_SAFETY_POLL_SECONDS (``stream_feeds``).
"""
import functools
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ..aws.base import error_code
from ..aws.session import client_config, make_session
from ..models import Account, LogCursor, LogStreamShard
from . import store
from .delivery import parse_stream_arn
from .leases import release, stale_leases
from .poller import THROTTLE_CODES, apply_events_under_lease
from .records import by_log_group, decode_record
from .seen import load_windows, save_windows
from .shards import SHARD_LEASE_SECONDS, claim_shard, fair_share, refresh_shards, release_shard

log = logging.getLogger(__name__)

SHARD_REFRESH_SECONDS = 5       # ListShards at most this often per stream (a reshard's children
                                # and a closed parent's end are learnt from it)
READS_PER_SECOND = 4            # GetRecords per shard (AWS allows 5, shared by all readers)
RECORDS_PER_READ = 1000
START_LOOKBACK_SECONDS = 60     # a shard seen for the first time is read from this long ago
CYCLE_SECONDS = 2.0             # a consumer re-takes its share of the shards this often
BUSY_ATTEMPTS = 6               # tries at a log group a poll holds before the page stops there


# ---------------------------------------------------------------- clients


class StreamClients:
    """Kinesis clients per stream, in the stream's region with its account's role when that
    is a synced account (calls name the stream, so it must live where the client points)."""

    def __init__(self):
        self._clients = {}

    def get(self, stream_arn):
        client = self._clients.get(stream_arn)
        if client is None:
            account_id, region, _ = parse_stream_arn(stream_arn)
            account = Account.objects.filter(account_id=account_id).first()
            session = make_session(account.role_arn if account and account.role_arn else None)
            client = session.client("kinesis", region_name=region, config=client_config())
            self._clients[stream_arn] = client
        return client


# ---------------------------------------------------------------- reading one shard


@dataclass
class ShardReport:
    reads: int = 0
    records: int = 0
    events: int = 0
    invocations: int = 0
    finished: bool = False
    error: str = ""


def _iterator(client, shard):
    kwargs = {"StreamName": parse_stream_arn(shard.stream_arn)[2], "ShardId": shard.shard_id}
    if shard.sequence_number:
        kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=shard.sequence_number)
    elif shard.parent_shard_id and LogStreamShard.objects.filter(
            stream_arn=shard.stream_arn, shard_id=shard.parent_shard_id).exists():
        # A child of a shard we read: everything in it is new to us.
        kwargs["ShardIteratorType"] = "TRIM_HORIZON"
    else:
        # First sight of the stream: from a minute ago, not its whole retention period.
        kwargs.update(ShardIteratorType="AT_TIMESTAMP",
                      Timestamp=timezone.now() - timedelta(seconds=START_LOOKBACK_SECONDS))
    return client.get_shard_iterator(**kwargs)["ShardIterator"]


def _cursors_for(region, keys, cache):
    """{(account, log group): cursor id or None} for a page's log groups; what is not cached
    yet is looked up in one query."""
    missing = {key for key in keys if (key[0], region, key[1]) not in cache}
    if missing:
        for key in missing:
            cache[(key[0], region, key[1])] = None
        rows = LogCursor.objects.filter(
            account__account_id__in={account for account, _ in missing}, region=region,
            log_group__in={group for _, group in missing}, enabled=True,
        ).values_list("pk", "account__account_id", "log_group")
        for pk, account, group in rows:
            if (account, group) in missing:
                cache[(account, region, group)] = pk
    return {key: cache[(key[0], region, key[1])] for key in keys}


def _checkpoint(owner, shard_pk, sequence, counts):
    """Save the shard's position (inside the transaction that applied the records)."""
    shard = LogStreamShard.objects.select_for_update().get(pk=shard_pk)
    if shard.lease_owner != owner:
        raise ShardLost(shard.shard_id)
    stats = dict(shard.stats)
    for name, value in counts.items():
        if value:
            stats[name] = stats.get(name, 0) + value
    LogStreamShard.objects.filter(pk=shard_pk).update(
        sequence_number=sequence, stats=stats,
        leased_until=timezone.now() + timedelta(seconds=SHARD_LEASE_SECONDS))


class ShardLost(Exception):
    """Another consumer took the shard over (our lease expired): stop without writing."""


@dataclass
class Applied:
    events: int = 0
    invocations: int = 0
    duplicates: int = 0
    checkpointed: bool = False
    busy: list = None       # [(cursor id, events)] of groups a poll held
    gone: list = None       # cursor ids no longer polled


def apply_together(owner, targets, publish_item=None, checkpoint=None):
    """Apply several log groups' events ([(cursor id, events)]) in ONE transaction: the
    cursors locked together (in id order), their seen fingerprints read and written in one
    query each, the invocations looked up, inserted, aggregated and numbered once for all
    (``store.apply_pages``), and ``checkpoint()`` run in the same transaction when no group
    had to be left out. A group a poll holds right now is left out (``busy``), to be applied
    under its lease by the caller. Returns an Applied."""
    done = Applied(busy=[], gone=[])
    ids = sorted({cursor_id for cursor_id, _ in targets})
    now = timezone.now()
    now_ms = int(time.time() * 1000)
    with transaction.atomic():
        if connection.vendor != "postgresql":
            # No row locks here (SQLite): take the database's write lock before reading, so no
            # poll leases one of these groups between this read and this write.
            LogCursor.objects.filter(pk__in=ids).update(leased_until=F("leased_until"))
        rows = {c.pk: c for c in LogCursor.objects.select_for_update().filter(pk__in=ids, enabled=True).order_by("pk")}
        leased = {pk for pk, c in rows.items()
                  if c.lease_owner and c.lease_owner != owner and c.leased_until and c.leased_until > now}
        # A lease whose worker died (SIGKILLed) is taken over now, not when it runs out.
        taken = stale_leases(sorted(leased))
        leased -= set(taken)
        free = []
        for cursor_id, events in targets:
            cursor = rows.get(cursor_id)
            if cursor is None:
                done.gone.append(cursor_id)
            elif cursor_id in leased:
                done.busy.append((cursor_id, events))
            else:
                if cursor_id in taken:
                    cursor.lease_owner, cursor.leased_until = "", None
                free.append((cursor, events))
        windows = load_windows({cursor.pk: min(e.get("timestamp") or 0 for e in events) for cursor, events in free})
        pages = []
        for cursor, events in free:
            seen = windows[cursor.pk]
            fresh = [event for event in events if seen.add(event)]
            done.duplicates += len(events) - len(fresh)
            done.events += len(events)
            # As a poll does (poller._apply_page): how far behind the newest event new ones turn
            # up, and the newest event, so a safety poll starts after what the stream delivered.
            behind = max((cursor.last_event_ms - (e.get("timestamp") or 0) for e in fresh), default=0)
            cursor.stats["behind_ms"] = max(behind, int(cursor.stats.get("behind_ms", 0) * 0.9))
            newest = max(e.get("timestamp") or 0 for e in events)
            cursor.last_event_ms = max(cursor.last_event_ms, min(newest, now_ms))
            pages.append(store.GroupPage(fresh, cursor.function_arns, cursor.log_group, cursor.open_requests))

        def save():
            save_windows(windows.values())
            if free:
                store.update_rows(LogCursor, [cursor for cursor, _ in free],
                                  ["open_requests", "last_event_ms", "stats", "lease_owner", "leased_until"])
            if checkpoint and not done.busy:
                checkpoint()
                done.checkpointed = True

        try:
            store.apply_pages(pages, before_numbering=save)
        finally:
            for cursor_id in taken:
                release(cursor_id)
        items = [store.invocation_item(row) for page in pages for row in page.batch.completed]
        done.invocations = len(items)
        if publish_item and items:
            transaction.on_commit(lambda: [publish_item(item) for item in items])
    return done


def apply_records(owner, shard, records, publish_item=None, cursors=None):
    """Apply one GetRecords page: every log group's events in one transaction with the
    shard's checkpoint (the page's last record), see ``apply_together``. A group a poll holds
    just then is applied after, under its lease, and the checkpoint goes with it. A consumer
    that dies halfway reads the page again from the previous checkpoint: what it had applied
    is skipped by its seen fingerprints, so nothing counts twice. Returns (events,
    invocations). Raises ShardLost."""
    account_id, region, _ = parse_stream_arn(shard.stream_arn)
    cursors = {} if cursors is None else cursors
    decoded, malformed = [], 0
    for record in records:
        try:
            decoded.append(decode_record(record["Data"]))
        except ValueError as exc:
            malformed += 1
            log.warning("stream %s shard %s: record %s skipped: %s", shard.stream_arn,
                        shard.shard_id, record.get("SequenceNumber"), exc)
    groups, control = by_log_group(decoded)
    sequence = records[-1]["SequenceNumber"]
    counts = {"records": len(records), "malformed": malformed, "control": control,
              "events": sum(len(events) for events in groups.values()), "skipped": 0}
    keys = {(owner_account or account_id, log_group) for owner_account, log_group in groups}
    ids = _cursors_for(region, keys, cursors)
    targets = []
    for (owner_account, log_group), events in groups.items():
        cursor_id = ids[(owner_account or account_id, log_group)]
        if cursor_id is None or not events:
            counts["skipped"] += len(events)  # not the log group of a function in the graph
        else:
            targets.append((cursor_id, events))
    checkpoint = functools.partial(_checkpoint, owner, shard.pk, sequence, counts)
    done = apply_together(owner, targets, publish_item, checkpoint)
    for cursor_id in done.gone:
        cursors.pop(_key_of(cursors, cursor_id), None)
    events_applied, invocations = done.events, done.invocations
    checkpointed = done.checkpointed
    for index, (cursor_id, events) in enumerate(done.busy):
        last = index == len(done.busy) - 1
        also = checkpoint if last else None
        for attempt in range(BUSY_ATTEMPTS):
            outcome = apply_events_under_lease(cursor_id, owner, events, publish_item=publish_item,
                                               wait=0.5, advance=True, keep_old=True, also=also)
            if outcome.error != "Busy":
                break
            time.sleep(0.2 * (attempt + 1))  # a poll holds the group: it is short
        if outcome.error == "Busy":
            raise ShardLost(f"log group {cursor_id} stayed busy")
        if outcome.error == "Gone":
            cursors.pop(_key_of(cursors, cursor_id), None)
            counts["skipped"] += len(events)
            continue
        if outcome.error:
            raise ShardLost(outcome.error)
        checkpointed = checkpointed or last
        events_applied += outcome.events
        invocations += outcome.invocations
    if not checkpointed:
        with transaction.atomic():
            _checkpoint(owner, shard.pk, sequence, counts)
    return events_applied, invocations


def _key_of(cursors, cursor_id):
    return next((key for key, pk in cursors.items() if pk == cursor_id), None)


class ShardReader:
    """Reads one leased shard a GetRecords page at a time (``step``), so one consumer can take
    turns between several shards. Never raises for AWS errors: they end the reading and are
    recorded on the shard."""

    def __init__(self, owner, shard, client, publish_item=None, flush=None):
        self.owner, self.shard, self.client = owner, shard, client
        self.publish_item, self.flush = publish_item, flush
        self.report = ShardReport()
        self.cursors = {}
        self.iterator = None
        self.started = False
        self.done = False
        self.next_at = 0.0     # monotonic time of its next read

    def step(self):
        try:
            self._step()
        except ShardLost as exc:
            self._fail(f"ShardLost: {exc}")
        except ClientError as exc:
            self._fail(f"{error_code(exc)}: {exc}")
        except BotoCoreError as exc:
            self._fail(f"{type(exc).__name__}: {exc}")

    def _fail(self, error):
        self.report.error = error
        self.done = True
        LogStreamShard.objects.filter(pk=self.shard.pk).update(last_error=error[:2000])
        log.warning("stream %s shard %s: %s", self.shard.stream_arn, self.shard.shard_id, error)

    def _step(self):
        shard, owner, report = self.shard, self.owner, self.report
        if not self.started:
            self.iterator = _iterator(self.client, shard)
            self.started = True
        if not self.iterator:
            self.done = True
            return
        started = time.monotonic()
        # At most READS_PER_SECOND per shard, busy or idle: an idle function shows up within
        # a quarter second of its records.
        self.next_at = started + 1.0 / READS_PER_SECOND
        try:
            page = self.client.get_records(ShardIterator=self.iterator, Limit=RECORDS_PER_READ)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ExpiredIteratorException":
                shard.refresh_from_db()
                self.iterator = _iterator(self.client, shard)
                self.next_at = started
                return
            if code in THROTTLE_CODES or code == "ProvisionedThroughputExceededException":
                self.next_at = started + 1.0
                return
            raise
        report.reads += 1
        records = page.get("Records", [])
        # Alive as soon as the stream answers (applying a big page takes a while): the
        # pollers step back on this.
        LogStreamShard.objects.filter(pk=shard.pk, lease_owner=owner).update(last_read_at=timezone.now())
        if records:
            events, invocations = apply_records(owner, shard, records, self.publish_item, self.cursors)
            if self.flush:
                self.flush()
            report.records += len(records)
            report.events += events
            report.invocations += invocations
            shard.sequence_number = records[-1]["SequenceNumber"]
        self.iterator = page.get("NextShardIterator")
        behind = page.get("MillisBehindLatest") or 0
        closed_and_read = (shard.ending_sequence_number and not records and behind == 0 and (
            not shard.sequence_number or _seq(shard.sequence_number) >= _seq(shard.ending_sequence_number)))
        LogStreamShard.objects.filter(pk=shard.pk, lease_owner=owner).update(
            last_read_at=timezone.now(), millis_behind=behind, last_error="",
            leased_until=timezone.now() + timedelta(seconds=SHARD_LEASE_SECONDS))
        if self.iterator is None or closed_and_read:
            LogStreamShard.objects.filter(pk=shard.pk, lease_owner=owner).update(finished=True)
            report.finished = True
            self.done = True


def read_shards(readers, stop=None, max_seconds=10.0):
    """Take turns between several shards' readers for up to ``max_seconds`` (or until
    ``stop()``): whichever shard's next read is due goes next."""
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline and not (stop and stop()):
        waiting = [reader for reader in readers if not reader.done]
        if not waiting:
            break
        reader = min(waiting, key=lambda r: r.next_at)
        pause = reader.next_at - time.monotonic()
        if pause > 0:
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                break
        reader.step()
        if reader.report.finished:
            break  # a parent read to its end: its children can start, in the next cycle
    return [reader.report for reader in readers]


def _seq(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# ---------------------------------------------------------------- the loop


_refreshed = {}


def consume_cycle(owner, clients, publish_item=None, stop=None, max_seconds=5.0, flush=None):
    """Refresh shard lists when due, lease this consumer's share of the readable shards and read
    them in turns for a while. Returns a ShardReport for all of them, or None when no shard was
    free."""
    streams = settings.FLOWSCOPE["LOG_STREAMS"]
    if not streams:
        return None
    for arn in streams:
        stale = time.monotonic() - _refreshed.get(arn, -1e9) > SHARD_REFRESH_SECONDS
        if stale or not LogStreamShard.objects.filter(stream_arn=arn).exists():
            try:
                refresh_shards(clients.get(arn), arn)
            except (ClientError, BotoCoreError) as exc:
                log.warning("stream %s: could not list its shards: %s", arn, exc)
            _refreshed[arn] = time.monotonic()
    shards = []
    for _ in range(fair_share(owner, streams)):
        shard = claim_shard(owner, streams, exclude={shard.pk for shard in shards})
        if shard is None:
            break
        shards.append(shard)
    if not shards:
        return None
    try:
        reports = read_shards([ShardReader(owner, shard, clients.get(shard.stream_arn), publish_item, flush)
                               for shard in shards], stop, max_seconds)
    finally:
        for shard in shards:
            release_shard(owner, shard.pk)
    for shard, report in zip(shards, reports):
        if report.finished:
            _refreshed.pop(shard.stream_arn, None)  # list its shards again now: its children are due
    total = ShardReport()
    for report in reports:
        for name in ("reads", "records", "events", "invocations"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
    total.finished = all(report.finished for report in reports)
    total.error = "; ".join(report.error for report in reports if report.error)
    return total


def stream_loop(stop, owner=None, clients=None, publish=None):
    """Read the configured streams until ``stop()``: what ``manage.py poll_logs`` and the
    demo run beside the poller (Celery runs consume_cycle from a task)."""
    from ..publish import publish as default_publish
    from .leases import owner_id
    from .push import PushBatcher

    owner = owner or owner_id()
    clients = clients or StreamClients()
    batcher = PushBatcher(publish or default_publish)
    failures = 0
    while not stop():
        try:
            # Short cycles: shards freed by a consumer that died, and a reshard's children, are
            # taken up within CYCLE_SECONDS.
            report = consume_cycle(owner, clients, batcher.add, stop, max_seconds=CYCLE_SECONDS,
                                   flush=batcher.flush)
            batcher.flush()
            failures = 0
        except Exception:  # a database or network hiccup: log once, back off, go on
            failures += 1
            if failures == 1:
                log.exception("stream consumer failed; retrying")
            time.sleep(min(30.0, 0.5 * 2 ** failures))
            continue
        if report is None:
            time.sleep(1.0)
