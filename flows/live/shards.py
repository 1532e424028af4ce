"""A stream's shards for stream mode (stream.py): listed into LogStreamShard rows, and leased
to one consumer at a time, parents before children after a reshard."""
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import LogStreamShard
from .delivery import parse_stream_arn
from .leases import AdvisoryLocks

SHARD_LEASE_SECONDS = 30


def refresh_shards(client, stream_arn):
    """Bring the stream's shards into LogStreamShard rows (new ones, parents, endings)."""
    shards, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {"StreamName": parse_stream_arn(stream_arn)[2]}
        page = client.list_shards(**kwargs)
        shards.extend(page.get("Shards", []))
        token = page.get("NextToken")
        if not token:
            break
    known = {s.shard_id: s for s in LogStreamShard.objects.filter(stream_arn=stream_arn)}
    for shard in shards:
        ending = shard.get("SequenceNumberRange", {}).get("EndingSequenceNumber", "") or ""
        row = known.get(shard["ShardId"])
        if row is None:
            LogStreamShard.objects.get_or_create(
                stream_arn=stream_arn, shard_id=shard["ShardId"],
                defaults={"parent_shard_id": shard.get("ParentShardId", "") or "",
                          "adjacent_parent_shard_id": shard.get("AdjacentParentShardId", "") or "",
                          "ending_sequence_number": ending})
        elif ending and row.ending_sequence_number != ending:
            LogStreamShard.objects.filter(pk=row.pk).update(ending_sequence_number=ending)
    return len(shards)


def _parents_done(row, rows):
    for parent in (row.parent_shard_id, row.adjacent_parent_shard_id):
        if parent and parent in rows and not rows[parent].finished:
            return False
    return True


def claim_shard(owner, stream_arns, now=None, exclude=()):
    """Lease one readable shard (not finished, parents finished, free, not in ``exclude``: the
    ones this consumer already took) for ``owner``.

    On Postgres the lease is also a session advisory lock, held while the shard is read: a
    consumer that was SIGKILLed loses it with its connection, so its shard is taken over at
    once instead of when its lease time runs out (the checkpoint, written only by the lease's
    owner, keeps a slow consumer whose connection dropped from writing after a takeover).
    Elsewhere the lease is the time on the row."""
    now = now or timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now) | Q(lease_owner=owner)
    rows = {}
    for row in LogStreamShard.objects.filter(stream_arn__in=stream_arns):
        rows.setdefault(row.stream_arn, {})[row.shard_id] = row
    candidates = [row for by_id in rows.values() for row in by_id.values()
                  if not row.finished and _parents_done(row, by_id) and row.pk not in exclude]
    candidates.sort(key=lambda r: (r.last_read_at or timezone.now() - timedelta(days=365), r.pk))
    locks = connection.vendor == "postgresql"
    for row in candidates:
        if locks and not _lock_shard(row.pk):
            continue  # a live consumer reads it
        with transaction.atomic():
            lease = LogStreamShard.objects.filter(pk=row.pk, finished=False)
            taken = (lease if locks else lease.filter(free)).update(
                lease_owner=owner, leased_until=now + timedelta(seconds=SHARD_LEASE_SECONDS))
        if taken:
            return LogStreamShard.objects.get(pk=row.pk)
        if locks:
            _shard_locks.drop(row.pk)
    return None


def release_shard(owner, shard_pk):
    try:
        LogStreamShard.objects.filter(pk=shard_pk, lease_owner=owner).update(lease_owner="", leased_until=None)
    finally:  # the lock goes even when the row cannot be written (its lease then runs out)
        if connection.vendor == "postgresql":
            _shard_locks.drop(shard_pk)


SHARD_NAMESPACE = 0x534844  # "SHD": apart from the log groups' advisory locks
_shard_locks = AdvisoryLocks(SHARD_NAMESPACE)


def _lock_shard(pk):
    return pk in _shard_locks.held or _shard_locks.take(pk)


def fair_share(owner, stream_arns):
    """How many shards one consumer takes: the unfinished shards divided among the consumers
    reading now (other leases' owners, and this one), rounded up. One consumer reads every
    shard in turns; more share them; a shard is never kept waiting for a consumer reading
    another."""
    now = timezone.now()
    rows = LogStreamShard.objects.filter(stream_arn__in=stream_arns, finished=False)
    shards = rows.count()
    leased = rows.filter(leased_until__gt=now).exclude(lease_owner__in=["", owner])
    if connection.vendor == "postgresql":
        # Only consumers alive now: a live lease holds its shard's advisory lock (a dead
        # consumer's lease time may still run; its shards are to be taken over).
        alive = leased.extra(where=[
            "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid = %s AND l.objid = " + LogStreamShard._meta.db_table + ".id AND l.objsubid = 2)"],
            params=[SHARD_NAMESPACE])
        others = alive.values("lease_owner").distinct().count()
    else:
        others = leased.values("lease_owner").distinct().count()
    return max(1, -(-shards // (others + 1)))
