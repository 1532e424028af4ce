"""kinesis collector (being written)."""


def collect(ctx):
    """kinesis: not collected yet."""
