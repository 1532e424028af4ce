"""The graph one sync builds in memory before it is written: nodes and edges with their origin."""
import threading
from dataclasses import dataclass, field

from .arns import node_identity
from .vocabulary import EdgeKind, NodeType

STUB_ORIGIN = "stub"


@dataclass
class Node:
    arn: str
    type: NodeType
    name: str
    region: str
    account: str
    attributes: dict = field(default_factory=dict)
    origin: str = ""
    discovered: bool = True
    # Facts used while the graph is built and then dropped, never stored (env var values).
    private: dict = field(default_factory=dict, repr=False)


@dataclass
class EdgeRecord:
    source: str
    target: str
    kind: EdgeKind
    key: str = ""
    attributes: dict = field(default_factory=dict)
    origin: str = ""

    @property
    def identity(self):
        return (self.source, self.target, str(self.kind), self.key)


class GraphBuilder:
    """Collects what collectors find; safe to fill from several threads."""

    def __init__(self):
        self.nodes = {}
        self.edges = {}
        self._lock = threading.Lock()

    def add(self, origin, nodes=(), edges=()):
        with self._lock:
            for node in nodes:
                node.origin = origin
                existing = self.nodes.get(node.arn)
                if existing is not None and existing.discovered:
                    existing.attributes.update(node.attributes)
                else:
                    self.nodes[node.arn] = node
            for edge in edges:
                edge.origin = origin
                self.edges[edge.identity] = edge

    def add_stubs(self):
        """Give every edge endpoint a node, so the graph never holds a dangling edge."""
        for edge in self.edges.values():
            for arn in (edge.source, edge.target):
                if arn not in self.nodes:
                    node_arn, node_type, name, region, account = node_identity(arn)
                    self.nodes[arn] = Node(
                        arn=arn, type=node_type, name=name, region=region, account=account,
                        attributes={"discovered": False}, origin=STUB_ORIGIN, discovered=False,
                    )
