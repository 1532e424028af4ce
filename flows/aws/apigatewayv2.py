"""apigatewayv2 collector (being written)."""


def collect(ctx):
    """apigatewayv2: not collected yet."""
