"""Live Tail tests need the emulator's StartLiveTail fix; it now lives in extend_moto()."""
import pytest

from flows.demo.emulator import extend_moto


@pytest.fixture(autouse=True)
def live_tail_tails_the_groups_asked_for():
    """Kept for the modules that import it: the Emulator applies extend_moto() when built, and
    this makes sure of it for a test that reaches moto another way (it is idempotent)."""
    extend_moto()
