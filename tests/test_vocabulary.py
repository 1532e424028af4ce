"""The graph page draws every node type and edge kind the vocabulary defines."""
import re
from pathlib import Path

from flows.vocabulary import INVOKING_PRINCIPAL, PUSH_TRIGGER_KINDS, EdgeKind, NodeType

STATIC = Path(__file__).resolve().parent.parent / "static" / "flows"
COMMON = (STATIC / "graph-common.js").read_text()


def block(name):
    return COMMON.split(f"var {name} = {{", 1)[1].split("};", 1)[0]


def test_every_node_type_has_a_drawing_and_an_icon():
    types = block("TYPES")
    for node_type in NodeType:
        entry = re.search(rf"^\s*{node_type.value}: \{{(.*)\}},?$", types, re.MULTILINE)
        assert entry, f"{node_type} has no TYPES entry"
        for key in ("label", "colour", "shape", "noun", "nouns", "plural"):
            assert f"{key}:" in entry.group(1), f"{node_type} lacks {key}"
        assert (STATIC / "icons" / f"{node_type.value}.svg").is_file(), f"{node_type} has no icon"


def test_every_edge_kind_has_a_colour_and_a_label():
    for name in ("KINDS", "KIND_LABELS"):
        known = set(re.findall(r"(\w+):", block(name)))
        assert {k.value for k in EdgeKind} <= known, f"{name} misses {sorted({k.value for k in EdgeKind} - known)}"


def test_every_push_trigger_names_the_principal_that_invokes():
    assert set(INVOKING_PRINCIPAL) == set(PUSH_TRIGGER_KINDS)
