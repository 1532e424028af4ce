"""The long-running workers' heap: what is alive once a worker has started is frozen out of
the garbage collector's reach.

A worker holds hundreds of thousands of long-lived objects (Django, its models and
settings, botocore's service models, the clients). Every full collection walks them all,
and a busy worker allocates enough per page of log events to trigger one every few pages:
freezing them (``gc.freeze``) cut the stream consumer's CPU per invocation by about a
quarter (docs/benchmarks.md). Objects made later are collected as usual.
"""
import gc

_frozen = {"count": 0}


def freeze_startup_heap():
    """Collect what is garbage now, then freeze everything still alive. Called when a worker
    process has started and again after its first cycle (clients made, service models read)."""
    gc.collect()
    gc.freeze()
    _frozen["count"] = gc.get_freeze_count()
    return _frozen["count"]
