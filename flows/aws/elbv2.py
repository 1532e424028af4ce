"""elbv2 collector (being written)."""


def collect(ctx):
    """elbv2: not collected yet."""
