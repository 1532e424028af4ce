"""Models, one module per area: graph (discovery), live (invocations), audit (findings)."""
from .graph import Account, Edge, Resource, SyncRun

__all__ = ["Account", "Edge", "Resource", "SyncRun"]
