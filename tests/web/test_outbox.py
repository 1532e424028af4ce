from flows.consumers import Outbox


def invocation(n):
    return {"id": n, "status": "ok"}


def test_outbox_merges_live_invocations_into_the_waiting_frame():
    outbox = Outbox()
    outbox.add({"type": "invocations", "items": [invocation(1)]})
    outbox.add({"type": "graph", "changed": True})
    outbox.add({"type": "invocations", "items": [invocation(2), invocation(3)]})

    assert outbox.pop() == {
        "type": "invocations",
        "items": [invocation(1), invocation(2), invocation(3)],
    }
    assert outbox.pop() == {"type": "graph", "changed": True}
    assert not outbox


def test_outbox_keeps_only_the_latest_progress_of_a_sync_run():
    outbox = Outbox()
    outbox.add({"type": "sync", "run": {"id": 1, "progress": {"done": 1}}})
    outbox.add({"type": "sync", "run": {"id": 2, "progress": {"done": 1}}})
    outbox.add({"type": "sync", "run": {"id": 1, "progress": {"done": 5}}})
    outbox.add({"type": "sync", "error": "another sync is running"})

    assert [outbox.pop() for _ in range(3)] == [
        {"type": "sync", "run": {"id": 1, "progress": {"done": 5}}},
        {"type": "sync", "run": {"id": 2, "progress": {"done": 1}}},
        {"type": "sync", "error": "another sync is running"},
    ]


def test_outbox_keeps_a_replay_apart_from_live_invocations():
    outbox = Outbox()
    outbox.add({"type": "invocations", "items": [invocation(9)]})
    outbox.add({"type": "invocations", "items": [invocation(1)], "replay": True})

    assert outbox.pop()["items"] == [invocation(9)]
    assert outbox.pop() == {"type": "invocations", "items": [invocation(1)], "replay": True}


def test_outbox_drops_the_oldest_invocations_of_a_stalled_client():
    outbox = Outbox(max_invocations=5)
    for n in range(8):
        outbox.add({"type": "invocations", "items": [invocation(n)]})

    frame = outbox.pop()
    assert [i["id"] for i in frame["items"]] == [3, 4, 5, 6, 7]
    assert frame["dropped"] == 3
    assert outbox.pending_invocations == 0
