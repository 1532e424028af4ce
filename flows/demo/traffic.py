"""Demo traffic: realistic Lambda log events written into the emulator's CloudWatch Logs.

The generator reads the functions from the emulator (ListFunctions), so it follows whatever
was seeded; it recognises the demo's flows by the words in function names rather than exact
names (a chat message travels message -> fanout -> delivery worker and notify; an upload
reaches the thumbnailer; a history call passes the authorizer first). Functions outside any
flow get traffic of their own.

Each function keeps a few "containers", each with its own log stream as Lambda does; a new
container logs a cold start (Init Duration). Some invocations fail (in the runtime's own error
format) and a few time out. START is written when an invocation begins and END/REPORT when it
ends, so slow invocations complete across polls, as they do in AWS.
"""
import heapq
import json
import logging
import math
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

import boto3

log = logging.getLogger(__name__)

# (name words, follow-up steps: (words, delay ms, probability)), weight among flows.
FLOWS = [
    (("message",), [(("fanout",), 120, 1.0), (("delivery",), 450, 1.0), (("notify",), 480, 0.6)], 5),
    (("connect",), [], 2),
    (("disconnect",), [], 1.5),
    (("authorizer",), [(("history",), 40, 0.95)], 1.5),
    (("thumbnail",), [], 1),
    (("analytics",), [], 2),
    (("status",), [], 1),
    (("web",), [], 1.5),
    (("admin",), [], 0.3),
    (("cleanup",), [], 0.05),
    (("notifier",), [], 0.05),
]
SLOW_WORDS = {"thumbnail": 900.0, "analytics": 250.0, "cleanup": 2000.0, "history": 60.0}
ERROR_RATE = 0.02
TIMEOUT_RATE = 0.004
FRESH_CONTAINER_RATE = 0.01
MAX_CONTAINERS = 4
FLUSH_SECONDS = 0.2


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass
class Function:
    name: str
    runtime: str = "python3.12"
    memory: int = 128
    timeout: int = 3
    log_group: str = ""
    json_format: bool = False
    median_ms: float = 25.0
    containers: list = field(default_factory=list)

    @property
    def node(self):
        return self.runtime.startswith("nodejs")


def start_lines(fn, request_id, at):
    if fn.json_format:
        return [(at, json.dumps({"time": iso(at), "type": "platform.start",
                                 "record": {"requestId": request_id, "version": "$LATEST"}}))]
    return [(at, f"START RequestId: {request_id} Version: $LATEST\n")]


def app_line(fn, request_id, at, level, text):
    if fn.json_format:
        return (at, json.dumps({"timestamp": iso(at), "level": level, "message": text,
                                "requestId": request_id}))
    if fn.node:
        return (at, f"{iso(at)}\t{request_id}\t{level}\t{text}\n")
    return (at, f"[{level}]\t{iso(at)}\t{request_id}\t{text}\n")


def error_lines(fn, request_id, at, error_type, message):
    """An uncaught error as the runtime prints it."""
    if fn.json_format or fn.node:
        payload = {"errorType": error_type, "errorMessage": message,
                   "stack": [f"{error_type}: {message}", "    at Runtime.handler (file:///var/task/index.mjs:7:11)"]}
        if fn.json_format:
            return [(at, json.dumps({"timestamp": iso(at), "level": "ERROR", "requestId": request_id,
                                     "message": "Invoke Error", "errorType": error_type,
                                     "errorMessage": message, "stackTrace": payload["stack"]}))]
        return [(at, f"{iso(at)}\t{request_id}\tERROR\tInvoke Error \t{json.dumps(payload)}\n")]
    return [(at, json.dumps({"errorMessage": message, "errorType": error_type,
                             "requestId": request_id,
                             "stackTrace": ['  File "/var/task/index.py", line 9, in handler\n']}) + "\n")]


