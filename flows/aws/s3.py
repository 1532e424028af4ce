"""s3 collector (being written)."""


def collect(ctx):
    """s3: not collected yet."""
