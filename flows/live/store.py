"""Invocations in the database: assembled from parsed lines, aggregated per minute, pruned
(reading them back: reads.py).

``apply_events`` must run inside the transaction that also saves the log cursor: the data and
the position it was read up to commit together or not at all.
"""
import bisect
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..models import Invocation, InvocationMinute, LiveCounter
from ..models.live import DURATION_BUCKETS_MS
from .parse import InvocationDraft, Kind, parse_message

SEQ_COUNTER = "invocation"
LINE_LIMIT = 4096          # characters of one log line kept with its invocation
IN_CHUNK = 500             # request ids per IN (...) query
UPDATE_FIELDS = ["seq", "started_at", "completed_at", "duration_ms", "billed_ms", "memory_mb",
                 "max_memory_mb", "init_ms", "status", "error_type", "trace_id", "ended",
                 "log_lines", "lines_dropped", "log_stream"]


@dataclass
class EventBatch:
    """What one page of log events did: counters for the cursor, invocations completed."""

    events: int = 0
    malformed: int = 0
    huge: int = 0
    orphans: int = 0            # lines with no request id and no open request in their stream
    invocations: int = 0        # completed in this batch
    completed: list = field(default_factory=list)  # Invocation rows, seq assigned


def ms_to_datetime(ms):
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def datetime_to_ms(value):
    return round(value.timestamp() * 1000)


def function_for_stream(function_arns, stream):
    """Several functions can share a custom log group; their streams carry the function name
    ("2026/11/26/my-function[$LATEST]abc..."). One function: it is that one."""
    if len(function_arns) == 1:
        return function_arns[0]
    head = (stream or "").split("[", 1)[0]
    for arn in function_arns:
        name = arn.rsplit(":", 1)[-1]
        if head.endswith("/" + name) or head == name:
            return arn
    return function_arns[0] if function_arns else ""


def ensure_counter():
    LiveCounter.objects.get_or_create(name=SEQ_COUNTER)


def group_lines(events, function_arns, open_requests, stats):
    """Parse events and file each line under (function, request id).

    Lines without a request id (Python's uncaught "[ERROR] ...", "Runtime.ExitError") belong to
    the request open in the same log stream; ``open_requests`` carries that across polls.
    """
    grouped = {}
    for event in events:
        message = event.get("message")
        line = parse_message(message)
        stats.events += 1
        stats.malformed += line.malformed
        stats.huge += line.huge
        stream = event.get("logStreamName", "")
        request_id = line.request_id
        if line.kind is Kind.START and request_id:
            open_requests[stream] = request_id
        if request_id is None:
            request_id = open_requests.get(stream)
            if request_id is None:
                if line.kind is not Kind.IGNORED:
                    stats.orphans += 1
                continue
        if line.kind is Kind.REPORT and open_requests.get(stream) == request_id:
            open_requests.pop(stream, None)
        key = (function_for_stream(function_arns, stream), request_id)
        grouped.setdefault(key, []).append((event.get("timestamp") or 0, line, message, stream))
    return grouped


@dataclass
class GroupPage:
    """One log group's share of what is applied at once: a poll's page is one, a stream's page
    brings many. ``batch`` is filled in by ``apply_pages``."""

    events: list
    function_arns: list
    log_group: str
    open_requests: dict
    batch: EventBatch = None


def apply_events(events, function_arns, log_group, open_requests, before_numbering=None):
    """Fold a page of one log group's events into Invocation rows and per-minute aggregates.

    Returns an EventBatch; ``completed`` holds the invocations whose REPORT arrived now, with
    ``seq`` numbers handed out under the counter's row lock (so in commit order).
    ``before_numbering(batch)`` runs just before the counter is locked, with this EventBatch
    (its counters and ``invocations`` set): the poller saves its cursor there, so that write is
    not done while every other worker waits for the lock.
    """
    page = GroupPage(events, function_arns, log_group, open_requests)
    apply_pages([page], before_numbering and (lambda: before_numbering(page.batch)))
    return page.batch


