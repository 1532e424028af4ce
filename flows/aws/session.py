"""Sessions from boto3's standard credential chain, optionally through an assumed role."""
import collections
import threading

import boto3
from botocore.config import Config
from django.conf import settings


def make_session(role_arn=None, region=None):
    """A boto3 session: profile, SSO, env vars and AWS_ENDPOINT_URL all follow boto3's chain.

    ``region`` (the first region a sync reads) is where STS is asked who we are and where the
    role is assumed, so a sync needs no region in the environment beside its --region.
    """
    base = boto3.Session(region_name=region) if region else boto3.Session()
    if not role_arn:
        return base
    sts = base.client("sts", config=client_config())
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="flowscope-sync")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=base.region_name,
    )


def client_config():
    options = settings.FLOWSCOPE
    return Config(
        retries={"mode": "standard", "max_attempts": options["AWS_MAX_ATTEMPTS"]},
        user_agent_appid="flowscope",
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=max(10, options["SYNC_CONCURRENCY"] * 2),
    )


class ApiCallCounter:
    """Counts the API calls (not HTTP retries) every client of one session makes."""

    def __init__(self, session):
        self.calls = collections.Counter()
        self._lock = threading.Lock()
        # Clients copy the session's event handlers when created: register before any client.
        session.events.register("before-call", self._count)

    def _count(self, model=None, **kwargs):
        with self._lock:
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    @property
    def total(self):
        return sum(self.calls.values())

    def by_service(self):
        services = collections.Counter()
        for key, count in self.calls.items():
            services[key.split(":")[0]] += count
        return dict(services)


def caller_identity(session):
    """(account id, partition, IAM ARN) of the session's credentials; an assumed-role session
    gives the role's ARN, so the audit can leave Flowscope's own role out."""
    identity = session.client("sts", config=client_config()).get_caller_identity()
    return identity["Account"], identity["Arn"].split(":")[1], iam_arn(identity["Arn"])


def iam_arn(arn):
    """arn:aws:sts::A:assumed-role/NAME/SESSION -> arn:aws:iam::A:role/NAME; others unchanged."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        name = parts[5].split("/")[1]
        return f"{parts[0]}:{parts[1]}:iam::{parts[4]}:role/{name}"
    return arn
