"""Lambda log lines in, facts about invocations out. Pure: no boto3, no ORM, never raises.

Lambda writes two formats. Text: ``START RequestId: ...``, ``END RequestId: ...`` and a
tab-separated ``REPORT RequestId: ...	Duration: 1.2 ms	...`` line, plus what the runtime and
the code print. JSON (LogFormat=JSON): platform events ``{"type": "platform.start" |
"platform.report" | "platform.runtimeDone", "record": {...}}`` and JSON application lines.

``parse_message`` classifies one log event's message; ``InvocationDraft`` folds the lines of
one request into the fields stored on an Invocation.
"""
import json
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

# CloudWatch accepts events up to 256 KB; the lines we extract facts from are short, so only
# the head of a huge line is parsed (the line is counted as huge, never a crash).
PARSE_LIMIT = 16 * 1024
HUGE_LINE = 64 * 1024

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
START_RE = re.compile(r"^START RequestId: (\S+)(?: Version: (\S+))?")
END_RE = re.compile(r"^END RequestId: (\S+)")
REPORT_RE = re.compile(r"^REPORT RequestId: (\S+)")
REPORT_FIELD_RE = re.compile(r"([A-Z][A-Za-z ]*?): ([^\t\n]+)")
TIMEOUT_RE = re.compile(r"Task timed out after (\d+(?:\.\d+)?) seconds")
# "RequestId: <id> Error: Runtime exited with error: exit status 1" then "Runtime.ExitError".
RUNTIME_EXIT_RE = re.compile(r"^RequestId: (\S+) Error: (Runtime exited[^\n]*)")
BARE_ERROR_TYPE_RE = re.compile(r"^(Runtime\.[A-Za-z]+)\s*$")
# Python: "[ERROR] ZeroDivisionError: division by zero\nTraceback ..." (uncaught, no request id)
# and "[ERROR]\t2024-...Z\t<request id>\tmessage" (logging.error from the handler).
PYTHON_UNCAUGHT_RE = re.compile(r"^\[ERROR\] ([A-Za-z_][\w.]*): ")
PYTHON_LOG_RE = re.compile(r"^\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\]\t\S+\t(" + UUID + r")\t")
# Node: "2024-...Z\t<request id>\tERROR\tInvoke Error \t{...}".
NODE_LOG_RE = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\t(" + UUID + r")\t(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t")
NODE_INVOKE_ERRORS = ("Invoke Error", "Unhandled Promise Rejection", "Uncaught Exception")
# Timeout lines carry the request id after the timestamp: "2024-...Z <id> Task timed out ...".
LEADING_ID_RE = re.compile(r"^(?:\S+Z\s+)?(?:RequestId: )?(" + UUID + r")\b")
ANY_ID_RE = re.compile(r"\b(" + UUID + r")\b")

PLATFORM_STATUS = {"success": "ok", "error": "error", "failure": "error", "timeout": "timeout"}
REPORT_STATUS = {"success": "ok", "error": "error", "failure": "error", "timeout": "timeout"}
REPORT_NUMBERS = {
    "Duration": "duration_ms",
    "Billed Duration": "billed_ms",
    "Memory Size": "memory_mb",
    "Max Memory Used": "max_memory_mb",
    "Init Duration": "init_ms",
    "Restore Duration": "restore_ms",
}
PLATFORM_METRICS = {
    "durationMs": "duration_ms",
    "billedDurationMs": "billed_ms",
    "memorySizeMB": "memory_mb",
    "maxMemoryUsedMB": "max_memory_mb",
    "initDurationMs": "init_ms",
    "restoreDurationMs": "restore_ms",
}


class Kind(StrEnum):
    START = "start"
    END = "end"
    REPORT = "report"
    TIMEOUT = "timeout"       # "Task timed out after N seconds"
    ERROR = "error"           # the invocation failed (uncaught exception, runtime exit)
    STATUS = "status"         # platform.runtimeDone: the runtime's verdict before the report
    LOG = "log"               # anything else: the function's own output
    IGNORED = "ignored"       # platform lifecycle events that say nothing about one request


@dataclass(slots=True)
class ParsedLine:
    kind: Kind
    request_id: str | None = None
    metrics: dict = field(default_factory=dict)
    status: str | None = None         # "ok" | "error" | "timeout"
    error_type: str | None = None
    trace_id: str | None = None
    version: str | None = None
    malformed: bool = False           # looked like a platform line but could not be read
    huge: bool = False


def parse_message(message):
    """Classify one log event's message. Never raises; unreadable lines come back as LOG with
    ``malformed`` set so the caller can count them."""
    if not isinstance(message, str):
        return ParsedLine(Kind.LOG, malformed=True)
    huge = len(message) > HUGE_LINE
    text = message[:PARSE_LIMIT]
    try:
        line = _parse(text.strip("\n"))
    except (ValueError, TypeError, AttributeError, KeyError):  # defensive: data is hostile
        line = ParsedLine(Kind.LOG, malformed=True)
    if huge:
        line.huge = True
    return line


def _parse(text):
    if text.startswith("{"):
        return _parse_json(text)
    if text.startswith("START RequestId:"):
        match = START_RE.match(text)
        return ParsedLine(Kind.START, match.group(1), version=match.group(2)) if match else _broken()
    if text.startswith("END RequestId:"):
        match = END_RE.match(text)
        return ParsedLine(Kind.END, match.group(1)) if match else _broken()
    if text.startswith("REPORT RequestId:"):
        return parse_report_line(text)
    if "Task timed out after" in text:
        match = TIMEOUT_RE.search(text)
        leading = LEADING_ID_RE.match(text)
        return ParsedLine(Kind.TIMEOUT, leading.group(1) if leading else None,
                          metrics={"timeout_s": float(match.group(1))} if match else {},
                          status="timeout", error_type="Sandbox.Timedout")
    match = RUNTIME_EXIT_RE.match(text)
    if match:
        return ParsedLine(Kind.ERROR, match.group(1), status="error", error_type="Runtime.ExitError")
    match = BARE_ERROR_TYPE_RE.match(text)
    if match:
        return ParsedLine(Kind.ERROR, status="error", error_type=match.group(1))
    match = PYTHON_UNCAUGHT_RE.match(text)
    if match:
        return ParsedLine(Kind.ERROR, status="error", error_type=match.group(1))
    match = PYTHON_LOG_RE.match(text)
    if match:
        return ParsedLine(Kind.LOG, match.group(2))
    match = NODE_LOG_RE.match(text)
    if match:
        request_id, level = match.groups()
        rest = text[match.end():]
        if level == "ERROR" and rest.startswith(NODE_INVOKE_ERRORS):
            return ParsedLine(Kind.ERROR, request_id, status="error",
                              error_type=_node_error_type(rest) or "Error")
        return ParsedLine(Kind.LOG, request_id)
    return ParsedLine(Kind.LOG)


def _broken():
    return ParsedLine(Kind.LOG, malformed=True)


def _node_error_type(rest):
    """errorType from the JSON that follows "Invoke Error \t" on a Node error line."""
    start = rest.find("{")
    if start < 0:
        return None
    try:
        payload = json.loads(rest[start:])
    except ValueError:
        match = re.search(r'"errorType"\s*:\s*"([^"]{1,200})"', rest)
        return match.group(1) if match else None
    return _string(payload.get("errorType")) if isinstance(payload, dict) else None


def parse_report_line(text):
    """The REPORT line: request id, durations, memory, cold start, X-Ray trace, status."""
    match = REPORT_RE.match(text)
    if not match:
        return _broken()
    fields = dict(REPORT_FIELD_RE.findall(text[match.end():]))
    metrics = {}
    malformed = False
    for label, key in REPORT_NUMBERS.items():
        if label in fields:
            number = _number(fields[label].split(" ")[0])
            if number is None:
                malformed = True
            else:
                metrics[key] = number
    if "duration_ms" not in metrics:
        malformed = True
    status = fields.get("Status", "").strip().lower() or None
    return ParsedLine(
        Kind.REPORT, match.group(1), metrics=metrics,
        status=REPORT_STATUS.get(status, "error" if status else None),
        error_type=(fields.get("Error Type") or "").strip() or None,
        trace_id=(fields.get("XRAY TraceId") or "").strip() or None,
        malformed=malformed,
    )


def _parse_json(text):
    try:
        payload = json.loads(text)
    except ValueError:
        # A JSON application line cut short by the runtime or a hand-written brace: just text.
        return ParsedLine(Kind.LOG, _leading_id(text))
    if not isinstance(payload, dict):
        return ParsedLine(Kind.LOG)
    event_type = payload.get("type")
    if isinstance(event_type, str) and event_type.startswith("platform."):
        return parse_platform_event(payload)
    return _parse_json_application_line(payload)


def parse_platform_event(payload):
    """One JSON platform event (LogFormat=JSON, or the Telemetry API's shape)."""
    record = payload.get("record")
    event_type = payload["type"]
    if not isinstance(record, dict):
        return ParsedLine(Kind.IGNORED, malformed=True)
    request_id = _string(record.get("requestId"))
    if event_type == "platform.start":
        return ParsedLine(Kind.START, request_id, version=_string(record.get("version")),
                          trace_id=_trace_root(record.get("tracing")), malformed=request_id is None)
    if event_type == "platform.runtimeDone":
        status = _string(record.get("status"))
        return ParsedLine(Kind.STATUS, request_id, status=PLATFORM_STATUS.get(status or "", "error"),
                          error_type=_string(record.get("errorType")), malformed=request_id is None)
    if event_type == "platform.report":
        raw = record.get("metrics") if isinstance(record.get("metrics"), dict) else {}
        metrics = {}
        for source, key in PLATFORM_METRICS.items():
            number = _number(raw.get(source))
            if number is not None:
                metrics[key] = number
        status = _string(record.get("status"))
        return ParsedLine(
            Kind.REPORT, request_id, metrics=metrics,
            status=PLATFORM_STATUS.get(status or "", "error" if status else None),
            error_type=_string(record.get("errorType")),
            trace_id=_trace_root(record.get("tracing")),
            malformed=request_id is None or "duration_ms" not in metrics,
        )
    return ParsedLine(Kind.IGNORED, request_id)


def _parse_json_application_line(payload):
    """A JSON line the function (or its runtime) printed; an errorType marks a failed invoke."""
    request_id = _string(payload.get("requestId")) or _string(payload.get("AWSRequestId"))
    error_type = _string(payload.get("errorType"))
    message = payload.get("message")
    if error_type is None and isinstance(message, dict):
        error_type = _string(message.get("errorType"))
    level = (_string(payload.get("level")) or _string(payload.get("log_level")) or "").upper()
    # Uncaught errors: Python 3.12+ prints {"errorMessage", "errorType", "requestId",
    # "stackTrace"}; Node's JSON format logs level ERROR, message "Invoke Error", errorType.
    uncaught = error_type and ("stackTrace" in payload or "errorMessage" in payload
                               or message in NODE_INVOKE_ERRORS)
    if uncaught and level in ("", "ERROR", "FATAL", "CRITICAL"):
        return ParsedLine(Kind.ERROR, request_id, status="error", error_type=error_type)
    return ParsedLine(Kind.LOG, request_id)


def _trace_root(tracing):
    """"Root=1-abc-def;Parent=...;Sampled=1" -> "1-abc-def"."""
    if not isinstance(tracing, dict):
        return None
    value = _string(tracing.get("value")) or ""
    for part in value.split(";"):
        if part.startswith("Root="):
            return part[5:] or None
    return value or None


def _leading_id(text):
    match = ANY_ID_RE.search(text[:200])
    return match.group(1) if match else None


def _string(value):
    return value[:256] if isinstance(value, str) and value else None


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and abs(value) < 1e12 else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) and abs(number) < 1e12 else None
    return None


