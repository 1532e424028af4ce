"""sns collector (being written)."""


def collect(ctx):
    """sns: not collected yet."""
