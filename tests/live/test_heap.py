import gc

from flows.live.heap import freeze_startup_heap


def test_a_started_worker_keeps_its_heap_out_of_the_collectors_way():
    gc.unfreeze()
    try:
        alive = [[i] for i in range(1000)]
        frozen = freeze_startup_heap()
        assert frozen == gc.get_freeze_count() >= len(alive)
        # Frozen objects are left out of every generation the collector walks.
        assert not any(obj is alive[0] for obj in gc.get_objects())
    finally:
        gc.unfreeze()
