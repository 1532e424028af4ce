"""The emulator's StartLiveTail, corrected where moto 5.2 gets it wrong (for Live Tail tests)."""
import pytest


@pytest.fixture(autouse=True)
def live_tail_tails_the_groups_asked_for(monkeypatch):
    """moto 5.2's StartLiveTail looks each identifier up in a loop that does not stop at the
    match, so it tails the newest group whatever was asked: find the group asked for."""
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.models import LogsBackend

    def find(self, identifier):
        for group in self.groups.values():
            if group.arn == identifier.removesuffix(":*"):
                return group
        raise ResourceNotFoundException()

    monkeypatch.setattr(LogsBackend, "_find_live_tail_log_group", find)
