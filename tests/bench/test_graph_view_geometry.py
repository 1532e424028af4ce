"""The graph view benchmark's counting (bench/graph_view_bench.py): crossings of straight
centre-to-centre segments, overlaps, legible labels, and ELK's reference crossings."""
import random
import shutil

import pytest

from bench.graph_view_bench import (
    count_crossings,
    count_overlaps,
    elk_crossings,
    legible_share,
    nearest_frames,
    on_screen,
    segments_cross,
)


def edges(*pairs):
    return [{"source": s, "target": t} for s, t in pairs]


def leaf(node_id, x, y, w=10, h=10, **extra):
    return {"id": node_id, "x": x, "y": y, "w": w, "h": h, **extra}


def test_it_counts_two_diagonals_as_one_crossing():
    centres = {"a": (0, 0), "b": (10, 10), "c": (0, 10), "d": (10, 0)}
    assert count_crossings(centres, edges(("a", "b"), ("c", "d"))) == 1


def test_it_never_counts_segments_that_share_an_endpoint_or_only_touch():
    centres = {"a": (0, 0), "b": (10, 10), "c": (10, 0), "d": (5, 5), "e": (5, 20)}
    # a-b and a-c share a; d-e starts on a-b without crossing it; b-b is a self-loop.
    assert count_crossings(centres, edges(("a", "b"), ("a", "c"), ("d", "e"), ("b", "b"))) == 0


def test_it_ignores_edges_to_nodes_that_are_not_visible():
    centres = {"a": (0, 0), "b": (10, 10), "c": (0, 10)}
    assert count_crossings(centres, edges(("a", "b"), ("c", "hidden"))) == 0


def test_its_sweep_agrees_with_comparing_every_pair():
    rng = random.Random(7)
    centres = {f"n{i}": (rng.uniform(0, 500), rng.uniform(0, 300)) for i in range(80)}
    pairs = [(f"n{rng.randrange(80)}", f"n{rng.randrange(80)}") for _ in range(150)]
    brute = 0
    for i, (a, b) in enumerate(pairs):
        for c, d in pairs[i + 1:]:
            if a != b and c != d and not {a, b} & {c, d}:
                brute += segments_cross((centres[a], centres[b]), (centres[c], centres[d]))
    assert brute > 100
    assert count_crossings(centres, edges(*pairs)) == brute


def test_it_counts_overlapping_leaves_but_not_touching_ones():
    nodes = [leaf("a", 0, 0), leaf("b", 5, 5), leaf("c", 10, 0), leaf("d", 50, 50)]
    # a overlaps b; b overlaps c; a and c only touch (edge to edge).
    assert count_overlaps(nodes, []) == {"leaves": 2, "frame_leaf": 0, "frames": 0}


def test_it_counts_a_frame_over_a_leaf_it_does_not_hold():
    frame = {"id": "g", "x1": 0, "y1": 0, "x2": 100, "y2": 100, "ancestors": []}
    nodes = [leaf("member", 50, 50, ancestors=["g"]), leaf("stranger", 95, 50, ancestors=[])]
    assert count_overlaps(nodes, [frame]) == {"leaves": 0, "frame_leaf": 1, "frames": 0}


def test_without_ancestors_a_leaf_wholly_inside_a_frame_counts_as_held():
    frame = {"id": "g", "x1": 0, "y1": 0, "x2": 100, "y2": 100, "ancestors": None}
    nodes = [leaf("inside", 50, 50, ancestors=None), leaf("straddling", 100, 50, ancestors=None)]
    assert count_overlaps(nodes, [frame])["frame_leaf"] == 1


def test_it_counts_frames_that_overlap_without_nesting():
    region = {"id": "r", "x1": 0, "y1": 0, "x2": 300, "y2": 300, "ancestors": []}
    inner = {"id": "g", "x1": 10, "y1": 10, "x2": 100, "y2": 100, "ancestors": ["r"]}
    other = {"id": "h", "x1": 90, "y1": 90, "x2": 200, "y2": 200, "ancestors": ["r"]}
    assert count_overlaps([], [region, inner, other])["frames"] == 1


def test_it_measures_legibility_as_font_size_times_zoom():
    nodes = [leaf("a", 0, 0, label="orders", fontSize=10), leaf("b", 0, 0, label="users", fontSize=16),
             leaf("c", 0, 0, label="", fontSize=1)]
    assert legible_share(nodes, zoom=0.5) == 0.5
    assert legible_share(nodes, zoom=0.8) == 1.0


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node for elkjs")
def test_elk_draws_a_chain_without_crossings_and_k33_with_the_two_layer_minimum():
    nodes = [{"id": n, "w": 40, "h": 30} for n in "abcdef"]
    assert elk_crossings(nodes, edges(("a", "b"), ("b", "c"), ("c", "d")))[0] == 0
    k33 = edges(*[(s, t) for s in "abc" for t in "def"])
    assert elk_crossings(nodes, k33)[0] == 9


def test_it_counts_as_on_screen_the_nodes_inside_the_canvas_after_zoom_and_pan():
    view = {"zoom": 0.5, "pan": {"x": 100, "y": 0}, "width": 200, "height": 100}
    nodes = [leaf("left-edge", -190, 50, w=20), leaf("inside", 0, 50), leaf("right-out", 220, 50),
             leaf("below", 0, 230)]
    # On screen: x → x × 0.5 + 100, so -190 lands at 5, 220 at 210 (past 200), y 230 at 115.
    assert on_screen(nodes, view) == 2


def test_it_finds_each_items_innermost_frame_from_ancestors_or_from_geometry():
    region = {"id": "r", "x1": 0, "y1": 0, "x2": 300, "y2": 300}
    group = {"id": "g", "x1": 10, "y1": 10, "x2": 100, "y2": 100}
    told = [leaf("a", 50, 50, ancestors=["g", "r"]), leaf("b", 200, 200, ancestors=["r"])]
    assert nearest_frames(told, [dict(region, ancestors=[]), dict(group, ancestors=["r"])]) == {
        "a": "g", "b": "r", "r": None, "g": "r"}
    guessed = [leaf("a", 50, 50, ancestors=None), leaf("c", 500, 500, ancestors=None)]
    assert nearest_frames(guessed, [dict(region, ancestors=None), dict(group, ancestors=None)]) == {
        "a": "g", "c": None, "r": None, "g": "r"}


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node for elkjs")
def test_elk_lays_out_framed_nodes_inside_their_frames():
    nodes = [leaf(n, 0, 0, w=40, h=30, ancestors=["g"] if n in "bc" else []) for n in "abcd"]
    frames = [{"id": "g", "x1": 0, "y1": 0, "x2": 1, "y2": 1, "ancestors": []}]
    chain = edges(("a", "b"), ("b", "c"), ("c", "d"))
    assert elk_crossings(nodes, chain, frames)[0] == 0
