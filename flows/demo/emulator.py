"""The embedded AWS emulator (moto server over HTTP) used by the demo, tests and benchmarks.

moto lacks a few CodeCommit APIs Flowscope reads (ListRepositories, Put/GetRepositoryTriggers),
keeps one function URL per function whatever the Qualifier, looks SES receipt rules' functions
up in a Lambda backend it does not use, gets StartLiveTail's log groups wrong, and after a
Kinesis SplitShard moves the parent's records into the children and keeps putting new ones in
the closed parent (AWS keeps the parent's records and puts new ones in the children). They are
added or fixed here, in the harness, so product code stays plain boto3 against any endpoint.
"""
import hashlib
import json
import os
import urllib.parse
import urllib.request
import uuid

from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.awslambda.exceptions import GenericResourcNotFound, UnknownFunctionException
from moto.awslambda.models import FunctionUrlConfig
from moto.awslambda.responses import LambdaResponse
from moto.awslambda.utils import get_backend as lambda_backend
from moto.codecommit.exceptions import RepositoryDoesNotExistException
from moto.codecommit.responses import CodeCommitResponse
from moto.kinesis.exceptions import InvalidArgumentError as KinesisInvalidArgument
from moto.kinesis.models import Shard, Stream
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import LogsBackend
from moto.logs.utils import EventMessageFilter
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.ses.exceptions import InvalidLambdaFunctionException
from moto.ses.models import SESBackend

DEMO_ACCOUNT = "123456789012"  # moto's default account id
LIVE_TAIL_UPDATE_MAX = 500  # events in one sessionUpdate, as in AWS; beyond it the update is sampled


def _repository(response):
    name = response._get_param("repositoryName")
    repository = response.codecommit_backend.repositories.get(name)
    if repository is None:
        raise RepositoryDoesNotExistException(name)
    return repository


def _list_repositories(self):
    repositories = [{"repositoryName": name, "repositoryId": repo.repository_metadata["repositoryId"]}
                    for name, repo in sorted(self.codecommit_backend.repositories.items())]
    return json.dumps({"repositories": repositories})


def _put_repository_triggers(self):
    repository = _repository(self)
    repository.flowscope_triggers = self._get_param("triggers") or []
    repository.flowscope_triggers_id = os.urandom(8).hex()
    return json.dumps({"configurationId": repository.flowscope_triggers_id})


def _get_repository_triggers(self):
    repository = _repository(self)
    return json.dumps({"configurationId": getattr(repository, "flowscope_triggers_id", ""),
                       "triggers": getattr(repository, "flowscope_triggers", [])})


def _get_v2_authorizers(self):
    # moto 5.2 has apigatewayv2 GetAuthorizer but not the GetAuthorizers listing.
    api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
    return 200, {}, json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})


def _url_target(response):
    # URLs live per qualifier ("" for the function itself), as in AWS: an alias has its own.
    name = urllib.parse.unquote(response.path.split("/")[-2])
    function = response.backend.get_function(name)
    qualifier = response.querystring.get("Qualifier", [""])[0]
    if qualifier:
        response.backend.get_alias(qualifier, name)  # raises for an unknown alias
    urls = function.__dict__.setdefault("flowscope_urls", {})
    return function, qualifier, urls


def _url_answer(function, qualifier, config):
    answer = config.to_dict()
    if qualifier:
        answer["FunctionArn"] = f"{function.function_arn}:{qualifier}"
    return json.dumps(answer)


def _create_function_url_config(self):
    function, qualifier, urls = _url_target(self)
    urls[qualifier] = FunctionUrlConfig(function=function, config=self.json_body)
    return 201, {"status": 201}, _url_answer(function, qualifier, urls[qualifier])


def _get_function_url_config(self):
    function, qualifier, urls = _url_target(self)
    if qualifier not in urls:
        raise GenericResourcNotFound()
    return 200, {"status": 200}, _url_answer(function, qualifier, urls[qualifier])


def _delete_function_url_config(self):
    _, qualifier, urls = _url_target(self)
    urls.pop(qualifier, None)
    return 204, {"status": 204}, "{}"


def _validate_ses_lambda_action(self, lambda_action):
    # moto's check asks the Docker-backed Lambda backend; the emulator runs the simple one.
    try:
        lambda_backend(self.account_id, self.region_name).get_function(lambda_action["FunctionArn"])
    except UnknownFunctionException:
        raise InvalidLambdaFunctionException(
            f"Invalid Lambda function: {lambda_action['FunctionArn']}") from None


def _live_tail_group(backend, identifier):
    # Log group names cannot contain ":", so anything with ":log-group:" is an ARN.
    identifier = identifier.removesuffix(":*")
    if ":log-group:" not in identifier:
        group = backend.groups.get(identifier)
    else:
        group = next((g for g in backend.groups.values() if g.arn == identifier), None)
    if group is None:
        raise ResourceNotFoundException(f"The specified log group does not exist: {identifier}")
    return group


