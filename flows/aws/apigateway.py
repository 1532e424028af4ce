"""apigateway collector (being written)."""


def collect(ctx):
    """apigateway: not collected yet."""
