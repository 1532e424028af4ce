"""COLLECTORS: the one ordered registry of what discovery reads, one module per AWS service.

Each module follows four small steps: ``get_*`` (plain boto3 calls through paginators),
``transform_*`` (pure: responses in, nodes and edges out), then ``collect(ctx)`` hands them
to the sync, which loads them and retires what vanished.
"""
from collections.abc import Callable
from dataclasses import dataclass

from . import (
    apigateway,
    apigatewayv2,
    appsync,
    codecommit,
    cognito,
    dynamodb,
    elbv2,
    events,
    iam,
    iot,
    kinesis,
    lambda_,
    logs,
    s3,
    ses,
    sns,
    sqs,
    stepfunctions,
)


@dataclass(frozen=True)
class Collector:
    key: str
    collect: Callable
    global_: bool = False   # IAM and S3 listings are account-wide: collected once per account

    @property
    def description(self):
        return (self.collect.__doc__ or "").strip().splitlines()[0]


COLLECTORS = (
    Collector("lambda", lambda_.collect),
    Collector("iam", iam.collect, global_=True),
    Collector("sqs", sqs.collect),
    Collector("sns", sns.collect),
    Collector("s3", s3.collect, global_=True),
    Collector("dynamodb", dynamodb.collect),
    Collector("kinesis", kinesis.collect),
    Collector("apigateway", apigateway.collect),
    Collector("apigatewayv2", apigatewayv2.collect),
    Collector("elbv2", elbv2.collect),
    Collector("codecommit", codecommit.collect),
    Collector("events", events.collect),
    Collector("stepfunctions", stepfunctions.collect),
    Collector("cognito", cognito.collect),
    Collector("iot", iot.collect),
    Collector("logs", logs.collect),
    Collector("ses", ses.collect),
    Collector("appsync", appsync.collect),
)
