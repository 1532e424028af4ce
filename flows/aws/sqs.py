"""sqs collector (being written)."""


def collect(ctx):
    """sqs: not collected yet."""
