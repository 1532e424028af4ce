"""iam collector (being written)."""


def collect(ctx):
    """iam: not collected yet."""