def apply_pages(pages, before_numbering=None):
    """Fold several log groups' events (GroupPages) into invocations in one go: one lookup,
    one insert, one aggregate and one numbering for all of them. Each page's ``batch`` says
    what it did. ``before_numbering()`` runs just before the counter is locked.

    A request whose START is in its page is new, so its row is not looked up first; in the
    rare case one exists all the same (lines out of order), the pages are redone with lookups.
    """
    before = [dict(page.open_requests) for page in pages]
    try:
        with transaction.atomic():
            return _apply(pages, before_numbering, trust_start=True)
    except IntegrityError:
        for page, open_requests in zip(pages, before):
            page.open_requests.clear()
            page.open_requests.update(open_requests)
        return _apply(pages, before_numbering, trust_start=False)


def _apply(pages, before_numbering, trust_start):
    grouped = {}
    for page in pages:
        page.batch = EventBatch()
        for key, lines in group_lines(page.events, page.function_arns, page.open_requests,
                                      page.batch).items():
            if key in grouped:  # two log groups naming one function: keep the first's row
                grouped[key][1].extend(lines)
            else:
                grouped[key] = (page, lines)
    if not grouped:
        if before_numbering:
            before_numbering()
        return pages
    if trust_start:
        lookup = [key for key, (_, lines) in grouped.items()
                  if not any(line.kind is Kind.START for _, line, _, _ in lines)]
    else:
        lookup = list(grouped)
    existing = _existing(lookup)
    max_lines = settings.FLOWSCOPE["LOG_LINES_PER_INVOCATION"]
    created, updated, completed = [], [], []
    for key, (page, lines) in grouped.items():
        row = existing.get(key)
        was_complete = row is not None and row.completed_at is not None
        draft = _draft_from_row(row, key[1])
        row = row or NewInvocation(key[0], key[1], page.log_group)
        for timestamp, line, message, stream in lines:
            draft.add(line, timestamp)
            if stream and not row.log_stream:
                row.log_stream = stream[:512]
            if len(row.log_lines) < max_lines:
                text = message if isinstance(message, str) else repr(message)
                row.log_lines.append([timestamp, text[:LINE_LIMIT]])
            else:
                row.lines_dropped += 1
        _draft_to_row(draft, row)
        (updated if row.pk else created).append(row)
        if draft.complete and not was_complete:
            completed.append(row)
            page.batch.completed.append(row)
            page.batch.invocations += 1
    # Aggregates first: the counter's row lock below serializes every worker's commit, so
    # as little as possible happens while it is held.
    _aggregate(completed)
    if before_numbering:
        before_numbering()
    if completed:
        completed.sort(key=lambda r: (r.started_at, r.request_id))
        first = take_numbers(len(completed))
        for offset, row in enumerate(completed):
            row.seq = first + offset
    if created:
        _insert(created)
    if updated:
        _update(updated)
    return pages


def take_numbers(count):
    """Hand out ``count`` consecutive sequence numbers; returns the first. The counter's row
    stays locked until the caller's transaction ends, so numbers follow commit order."""
    table = LiveCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET value = value + %s WHERE name = %s RETURNING value",
                       [count, SEQ_COUNTER])
        row = cursor.fetchone()
    if row is None:  # the counter row is made by ensure_counter(); be safe if it is not
        ensure_counter()
        return take_numbers(count)
    return row[0] - count + 1


INSERT_COLUMNS = ["function_arn", "request_id", "log_group", *UPDATE_FIELDS]


class NewInvocation:
    """An invocation not in the database yet, as plain attributes: a busy page brings
    thousands, and building a model instance for each cost more than parsing their lines."""

    __slots__ = tuple(INSERT_COLUMNS)
    pk = None

    def __init__(self, function_arn, request_id, log_group):
        self.function_arn = function_arn
        self.request_id = request_id
        self.log_group = log_group
        self.seq = self.completed_at = self.duration_ms = self.billed_ms = None
        self.memory_mb = self.max_memory_mb = self.init_ms = self.started_at = None
        self.status = self.error_type = self.trace_id = self.log_stream = ""
        self.ended = False
        self.log_lines = []
        self.lines_dropped = 0

    def to_model(self):
        return Invocation(**{name: getattr(self, name) for name in INSERT_COLUMNS})