def end_lines(fn, request_id, at, duration, used, init=None, status=None, error_type=None):
    """END and REPORT (text) or platform.runtimeDone and platform.report (JSON)."""
    billed = math.ceil(duration)
    if fn.json_format:
        metrics = {"durationMs": round(duration, 2), "billedDurationMs": billed,
                   "memorySizeMB": fn.memory, "maxMemoryUsedMB": used}
        if init is not None:
            metrics["initDurationMs"] = round(init, 2)
        verdict = {"ok": "success", None: "success"}.get(status, status)
        return [(at, json.dumps({"time": iso(at), "type": "platform.runtimeDone",
                                 "record": {"requestId": request_id, "status": verdict}})),
                (at, json.dumps({"time": iso(at), "type": "platform.report",
                                 "record": {"requestId": request_id, "metrics": metrics,
                                            "status": verdict}}))]
    report = (f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
              f"Billed Duration: {billed} ms\tMemory Size: {fn.memory} MB\tMax Memory Used: {used} MB\t")
    if init is not None:
        report += f"Init Duration: {init:.2f} ms\t"
    if status == "timeout":
        report += "Status: timeout"
    elif status == "error" and error_type and error_type.startswith("Runtime."):
        report += f"Status: error\tError Type: {error_type}"
    return [(at, f"END RequestId: {request_id}\n"), (at, report + "\n")]