def _start_live_tail(self, log_group_identifiers, log_stream_names, log_stream_name_prefixes,
                     log_event_filter_pattern):
    # moto 5.2's lookup loop never stops at its match, so every session tailed the newest group
    # whatever was asked, and a full group replayed its oldest events rather than its newest.
    identifiers = log_group_identifiers or []
    if not 1 <= len(identifiers) <= 10:
        raise InvalidParameterException(
            msg="logGroupIdentifiers must hold between 1 and 10 log groups.")
    if log_stream_names is not None and log_stream_name_prefixes is not None:
        raise InvalidParameterException(
            msg="Only one of logStreamNames or logStreamNamePrefixes can be provided.")
    if (log_stream_names is not None or log_stream_name_prefixes is not None) and len(identifiers) != 1:
        raise InvalidParameterException(
            msg="logStreamNames and logStreamNamePrefixes can only be used with a single log group.")
    groups = [_live_tail_group(self, identifier) for identifier in identifiers]
    matches = EventMessageFilter(log_event_filter_pattern or "").matches
    events = []
    for group in groups:
        for stream in self._get_live_tail_streams(group, log_stream_names or [],
                                                  log_stream_name_prefixes or []):
            events.extend(
                {"ingestionTime": event.ingestion_time, "logGroupIdentifier": group.arn,
                 "logStreamName": stream.log_stream_name, "message": event.message,
                 "timestamp": event.timestamp}
                for event in list(stream.events) if matches(event.message))
    events.sort(key=lambda event: event["timestamp"])
    session_start = {
        "requestId": str(uuid.uuid4()), "sessionId": str(uuid.uuid4()),
        "logGroupIdentifiers": [group.arn for group in groups],
        "logStreamNames": log_stream_names or [],
        "logStreamNamePrefixes": log_stream_name_prefixes or [],
        "logEventFilterPattern": log_event_filter_pattern or "",
    }
    session_update = {"sessionMetadata": {"sampled": len(events) > LIVE_TAIL_UPDATE_MAX},
                      "sessionResults": events[-LIVE_TAIL_UPDATE_MAX:]}
    return session_start, session_update


def _open_shard_for_key(self, partition_key, explicit_hash_key):
    """As AWS routes a record: by the MD5 of its partition key (or its explicit hash key) to the
    open shard whose hash key range holds it; a closed (split) shard takes no more records."""
    key = int(explicit_hash_key) if explicit_hash_key else int.from_bytes(
        hashlib.md5(partition_key.encode("utf-8")).digest(), "big")
    for shard in self.shards.values():
        if shard.is_open and shard.starting_hash <= key <= shard.ending_hash:
            return shard
    return None


def _split_shard(self, shard_to_split, new_starting_hash_key):
    """SplitShard as AWS does it: the parent closes and keeps its records; two empty children
    share its hash key range."""
    parent = self.shards[shard_to_split]
    middle = int(new_starting_hash_key)
    if not (parent.is_open and parent.starting_hash < middle < parent.ending_hash):
        raise KinesisInvalidArgument(f"cannot split {shard_to_split} at {new_starting_hash_key}")
    highest = max(shard._shard_id for shard in self.shards.values())
    for number, (low, high) in enumerate(((parent.starting_hash, middle - 1), (middle, parent.ending_hash)), 1):
        child = Shard(highest + number, starting_hash=low, ending_hash=high, parent=parent.shard_id)
        self.shards[child.shard_id] = child
    parent.is_open = False


def extend_moto():
    """Teach the emulator the calls it lacks and fix StartLiveTail's groups (idempotent)."""
    CodeCommitResponse.list_repositories = _list_repositories
    CodeCommitResponse.put_repository_triggers = _put_repository_triggers
    CodeCommitResponse.get_repository_triggers = _get_repository_triggers
    ApiGatewayV2Response.get_authorizers = _get_v2_authorizers
    LogsBackend.start_live_tail = _start_live_tail
    LambdaResponse.create_function_url_config = _create_function_url_config
    LambdaResponse.get_function_url_config = _get_function_url_config
    LambdaResponse.delete_function_url_config = _delete_function_url_config
    SESBackend._validate_lambda_action = _validate_ses_lambda_action
    Stream.get_shard_for_key = _open_shard_for_key
    Stream.split_shard = _split_shard


class Emulator:
    """A moto server on 127.0.0.1 in a thread of this process, reached over real HTTP."""

    def __init__(self, port=0):
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        extend_moto()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.endpoint = None

    def start(self):
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.configure()
        return self

    def stop(self):
        self._server.stop()

    def _post(self, path, payload=None):
        request = urllib.request.Request(
            self.endpoint + path, data=json.dumps(payload or {}).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def configure(self):
        # Functions must never try to run in Docker; this must precede creating any function.
        self._post("/moto-api/config", {"lambda": {"use_docker": False}})

    def reset(self):
        self._post("/moto-api/reset")
        self.configure()

    def environment(self):
        """Variables that point boto3's standard chain at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        }
