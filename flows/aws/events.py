"""events collector (being written)."""


def collect(ctx):
    """events: not collected yet."""
