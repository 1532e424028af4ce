"""codecommit collector (being written)."""


def collect(ctx):
    """codecommit: not collected yet."""
