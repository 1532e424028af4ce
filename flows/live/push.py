"""Completed invocations out to the browsers in few frames (the pollers, the stream consumer
and Live Tail all push through one of these)."""
import time


class PushBatcher:
    """Collects completed invocations and publishes them in few frames: at most one frame per
    ``min_interval`` while a cycle runs, the rest when it ends, ``max_items`` per frame."""

    def __init__(self, publish, min_interval=0.1, max_items=2000):
        self.publish = publish
        self.min_interval = min_interval
        self.max_items = max_items
        self.items = []
        self.frames = 0
        self._last = time.monotonic()

    def add(self, item):
        self.items.append(item)

    def maybe_flush(self):
        if self.items and time.monotonic() - self._last >= self.min_interval:
            self.flush()

    def flush(self):
        while self.items:
            chunk, self.items = self.items[:self.max_items], self.items[self.max_items:]
            self.publish("invocations", {"items": chunk})
            self.frames += 1
        self._last = time.monotonic()
