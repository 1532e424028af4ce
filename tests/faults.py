"""Fault injection for integration tests: the emulator answers everything else for real.

botocore lets a `before-call` handler answer a call itself (no retry applies) and a
`before-send` handler answer one HTTP attempt (so the standard retry mode sees it).
"""
import boto3
from botocore.awsrequest import AWSResponse


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **kwargs):
        yield self._body


def deny(session, service, operation=None):
    """Make `service` (or one of its operations) answer AccessDenied on `session`."""
    event = f"before-call.{service}" + (f".{operation}" if operation else "")

    class Http:
        status_code = 403
        headers = {}

    def handler(**kwargs):
        return Http(), {"Error": {"Code": "AccessDeniedException",
                                  "Message": f"User is not authorized to perform {service} reads"},
                        "ResponseMetadata": {"HTTPStatusCode": 403}}

    session.events.register(event, handler)


def throttle(session, service, operation, times):
    """The first `times` HTTP attempts of service.operation answer ThrottlingException."""
    left = {"n": times}
    seen = {"throttled": 0}

    def handler(request=None, **kwargs):
        if left["n"] <= 0:
            return None
        left["n"] -= 1
        seen["throttled"] += 1
        body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException",
                                              "Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    session.events.register(f"before-send.{service}.{operation}", handler)
    return seen


def session():
    return boto3.Session()


def answer_html(session, service, operation, status=500):
    """Every HTTP attempt of service.operation gets an HTML error page, as a proxy would send."""
    body = (b"<!doctype html><html lang=en><title>500 Internal Server Error</title>"
            b"<h1>Internal Server Error</h1></html>")

    def handler(request=None, **kwargs):
        return AWSResponse(request.url, status, {"Content-Type": "text/html"}, _Raw(body))

    session.events.register(f"before-send.{service}.{operation}", handler)
