"""Live invocations: Lambda log parsing (pure), log polling, storage and the push to browsers.

Resume protocol (used by the /ws/live/ consumer): every pushed invocation carries an ``id``,
handed out in commit order. A reconnecting client sends
``{"type": "resume", "last_invocation_id": N}`` and receives ``invocations_since(N, limit)``.
"""


def invocations_since(last_id, limit=1000):
    """Completed invocations with id > last_id, oldest first (see flows.live.reads)."""
    from .reads import invocations_since as since

    return since(last_id, limit)
