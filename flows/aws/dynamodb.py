"""dynamodb collector (being written)."""


def collect(ctx):
    """dynamodb: not collected yet."""