STATUS_RANK = {None: 0, "ok": 1, "error": 2, "timeout": 3}


@dataclass(slots=True)
class InvocationDraft:
    """What the lines of one request say so far; lines may come in any order and any number
    of polls. ``complete`` once the REPORT (text or platform.report) has been seen."""

    request_id: str
    started_ms: int | None = None
    report_ms: int | None = None
    metrics: dict = field(default_factory=dict)
    status: str | None = None
    error_type: str | None = None
    trace_id: str | None = None
    ended: bool = False

    @property
    def complete(self):
        return self.report_ms is not None

    def add(self, line, timestamp_ms):
        if line.kind is Kind.START:
            self.started_ms = timestamp_ms if self.started_ms is None else min(self.started_ms, timestamp_ms)
        elif line.kind is Kind.END:
            self.ended = True
        elif line.kind is Kind.REPORT:
            self.report_ms = timestamp_ms
            self.metrics.update(line.metrics)
        if line.trace_id and not self.trace_id:
            self.trace_id = line.trace_id
        if line.status and line.kind is not Kind.LOG:
            # The gravest verdict wins: a timeout line beats a later generic "error" status.
            if STATUS_RANK[line.status] > STATUS_RANK[self.status]:
                self.status = line.status
                if line.error_type:
                    self.error_type = line.error_type
            elif line.status == self.status and line.error_type and not self.error_type:
                self.error_type = line.error_type
        elif line.error_type and not self.error_type:
            self.error_type = line.error_type

    def final_status(self):
        return self.status or ("ok" if self.complete else None)

    def started_at_ms(self):
        """The START time, or (no START seen) the REPORT time less the duration."""
        if self.started_ms is not None:
            return self.started_ms
        if self.report_ms is not None:
            return round(self.report_ms - self.metrics.get("duration_ms", 0))
        return None
