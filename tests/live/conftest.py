import pytest
from django.db import DatabaseError

from flows.live.leases import release_all


@pytest.fixture(autouse=True)
def no_leftover_lease_locks():
    """Postgres lease locks belong to the connection, which outlives each test's transaction."""
    yield
    try:
        release_all()
    except DatabaseError:  # the test's database may be gone already; the session ends anyway
        return
