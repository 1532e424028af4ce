"""Security headers Django does not set itself: the Content-Security-Policy."""

from django.core.exceptions import DisallowedHost
from django.utils.deprecation import MiddlewareMixin


def content_security_policy(host):
    """The policy for a page served to ``host``.

    No inline scripts or styles anywhere: AWS-sourced strings that slipped into markup could
    not run. Cytoscape styles nodes through the CSSOM and a canvas, which style-src does not
    restrict. WebSockets go to the same host only (naming ws/wss explicitly, since older
    browsers do not let 'self' match them).
    """
    connect = ["'self'"]
    if host:
        connect += [f"ws://{host}", f"wss://{host}"]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": connect,
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeadersMiddleware(MiddlewareMixin):
    # MiddlewareMixin makes it usable in both sync and async chains (no thread hop under ASGI).

    def process_response(self, request, response):
        if "Content-Security-Policy" not in response:
            try:
                # get_host() only returns hosts listed in ALLOWED_HOSTS, so it is safe in a header.
                host = request.get_host()
            except DisallowedHost:
                host = ""
            response["Content-Security-Policy"] = content_security_policy(host)
        return response
