"""Models, one module per area: graph (discovery), live (invocations), audit (findings)."""
from .audit import Finding  # noqa: F401
from .graph import Account, Edge, Resource, SyncRun
from .live import (  # noqa: F401
    Invocation,
    InvocationMinute,
    LiveCounter,
    LogCursor,
    LogStreamShard,
    SeenEvents,
)
from .ui import ApiToken

__all__ = ["ApiToken", "Account", "Edge", "Resource", "SyncRun"]