def _insert(rows):
    """New invocations: COPY on Postgres (a busy log group brings thousands per page, and
    per-row INSERT compilation dominated the poller's time), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        Invocation.objects.bulk_create([row.to_model() for row in rows], batch_size=500)
        return
    columns = [Invocation._meta.get_field(name).column for name in INSERT_COLUMNS]
    statement = f"COPY {Invocation._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(row.log_lines) if name == "log_lines" else getattr(row, name)
                            for name in INSERT_COLUMNS])


def _update(rows):
    """Rows that were already stored (lines of a request spread over polls)."""
    update_rows(Invocation, rows, UPDATE_FIELDS)

def _existing(keys):
    """The stored rows of these (function, request id) keys: one query per IN_CHUNK keys,
    whatever the number of functions (both IN lists reach the unique index)."""
    keys = list(keys)
    wanted = set(keys)
    found = {}
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start:start + IN_CHUNK]
        rows = Invocation.objects.filter(function_arn__in={arn for arn, _ in chunk},
                                         request_id__in={request_id for _, request_id in chunk})
        for row in rows:
            if (row.function_arn, row.request_id) in wanted:
                found[(row.function_arn, row.request_id)] = row
    return found


def _draft_from_row(row, request_id):
    draft = InvocationDraft(request_id)
    if row is None:
        return draft
    draft.started_ms = datetime_to_ms(row.started_at)
    draft.report_ms = datetime_to_ms(row.completed_at) if row.completed_at else None
    for name in ("duration_ms", "billed_ms", "memory_mb", "max_memory_mb", "init_ms"):
        if getattr(row, name) is not None:
            draft.metrics[name] = float(getattr(row, name))
    draft.status = row.status if row.completed_at or row.status in ("error", "timeout") else None
    draft.error_type = row.error_type or None
    draft.trace_id = row.trace_id or None
    draft.ended = row.ended
    return draft


def _draft_to_row(draft, row):
    started = draft.started_at_ms()
    if started is None:  # only lines like END so far: date it by what we have
        started = draft.report_ms or 0
    row.started_at = ms_to_datetime(started)
    row.completed_at = ms_to_datetime(draft.report_ms) if draft.report_ms is not None else None
    metrics = draft.metrics
    row.duration_ms = metrics.get("duration_ms")
    row.billed_ms = metrics.get("billed_ms")
    row.memory_mb = _int(metrics.get("memory_mb"))
    row.max_memory_mb = _int(metrics.get("max_memory_mb"))
    row.init_ms = metrics.get("init_ms")
    if draft.complete:
        row.status = draft.final_status()
    elif draft.status in ("error", "timeout"):
        row.status = draft.status
    row.error_type = (draft.error_type or "")[:256]
    row.trace_id = (draft.trace_id or "")[:128]
    row.ended = draft.ended


def _int(value):
    return None if value is None else round(value)


def duration_bucket(duration_ms):
    return bisect.bisect_left(DURATION_BUCKETS_MS, duration_ms or 0)


def gb_seconds(billed_ms, memory_mb):
    return (billed_ms or 0) / 1000.0 * (memory_mb or 0) / 1024.0


def _aggregate(completed):
    """Add completed invocations to their function's per-minute rows."""
    if not completed:
        return
    deltas = {}
    for row in completed:
        minute = row.started_at.replace(second=0, microsecond=0)
        delta = deltas.setdefault((row.function_arn, minute), {
            "count": 0, "errors": 0, "timeouts": 0, "cold_starts": 0, "duration_sum_ms": 0.0,
            "duration_max_ms": 0.0, "billed_ms_sum": 0.0, "gb_seconds": 0.0, "memory_mb": None,
            "max_memory_used_mb": None, "histogram": [0] * (len(DURATION_BUCKETS_MS) + 1)})
        delta["count"] += 1
        delta["errors"] += row.status == "error"
        delta["timeouts"] += row.status == "timeout"
        delta["cold_starts"] += row.init_ms is not None
        delta["duration_sum_ms"] += row.duration_ms or 0
        delta["duration_max_ms"] = max(delta["duration_max_ms"], row.duration_ms or 0)
        delta["billed_ms_sum"] += row.billed_ms or 0
        delta["gb_seconds"] += gb_seconds(row.billed_ms, row.memory_mb)
        delta["memory_mb"] = row.memory_mb or delta["memory_mb"]
        delta["max_memory_used_mb"] = max(delta["max_memory_used_mb"] or 0, row.max_memory_mb or 0)
        delta["histogram"][duration_bucket(row.duration_ms)] += 1
    # A page brings one or two minutes of a few functions: a plain IN on each column (and
    # keeping only the pairs asked for) is cheaper to build than an OR of pairs.
    # Locked in one order by every writer, so two writers never wait on each other in a ring.
    found = InvocationMinute.objects.select_for_update().filter(
        function_arn__in={arn for arn, _ in deltas}, minute__in={minute for _, minute in deltas}
    ).order_by("function_arn", "minute")
    rows = {(r.function_arn, r.minute): r for r in found if (r.function_arn, r.minute) in deltas}
    new, changed = [], []
    for (function_arn, minute), delta in deltas.items():
        row = rows.get((function_arn, minute))
        if row is None:
            row = InvocationMinute(function_arn=function_arn, minute=minute,
                                   duration_histogram=[0] * (len(DURATION_BUCKETS_MS) + 1))
            new.append(row)
        else:
            changed.append(row)
        row.count += delta["count"]
        row.errors += delta["errors"]
        row.timeouts += delta["timeouts"]
        row.cold_starts += delta["cold_starts"]
        row.duration_sum_ms += delta["duration_sum_ms"]
        row.duration_max_ms = max(row.duration_max_ms, delta["duration_max_ms"])
        row.billed_ms_sum += delta["billed_ms_sum"]
        row.gb_seconds += delta["gb_seconds"]
        row.memory_mb = delta["memory_mb"] or row.memory_mb
        row.max_memory_used_mb = max(row.max_memory_used_mb or 0, delta["max_memory_used_mb"] or 0)
        histogram = list(row.duration_histogram or []) + [0] * (len(delta["histogram"]) - len(row.duration_histogram or []))
        row.duration_histogram = [a + b for a, b in zip(histogram, delta["histogram"])]
    if new:
        InvocationMinute.objects.bulk_create(new)
    fields = ["count", "errors", "timeouts", "cold_starts", "duration_sum_ms", "duration_max_ms",
              "billed_ms_sum", "gb_seconds", "memory_mb", "max_memory_used_mb",
              "duration_histogram"]
    if changed:  # one prepared UPDATE run for all: far less to build than bulk_update's CASEs
        update_rows(InvocationMinute, changed, fields)


