from flows.live.parse import HUGE_LINE, InvocationDraft, Kind, parse_message
from tests.data import lambda_logs as logs
from tests.data.lambda_logs import REQUEST_ID


def test_it_reads_start_with_version():
    line = parse_message(logs.TEXT_START)
    assert (line.kind, line.request_id, line.version) == (Kind.START, REQUEST_ID, "$LATEST")


def test_it_reads_end():
    line = parse_message(logs.TEXT_END)
    assert (line.kind, line.request_id) == (Kind.END, REQUEST_ID)


def test_it_reads_a_warm_report_without_init_duration():
    line = parse_message(logs.TEXT_REPORT_WARM)
    assert line.kind is Kind.REPORT
    assert line.request_id == REQUEST_ID
    assert line.metrics == {"duration_ms": 102.25, "billed_ms": 103.0, "memory_mb": 128.0,
                            "max_memory_mb": 71.0}
    assert line.status is None
    assert not line.malformed


def test_it_reads_init_duration_and_xray_trace_of_a_cold_report():
    line = parse_message(logs.TEXT_REPORT_COLD_WITH_XRAY)
    assert line.metrics["init_ms"] == 250.40
    assert line.metrics["memory_mb"] == 512.0
    assert line.trace_id == "1-6565b1f2-3c1d2e3f4a5b6c7d8e9f0a1b"


def test_it_reads_status_and_error_type_on_report():
    timeout = parse_message(logs.TEXT_REPORT_TIMEOUT_STATUS)
    exit_error = parse_message(logs.TEXT_REPORT_EXIT_ERROR)
    assert (timeout.status, timeout.error_type) == ("timeout", None)
    assert (exit_error.status, exit_error.error_type) == ("error", "Runtime.ExitError")
    assert exit_error.metrics["max_memory_mb"] == 256.0


def test_it_reads_task_timed_out_with_its_request_id():
    line = parse_message(logs.TEXT_TIMEOUT)
    assert (line.kind, line.request_id, line.status) == (Kind.TIMEOUT, REQUEST_ID, "timeout")
    assert line.metrics == {"timeout_s": 3.0}


def test_it_reads_runtime_exit_errors():
    exit_line = parse_message(logs.TEXT_RUNTIME_EXIT)
    bare = parse_message(logs.TEXT_RUNTIME_EXIT_TYPE)
    assert (exit_line.kind, exit_line.request_id, exit_line.error_type) == (
        Kind.ERROR, REQUEST_ID, "Runtime.ExitError")
    assert (bare.kind, bare.request_id, bare.error_type) == (Kind.ERROR, None, "Runtime.ExitError")


def test_it_reads_python_uncaught_exceptions_in_both_shapes():
    text = parse_message(logs.PYTHON_UNCAUGHT)
    as_json = parse_message(logs.PYTHON_UNCAUGHT_JSON)
    assert (text.kind, text.request_id, text.error_type) == (Kind.ERROR, None, "ZeroDivisionError")
    assert (as_json.kind, as_json.request_id, as_json.error_type) == (
        Kind.ERROR, REQUEST_ID, "ZeroDivisionError")


def test_it_keeps_logged_errors_as_log_lines_of_their_request():
    for sample in (logs.PYTHON_LOGGING_ERROR, logs.PYTHON_LOGGING_INFO, logs.NODE_CONSOLE_ERROR,
                   logs.NODE_CONSOLE_INFO, logs.JSON_APP_INFO):
        line = parse_message(sample)
        assert (line.kind, line.request_id, line.status) == (Kind.LOG, REQUEST_ID, None), sample


def test_it_reads_node_invoke_errors_with_their_type():
    line = parse_message(logs.NODE_INVOKE_ERROR)
    assert (line.kind, line.request_id, line.error_type) == (Kind.ERROR, REQUEST_ID, "TypeError")
    json_line = parse_message(logs.JSON_APP_ERROR_NODE)
    assert (json_line.kind, json_line.request_id, json_line.error_type) == (Kind.ERROR, REQUEST_ID, "Error")


def test_it_reads_json_platform_start_report_and_runtime_done():
    start = parse_message(logs.JSON_PLATFORM_START)
    done = parse_message(logs.JSON_PLATFORM_RUNTIME_DONE_ERROR)
    report = parse_message(logs.JSON_PLATFORM_REPORT_COLD)
    assert (start.kind, start.request_id, start.version) == (Kind.START, REQUEST_ID, "$LATEST")
    assert (done.kind, done.status, done.error_type) == (Kind.STATUS, "error", "Runtime.Unknown")
    assert report.kind is Kind.REPORT
    assert report.metrics == {"duration_ms": 400.52, "billed_ms": 401.0, "memory_mb": 1024.0,
                              "max_memory_mb": 95.0, "init_ms": 180.25}
    assert report.status == "ok"
    assert report.trace_id == "1-6565b1f2-aaaabbbbccccddddeeeeffff"
    assert parse_message(logs.JSON_PLATFORM_REPORT_TIMEOUT).status == "timeout"
    assert parse_message(logs.JSON_PLATFORM_INIT_START).kind is Kind.IGNORED


def test_it_counts_malformed_lines_instead_of_failing():
    for sample in (logs.MALFORMED_REPORT, logs.MALFORMED_PLATFORM, "START RequestId:", None, 42):
        line = parse_message(sample)
        assert line.malformed, sample
        assert line.kind in (Kind.LOG, Kind.IGNORED)
    truncated = parse_message(logs.TRUNCATED_JSON)
    assert truncated.kind is Kind.LOG


def test_it_flags_huge_lines_and_still_reads_their_head():
    line = parse_message(logs.TEXT_REPORT_WARM.rstrip("\n") + "\tjunk: " + "x" * (HUGE_LINE + 10))
    assert line.huge
    assert line.kind is Kind.REPORT
    assert line.metrics["duration_ms"] == 102.25
    assert parse_message("y" * 300_000).huge


def test_it_treats_html_in_log_lines_as_plain_text():
    line = parse_message(logs.HTML_PAYLOAD)
    assert (line.kind, line.request_id) == (Kind.LOG, REQUEST_ID)


def test_a_draft_completes_on_report_and_keeps_the_gravest_status():
    draft = InvocationDraft(REQUEST_ID)
    draft.add(parse_message(logs.TEXT_START), 1000)
    assert not draft.complete
    draft.add(parse_message(logs.TEXT_TIMEOUT), 4000)
    draft.add(parse_message(logs.TEXT_END), 4001)
    draft.add(parse_message(logs.TEXT_REPORT_TIMEOUT_STATUS), 4001)
    assert draft.complete
    assert draft.final_status() == "timeout"
    assert draft.error_type == "Sandbox.Timedout"
    assert draft.started_at_ms() == 1000
    assert draft.metrics["billed_ms"] == 3000.0


def test_a_draft_without_start_dates_itself_from_the_report():
    draft = InvocationDraft(REQUEST_ID)
    draft.add(parse_message(logs.TEXT_REPORT_WARM), 5000)
    assert draft.started_at_ms() == 5000 - 102
    assert draft.final_status() == "ok"


def test_an_error_line_before_the_report_marks_the_invocation_failed():
    draft = InvocationDraft(REQUEST_ID)
    draft.add(parse_message(logs.TEXT_START), 1)
    draft.add(parse_message(logs.PYTHON_UNCAUGHT_JSON), 2)
    draft.add(parse_message(logs.TEXT_REPORT_WARM), 3)
    assert (draft.final_status(), draft.error_type) == ("error", "ZeroDivisionError")
