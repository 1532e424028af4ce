"""The graph as the flowscope.graph/1 document, and drawn as DOT or Mermaid."""
import json
import re

from django.utils import timezone

from .models import Edge, Resource
from .vocabulary import GRAPH_FORMAT, NodeType


def graph_document(accounts=None):
    """The export contract. Two queries whatever the graph's size (no per-node lookups)."""
    resources = Resource.objects.select_related("account").order_by("arn")
    edges = Edge.objects.order_by("source_arn", "kind", "target_arn", "key")
    if accounts is not None:
        resources = resources.filter(account__in=accounts)
        edges = edges.filter(account__in=accounts)
    nodes, unmatched = [], []
    for r in resources.only("arn", "type", "name", "region", "attributes", "account__account_id"):
        nodes.append({"id": r.arn, "type": r.type, "name": r.name, "region": r.region,
                      "account": r.account.account_id, "attributes": r.attributes})
        if r.type == NodeType.LAMBDA_FUNCTION:
            unmatched.extend(r.attributes.get("unmatched_permissions") or [])
    return {
        "format": GRAPH_FORMAT,
        "generated_at": timezone.now().isoformat(),
        "nodes": nodes,
        "edges": [{"source": e.source_arn, "target": e.target_arn, "kind": e.kind,
                   "attributes": e.attributes}
                  for e in edges.only("source_arn", "target_arn", "kind", "attributes")],
        "unmatched_permissions": unmatched,
    }


def edge_label(edge):
    """A short label: the kind, plus what says more (route, method, events, trigger, state ...)."""
    a = edge["attributes"]
    detail = (a.get("route_key")
              or " ".join(filter(None, [a.get("method"), a.get("path")]))  # also a task's state path
              or ",".join((a.get("events") or [])[:2])
              or a.get("condition")
              or a.get("trigger")                       # Cognito: PreSignUp ...
              or a.get("auth_type")                     # function URL: NONE / AWS_IAM
              or a.get("filter_name")                   # logs subscription
              or a.get("data_source")                   # AppSync
              or ",".join((a.get("topics") or a.get("queues") or [])[:2])
              or "")
    if a.get("alias"):
        detail = f"{detail} ({a['alias']})".strip()
    return f"{edge['kind']} {detail}".strip()


def to_json(document):
    return json.dumps(document, indent=2, default=str)


def _dot_quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def to_dot(document):
    lines = ["digraph flowscope {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for node in document["nodes"]:
        label = _dot_quote(node["name"])[:-1] + "\\n(" + node["type"] + ')"'
        lines.append(f"  {_dot_quote(node['id'])} [label={label}];")
    for edge in document["edges"]:
        lines.append(f"  {_dot_quote(edge['source'])} -> {_dot_quote(edge['target'])} "
                     f"[label={_dot_quote(edge_label(edge))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text):
    # Labels are quoted; quotes, angle brackets and # become entity codes so AWS names cannot
    # break out of the label or inject markup.
    return re.sub(r'["<>#&]', lambda m: f"#{ord(m.group())};", str(text))


def to_mermaid(document):
    ids = {node["id"]: f"n{i}" for i, node in enumerate(document["nodes"])}
    lines = ["flowchart LR"]
    for node in document["nodes"]:
        lines.append(f'  {ids[node["id"]]}["{_mermaid_text(node["name"])}<br/>{node["type"]}"]')
    for edge in document["edges"]:
        source, target = ids.get(edge["source"]), ids.get(edge["target"])
        if source and target:
            lines.append(f'  {source} -->|"{_mermaid_text(edge_label(edge))}"| {target}')
    return "\n".join(lines) + "\n"


RENDERERS = {"json": to_json, "dot": to_dot, "mermaid": to_mermaid}
