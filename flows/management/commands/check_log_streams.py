"""Check stream mode's set-up: each configured stream is readable, and records are arriving,
for which log groups (and whether those are the graph's functions' groups)."""
from collections import Counter
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from flows.aws.base import error_code
from flows.live.delivery import parse_stream_arn
from flows.live.records import decode_record
from flows.live.stream import StreamClients
from flows.models import LogCursor, LogStreamShard


class Command(BaseCommand):
    help = ("Check the Kinesis streams of stream mode (FLOWSCOPE_LOG_STREAMS): readable, records "
            "arriving, for which log groups. Exits 1 when a stream cannot be read.")

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=10,
                            help="look at the records of the last N minutes (default 10)")
        parser.add_argument("--max-records", type=int, default=2000,
                            help="records to sample per shard at most (default 2000)")

    def handle(self, *args, minutes, max_records, **options):
        streams = settings.FLOWSCOPE["LOG_STREAMS"]
        if not streams:
            raise CommandError("FLOWSCOPE_LOG_STREAMS is empty: stream mode is off (see the README, "
                               "'Live at scale')")
        clients = StreamClients()
        failed = False
        for arn in streams:
            self.stdout.write(f"stream {arn}")
            try:
                self.check(clients.get(arn), arn, minutes, max_records)
            except (ClientError, BotoCoreError) as exc:
                failed = True
                code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
                hint = {"AccessDeniedException": "grant the read-only policy's ReadLambdaLogStream statement",
                        "ResourceNotFoundException": "deploy deploy/cloudformation/flowscope-log-stream.yaml "
                                                     "in that account and region"}.get(code, "")
                self.stdout.write(f"  cannot read it: {code}: {exc}" + (f" ({hint})" if hint else ""))
        if failed:
            raise CommandError("some streams cannot be read")

    def check(self, client, arn, minutes, max_records):
        _, _, name = parse_stream_arn(arn)
        summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        shards = client.list_shards(StreamName=name)["Shards"]
        open_shards = [s for s in shards if "EndingSequenceNumber" not in s.get("SequenceNumberRange", {})]
        self.stdout.write(f"  status {summary['StreamStatus']}, {len(open_shards)} open shards "
                          f"({len(shards)} listed), retention {summary.get('RetentionPeriodHours')} h")
        groups, records, control, malformed = Counter(), 0, 0, 0
        since = timezone.now() - timedelta(minutes=minutes)
        for shard in open_shards:
            iterator = client.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                                 ShardIteratorType="AT_TIMESTAMP", Timestamp=since)["ShardIterator"]
            seen = 0
            while iterator and seen < max_records:
                page = client.get_records(ShardIterator=iterator, Limit=min(1000, max_records - seen))
                for record in page.get("Records", []):
                    seen += 1
                    try:
                        message = decode_record(record["Data"])
                    except ValueError:
                        malformed += 1
                        continue
                    if message is None:
                        control += 1
                    else:
                        groups[message.get("logGroup", "")] += len(message.get("logEvents", []))
                records += len(page.get("Records", []))
                if not page.get("Records") or not page.get("MillisBehindLatest"):
                    break
                iterator = page.get("NextShardIterator")
        known = set(LogCursor.objects.filter(enabled=True).values_list("log_group", flat=True))
        ours = {g: n for g, n in groups.items() if g in known}
        self.stdout.write(f"  last {minutes} min: {records} records ({control} control messages, "
                          f"{malformed} undecodable), events for {len(groups)} log groups, "
                          f"{len(ours)} of them the graph's functions'")
        for group, count in sorted(ours.items(), key=lambda pair: -pair[1])[:20]:
            self.stdout.write(f"    {group}: {count} events")
        missing = sorted(known - set(groups))
        if not records:
            self.stdout.write("  no records: is the subscription filter policy (or a per-group filter) in place, "
                              "and has any function run lately?")
        elif missing:
            self.stdout.write(f"  {len(missing)} of the graph's log groups sent nothing in that time "
                              "(idle, or not covered by the selection criteria)")
        rows = LogStreamShard.objects.filter(stream_arn=arn)
        if rows:
            latest = max((r.last_read_at for r in rows if r.last_read_at), default=None)
            behind = max((r.millis_behind for r in rows), default=0)
            self.stdout.write(f"  Flowscope's consumer: last read {latest or 'never'}, "
                              f"{behind / 1000:.1f} s behind, {sum(r.stats.get('events', 0) for r in rows)} events read")
        else:
            self.stdout.write("  Flowscope's consumer has not read this stream yet (is a worker or poll_logs running?)")