def update_rows(model, rows, names):
    """UPDATE the given fields of model instances. On Postgres one statement for all rows (the
    values passed as one array per column and unnested); elsewhere one prepared statement run
    with many parameter sets."""
    if not rows:
        return
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in names]
    table = ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        arrays, casts, params = [], [], []
        for f in [model._meta.pk, *fields]:
            values = [getattr(row, f.attname) for row in rows]
            if f.get_internal_type() == "JSONField":
                values = [json.dumps(value) for value in values]
                arrays.append("%s::text[]")
                casts.append("::jsonb")
            else:
                arrays.append(f"%s::{f.db_type(connection)}[]")
                casts.append("")
            params.append(values)
        names_sql = [ops.quote_name(f.column) for f in [model._meta.pk, *fields]]
        assignments = ", ".join(f"{name} = v.{name}{cast}" for name, cast in zip(names_sql[1:], casts[1:]))
        statement = (f"UPDATE {table} SET {assignments} FROM unnest({', '.join(arrays)}) "
                     f"AS v({', '.join(names_sql)}) WHERE {table}.{names_sql[0]} = v.{names_sql[0]}")
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
        return
    assignments = ", ".join(f"{ops.quote_name(f.column)} = %s" for f in fields)
    statement = f"UPDATE {table} SET {assignments} WHERE id = %s"
    params = [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] + [row.pk]
              for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(statement, params)

def invocation_item(row):
    """An invocation as pushed to browsers (and replayed to reconnecting ones)."""
    return {
        "id": row.seq,
        "function": row.function_arn,
        "request_id": row.request_id,
        "timestamp": row.started_at.isoformat().replace("+00:00", "Z"),
        "duration_ms": row.duration_ms,
        "billed_ms": row.billed_ms,
        "memory_mb": row.memory_mb,
        "max_memory_mb": row.max_memory_mb,
        "init_ms": row.init_ms,
        "status": row.status or "ok",
        "error_type": row.error_type or None,
    }


def prune(now=None):
    """Apply the retention settings; returns (invocations deleted, minute rows deleted)."""
    now = now or timezone.now()
    options = settings.FLOWSCOPE
    invocations, _ = Invocation.objects.filter(
        started_at__lt=now - timedelta(hours=options["INVOCATION_RETENTION_HOURS"])).delete()
    minutes, _ = InvocationMinute.objects.filter(
        minute__lt=now - timedelta(hours=options["INVOCATION_AGGREGATE_RETENTION_HOURS"])).delete()
    return invocations, minutes
