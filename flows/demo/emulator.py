"""The embedded AWS emulator (moto server over HTTP) used by the demo, tests and benchmarks.

moto lacks a few CodeCommit APIs Flowscope reads (ListRepositories, Put/GetRepositoryTriggers).
They are added here, in the harness, so product code stays plain boto3 against any endpoint.
"""
import json
import os
import urllib.request

from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.codecommit.exceptions import RepositoryDoesNotExistException
from moto.codecommit.responses import CodeCommitResponse
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

DEMO_ACCOUNT = "123456789012"  # moto's default account id


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


def extend_moto():
    """Teach the emulator the CodeCommit and API Gateway v2 calls it lacks (idempotent)."""
    CodeCommitResponse.list_repositories = _list_repositories
    CodeCommitResponse.put_repository_triggers = _put_repository_triggers
    CodeCommitResponse.get_repository_triggers = _get_repository_triggers
    ApiGatewayV2Response.get_authorizers = _get_v2_authorizers


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
