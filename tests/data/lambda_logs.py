"""Lambda log lines in the formats Lambda writes them (text and JSON log formats).

Request ids, trace ids and figures are invented; the shapes (tabs, units, field order, JSON
keys) follow what Lambda writes to CloudWatch Logs.
"""

REQUEST_ID = "8f5e3c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b"
OTHER_REQUEST_ID = "1d7c9e2f-3a4b-4c5d-9e8f-7a6b5c4d3e2f"

TEXT_START = f"START RequestId: {REQUEST_ID} Version: $LATEST\n"
TEXT_END = f"END RequestId: {REQUEST_ID}\n"
TEXT_REPORT_WARM = (
    f"REPORT RequestId: {REQUEST_ID}\tDuration: 102.25 ms\tBilled Duration: 103 ms\t"
    "Memory Size: 128 MB\tMax Memory Used: 71 MB\t\n"
)
TEXT_REPORT_COLD_WITH_XRAY = (
    f"REPORT RequestId: {REQUEST_ID}\tDuration: 1520.03 ms\tBilled Duration: 1521 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 140 MB\tInit Duration: 250.40 ms\t\n"
    "XRAY TraceId: 1-6565b1f2-3c1d2e3f4a5b6c7d8e9f0a1b\tSegmentId: 5e3f2a1b0c9d8e7f\tSampled: true\t\n"
)
TEXT_REPORT_TIMEOUT_STATUS = (
    f"REPORT RequestId: {REQUEST_ID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
    "Memory Size: 128 MB\tMax Memory Used: 88 MB\tStatus: timeout\n"
)
TEXT_REPORT_EXIT_ERROR = (
    f"REPORT RequestId: {REQUEST_ID}\tDuration: 45.12 ms\tBilled Duration: 46 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 256 MB\tStatus: error\tError Type: Runtime.ExitError\n"
)
TEXT_TIMEOUT = f"2026-11-26T10:15:03.512Z {REQUEST_ID} Task timed out after 3.00 seconds\n\n"
TEXT_RUNTIME_EXIT = f"RequestId: {REQUEST_ID} Error: Runtime exited with error: signal: killed\n"
TEXT_RUNTIME_EXIT_TYPE = "Runtime.ExitError\n"
PYTHON_UNCAUGHT = (
    "[ERROR] ZeroDivisionError: division by zero\nTraceback (most recent call last):\n"
    '\xa0\xa0File "/var/task/lambda_function.py", line 4, in lambda_handler\n'
    "\xa0\xa0\xa0\xa0return 1 / 0\n"
)
PYTHON_UNCAUGHT_JSON = (
    '{"errorMessage": "division by zero", "errorType": "ZeroDivisionError", '
    f'"requestId": "{REQUEST_ID}", "stackTrace": ["  File \\"/var/task/lambda_function.py\\", '
    'line 4, in lambda_handler\\n    return 1 / 0\\n"]}\n'
)
PYTHON_LOGGING_ERROR = f"[ERROR]\t2026-11-26T10:15:01.101Z\t{REQUEST_ID}\tcould not reach the table, retrying\n"
PYTHON_LOGGING_INFO = f"[INFO]\t2026-11-26T10:15:01.100Z\t{REQUEST_ID}\tprocessing 3 records\n"
NODE_INVOKE_ERROR = (
    f"2026-11-26T10:15:01.234Z\t{REQUEST_ID}\tERROR\tInvoke Error \t"
    '{"errorType":"TypeError","errorMessage":"Cannot read properties of undefined (reading \'id\')",'
    '"stack":["TypeError: Cannot read properties of undefined (reading \'id\')",'
    '"    at Runtime.handler (file:///var/task/index.mjs:3:24)"]}\n'
)
NODE_CONSOLE_ERROR = f"2026-11-26T10:15:01.200Z\t{REQUEST_ID}\tERROR\tretrying after 503\n"
NODE_CONSOLE_INFO = f"2026-11-26T10:15:01.199Z\t{REQUEST_ID}\tINFO\t{{\"connectionId\":\"abc=\"}}\n"

JSON_PLATFORM_START = (
    '{"time":"2026-11-26T10:15:00.000Z","type":"platform.start",'
    f'"record":{{"requestId":"{REQUEST_ID}","version":"$LATEST"}}}}'
)
JSON_PLATFORM_RUNTIME_DONE_ERROR = (
    '{"time":"2026-11-26T10:15:00.401Z","type":"platform.runtimeDone",'
    f'"record":{{"requestId":"{REQUEST_ID}","status":"error","errorType":"Runtime.Unknown",'
    '"metrics":{"durationMs":400.5,"producedBytes":0}}}'
)
JSON_PLATFORM_REPORT_COLD = (
    '{"time":"2026-11-26T10:15:00.402Z","type":"platform.report",'
    f'"record":{{"requestId":"{REQUEST_ID}","metrics":{{"durationMs":400.52,"billedDurationMs":401,'
    '"memorySizeMB":1024,"maxMemoryUsedMB":95,"initDurationMs":180.25},'
    '"tracing":{"spanId":"54565fb41ac79632","type":"X-Amzn-Trace-Id",'
    '"value":"Root=1-6565b1f2-aaaabbbbccccddddeeeeffff;Parent=54565fb41ac79632;Sampled=1"},'
    '"status":"success"}}'
)
JSON_PLATFORM_REPORT_TIMEOUT = (
    '{"time":"2026-11-26T10:15:03.002Z","type":"platform.report",'
    f'"record":{{"requestId":"{REQUEST_ID}","metrics":{{"durationMs":3000.0,"billedDurationMs":3000,'
    '"memorySizeMB":128,"maxMemoryUsedMB":60},"status":"timeout"}}'
)
JSON_PLATFORM_INIT_START = (
    '{"time":"2026-11-26T10:14:59.800Z","type":"platform.initStart",'
    '"record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.v30"}}'
)
JSON_APP_ERROR_NODE = (
    f'{{"timestamp":"2026-11-26T10:15:00.300Z","level":"ERROR","requestId":"{REQUEST_ID}",'
    '"message":"Invoke Error","errorType":"Error","errorMessage":"upstream said no",'
    '"stackTrace":["Error: upstream said no","    at Runtime.handler (file:///var/task/index.mjs:5:9)"]}'
)
JSON_APP_INFO = (
    f'{{"timestamp":"2026-11-26T10:15:00.100Z","level":"INFO","message":"sent 3 messages",'
    f'"logger":"root","requestId":"{REQUEST_ID}"}}'
)

# Lines that must be counted, not crash the parser.
MALFORMED_REPORT = "REPORT RequestId: \tDuration: lots ms\tBilled Duration: ? ms\n"
MALFORMED_PLATFORM = '{"type":"platform.report","record":"not an object"}'
TRUNCATED_JSON = '{"type":"platform.report","record":{"requestId":"abc","metrics":{"durat'
HTML_PAYLOAD = f"[INFO]\t2026-11-26T10:15:01.100Z\t{REQUEST_ID}\t<img src=x onerror=alert(1)><script>alert(2)</script>\n"