class TrafficGenerator:
    """Writes invocations at ``rate`` per second, in a background thread, until stopped."""

    def __init__(self, logs_client, functions, rate, rng=None):
        self.logs = logs_client
        self.functions = functions
        self.rate = float(rate)
        self.rng = rng or random.Random()
        self.flows = self._resolve_flows()
        self._pending = []          # heap of (due ms, seq, kind, payload)
        self._seq = 0
        self._buffers = {}
        self._known_streams = set()
        self._stop = threading.Event()
        self._thread = None
        self.invocations = 0
        self.written_events = 0

    @classmethod
    def from_environment(cls, rate, endpoint_url=None, region=None):
        endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
        host = (urlparse(endpoint_url or "").hostname or "").lower()
        if not host or host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws")):
            raise ValueError("demo traffic is written only to an emulator (set AWS_ENDPOINT_URL)")
        region = region or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        session = boto3.Session()
        lam = session.client("lambda", region_name=region, endpoint_url=endpoint_url)
        logs = session.client("logs", region_name=region, endpoint_url=endpoint_url)
        return cls(logs, read_functions(lam), rate)

    # -- which functions make up which flows

    def _find(self, words):
        for fn in self.functions:
            if all(word in fn.name for word in words) and not (
                    words == ("connect",) and "disconnect" in fn.name):
                return fn
        return None

    def _resolve_flows(self):
        flows, used = [], set()
        for words, steps, weight in FLOWS:
            head = self._find(words)
            if head is None:
                continue
            resolved = [(self._find(w), delay, p) for w, delay, p in steps]
            resolved = [(fn, delay, p) for fn, delay, p in resolved if fn is not None]
            flows.append((head, resolved, weight))
            used.add(head.name)
            used.update(fn.name for fn, _, _ in resolved)
        # Functions no flow reaches still get some traffic of their own.
        flows += [(fn, [], 0.5) for fn in self.functions if fn.name not in used]
        return flows

    # -- generating

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True, name="demo-traffic")
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self):
        carry = 0.0
        last = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            carry += (now - last) * self.rate
            last = now
            starts = int(carry)
            carry -= starts
            try:
                self.tick(starts)
            except Exception:  # the emulator restarting must not kill the demo
                log.exception("demo traffic could not write")
            self._stop.wait(FLUSH_SECONDS)

    def tick(self, invocations, now_ms=None):
        """Begin about ``invocations`` invocations now, emit what is due, write it."""
        now_ms = now_ms or int(time.time() * 1000)
        begun = 0
        weights = [w for _, _, w in self.flows]
        while begun < invocations and self.flows:
            head, steps, _ = self.rng.choices(self.flows, weights=weights)[0]
            at = now_ms + self.rng.randint(0, int(FLUSH_SECONDS * 1000))
            self._schedule(at, "begin", head)
            begun += 1
            for fn, delay, probability in steps:
                if begun < invocations and self.rng.random() < probability:
                    self._schedule(at + delay + self.rng.randint(0, delay), "begin", fn)
                    begun += 1
        self._emit_due(now_ms + int(FLUSH_SECONDS * 1000))
        self.flush()

    def _schedule(self, at, kind, payload):
        self._seq += 1
        heapq.heappush(self._pending, (at, self._seq, kind, payload))

    def _emit_due(self, until_ms):
        while self._pending and self._pending[0][0] <= until_ms:
            at, _, kind, payload = heapq.heappop(self._pending)
            if kind == "begin":
                self._begin(payload, at)
            else:
                fn, stream, lines = payload
                self._buffer(fn, stream, lines)

    def _begin(self, fn, at):
        request_id = str(uuid.uuid4())
        cold = not fn.containers or (len(fn.containers) < MAX_CONTAINERS
                                     and self.rng.random() < FRESH_CONTAINER_RATE)
        if cold:
            fn.containers.append(f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}")
        stream = self.rng.choice(fn.containers) if not cold else fn.containers[-1]
        init = self.rng.uniform(150, 900) if cold else None
        duration = max(0.8, self.rng.lognormvariate(math.log(fn.median_ms), 0.5))
        used = max(30, int(fn.memory * self.rng.uniform(0.25, 0.7)))
        roll = self.rng.random()
        status, error_type = None, None
        lines = start_lines(fn, request_id, at)
        lines.append(app_line(fn, request_id, at + 1, "INFO", f"handling {fn.name.split('-')[-1]} event"))
        if roll < TIMEOUT_RATE and fn.timeout <= 30:  # long timeouts would end minutes later
            status, duration = "timeout", fn.timeout * 1000.0
            end = int(at + duration)
            finish = [(end, f"{iso(end)} {request_id} Task timed out after {fn.timeout:.2f} seconds\n")]
        elif roll < TIMEOUT_RATE + ERROR_RATE:
            status = "error"
            error_type = self.rng.choice(["ValidationError", "ConditionalCheckFailedException",
                                          "TypeError", "Runtime.ExitError"])
            end = int(at + duration)
            if error_type == "Runtime.ExitError":
                finish = [(end, f"RequestId: {request_id} Error: Runtime exited with error: exit status 1\n"),
                          (end, "Runtime.ExitError\n")]
            else:
                finish = error_lines(fn, request_id, end, error_type, "the demo failed this one on purpose")
        else:
            end = int(at + duration)
            finish = []
        finish += end_lines(fn, request_id, end, duration, used, init, status, error_type)
        self._buffer(fn, stream, lines)
        self._schedule(end, "end", (fn, stream, finish))
        self.invocations += 1

    def _buffer(self, fn, stream, lines):
        self._buffers.setdefault((fn.log_group, stream), []).extend(lines)

    def flush(self):
        buffers, self._buffers = self._buffers, {}
        for (group, stream), lines in buffers.items():
            self._ensure_stream(group, stream)
            lines.sort(key=lambda line: line[0])
            for start in range(0, len(lines), 5000):
                chunk = lines[start:start + 5000]
                self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
                    {"timestamp": ts, "message": message} for ts, message in chunk])
                self.written_events += len(chunk)

    def _ensure_stream(self, group, stream):
        if (group, stream) in self._known_streams:
            return
        for call, kwargs in ((self.logs.create_log_group, {"logGroupName": group}),
                             (self.logs.create_log_stream, {"logGroupName": group, "logStreamName": stream})):
            try:
                call(**kwargs)
            except self.logs.exceptions.ResourceAlreadyExistsException:
                pass
        self._known_streams.add((group, stream))


def read_functions(lambda_client):
    """The emulator's functions, with what the generator needs to write like each of them."""
    functions = []
    for page in lambda_client.get_paginator("list_functions").paginate():
        for item in page["Functions"]:
            logging_config = item.get("LoggingConfig") or {}
            name = item["FunctionName"]
            median = next((ms for word, ms in SLOW_WORDS.items() if word in name), 25.0)
            functions.append(Function(
                name=name, runtime=item.get("Runtime") or "python3.12",
                memory=item.get("MemorySize") or 128, timeout=item.get("Timeout") or 3,
                log_group=logging_config.get("LogGroup") or f"/aws/lambda/{name}",
                json_format=logging_config.get("LogFormat") == "JSON", median_ms=median))
    return functions
