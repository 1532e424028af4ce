/* The graph page's layout: ELK's layered algorithm (elkjs, in a Web Worker) places what the
 * overview draws; this file only sizes the boxes, calls ELK and moves boxes as groups open.
 *
 * Every item is a box (model units, centre x/y, width w, height h) that includes its label, so
 * boxes that do not overlap mean names that do not overlap. An expanded group is laid out on
 * its own (its resources and the edges among them); the top level then places collapsed cards,
 * expanded groups (as boxes of their size) and loose resources. Opening a group in place grows
 * its card into the group's box and pushes what lies right of it right and what lies below it
 * down, by exactly the growth: order is kept and no two boxes come to overlap.
 */
(function (scope) {
  "use strict";

  var script = document.currentScript;
  var workerUrl = script && script.dataset.elkWorker;

  // Drawing sizes (model units): a resource is a 34-unit icon with its name under it.
  var ICON = 34, LABEL_GAP = 4, FONT = 12, LINE = 16, LABEL_MAX = 150;
  var CARD_FONT = 13, CARD_TITLE_FONT = 13, CARD_PAD = 10;
  var FRAME_PAD = 14, FRAME_TITLE = 22;
  var GAP = 12; // between a box that grew and what it pushed aside

  var ELK_OPTIONS = {
    "elk.algorithm": "layered",
    "elk.direction": "RIGHT",
    "elk.spacing.nodeNode": "18",
    "elk.layered.spacing.nodeNodeBetweenLayers": "46",
    "elk.spacing.componentComponent": "36",
    "elk.aspectRatio": "1.5"
  };

  var measureContext = null;
  function textWidth(text, size, bold) {
    if (!measureContext) measureContext = document.createElement("canvas").getContext("2d");
    measureContext.font = (bold ? "bold " : "") + size + "px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    return measureContext.measureText(text).width;
  }

  function resourceBox(label) {
    var w = Math.min(LABEL_MAX, textWidth(label, FONT) + 6);
    return { w: Math.max(ICON + 12, Math.ceil(w)), h: ICON + LABEL_GAP + LINE };
  }

  function cardBox(title, summary) {
    var w = Math.max(textWidth(title, CARD_TITLE_FONT, true), textWidth(summary, CARD_FONT) + 0);
    return { w: Math.ceil(Math.min(280, Math.max(120, w + 2 * CARD_PAD))), h: 2 * CARD_PAD + 2 * LINE + 2 };
  }

  var elk = null;
  function engine() {
    if (!elk) {
      if (!scope.ELK) throw new Error("elkjs did not load");
      elk = workerUrl ? new scope.ELK({ workerUrl: workerUrl }) : new scope.ELK();
    }
    return elk;
  }

  /* items: [{id, w, h}], edges: [[sourceId, targetId]], aspectRatio (optional, width/height)
   * → Promise<Map id → {x, y}> (box centres, top-left of the drawing at 0,0). */
  function layered(items, edges, aspectRatio, seed) {
    if (!items.length) return Promise.resolve(new Map());
    var known = new Set(items.map(function (i) { return i.id; })), seen = new Set();
    var options = Object.assign({}, ELK_OPTIONS);
    if (seed) options["elk.randomSeed"] = String(seed);
    // Unconnected parts are packed in rows to about the screen's proportions.
    if (aspectRatio > 0 && isFinite(aspectRatio)) options["elk.aspectRatio"] = String(Math.round(aspectRatio * 100) / 100);
    var graph = {
      id: "root", layoutOptions: options,
      children: items.map(function (i) { return { id: i.id, width: i.w, height: i.h }; }),
      edges: []
    };
    edges.forEach(function (pair) {
      var key = pair[0] + "\u0001" + pair[1];
      if (pair[0] === pair[1] || seen.has(key) || !known.has(pair[0]) || !known.has(pair[1])) return;
      seen.add(key);
      graph.edges.push({ id: "e" + graph.edges.length, sources: [pair[0]], targets: [pair[1]] });
    });
    return engine().layout(graph).then(function (result) {
      var map = new Map();
      result.children.forEach(function (c) { map.set(c.id, { x: c.x + c.width / 2, y: c.y + c.height / 2 }); });
      return map;
    });
  }

  // Straight centre-to-centre segments that cross (sharing an end is not crossing): how the
  // page judges a layout, since edges are drawn about that straight.
  function crossings(positions, edges) {
    var segments = [], seen = new Set();
    edges.forEach(function (pair) {
      var a = positions.get(pair[0]), b = positions.get(pair[1]);
      var key = pair[0] < pair[1] ? pair[0] + "\u0001" + pair[1] : pair[1] + "\u0001" + pair[0];
      if (!a || !b || pair[0] === pair[1] || seen.has(key)) return;
      seen.add(key);
      segments.push([pair[0], pair[1], a.x, a.y, b.x, b.y,
                     Math.min(a.x, b.x), Math.max(a.x, b.x), Math.min(a.y, b.y), Math.max(a.y, b.y)]);
    });
    segments.sort(function (p, q) { return p[6] - q[6]; });
    var orient = function (ax, ay, bx, by, cx, cy) {
      var v = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
      return v > 1e-9 ? 1 : v < -1e-9 ? -1 : 0;
    };
    var count = 0;
    for (var i = 0; i < segments.length; i++) {
      var p = segments[i];
      for (var j = i + 1; j < segments.length && segments[j][6] <= p[7]; j++) {
        var q = segments[j];
        if (q[8] > p[9] || q[9] < p[8]) continue;
        if (p[0] === q[0] || p[0] === q[1] || p[1] === q[0] || p[1] === q[1]) continue;
        if (orient(p[2], p[3], p[4], p[5], q[2], q[3]) * orient(p[2], p[3], p[4], p[5], q[4], q[5]) < 0 &&
            orient(q[2], q[3], q[4], q[5], p[2], p[3]) * orient(q[2], q[3], q[4], q[5], p[4], p[5]) < 0) count++;
      }
    }
    return count;
  }

  /* ELK with a few random seeds (its crossing minimisation is randomised), keeping the layout
   * whose straight edges cross least. Seeds run one after the other in the worker. */
  function bestLayered(items, edges, aspectRatio, tries) {
    // Each try costs a layout (about 1 ms per item here): fewer on big graphs.
    tries = tries || (items.length <= 120 ? 4 : items.length <= 300 ? 2 : 1);
    var best = null, bestCount = Infinity, seed = 0;
    var next = function () {
      seed += 1;
      return layered(items, edges, aspectRatio, seed).then(function (positions) {
        var count = crossings(positions, edges);
        if (count < bestCount) { best = positions; bestCount = count; }
        return bestCount === 0 || seed >= tries ? best : next();
      });
    };
    return next();
  }

  function bounds(boxes) {
    var b = { x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity };
    boxes.forEach(function (box) {
      b.x1 = Math.min(b.x1, box.x - box.w / 2); b.x2 = Math.max(b.x2, box.x + box.w / 2);
      b.y1 = Math.min(b.y1, box.y - box.h / 2); b.y2 = Math.max(b.y2, box.y + box.h / 2);
    });
    return b;
  }

  /* Lays out one group's resources; the result is relative to the frame's top-left corner
   * and gives the frame's size. */
  function layoutGroup(members, edges) {
    return bestLayered(members, edges).then(function (positions) {
      var boxes = members.map(function (m) {
        var p = positions.get(m.id);
        return { id: m.id, x: p.x, y: p.y, w: m.w, h: m.h };
      });
      var b = bounds(boxes), inner = new Map();
      boxes.forEach(function (box) {
        inner.set(box.id, { x: box.x - b.x1 + FRAME_PAD, y: box.y - b.y1 + FRAME_PAD + FRAME_TITLE });
      });
      return { inner: inner, w: b.x2 - b.x1 + 2 * FRAME_PAD, h: b.y2 - b.y1 + 2 * FRAME_PAD + FRAME_TITLE };
    });
  }

  /* Grows box ``id`` to w×h anchored at its top-left corner, and moves the other top-level
   * boxes out of its way: everything whose left edge is right of the box's moves right by one
   * amount, everything whose top is below the box's top moves down by one amount. One shift per
   * axis keeps every order and every gap between the others (no two come to overlap), and the
   * amounts are the least that clear the grown box: a group opened where it was open before
   * moves nothing. boxes: Map id → {x, y, w, h}, changed in place. */
  function growInPlace(boxes, id, w, h) {
    var old = boxes.get(id), x1 = old.x - old.w / 2, y1 = old.y - old.h / 2, eps = 0.5;
    var grown = { x: x1 + w / 2, y: y1 + h / 2, w: w, h: h };
    var movesX = [], movesY = [], both = [];
    boxes.forEach(function (box, other) {
      if (other === id) return;
      var right = box.x - box.w / 2 >= x1 - eps, below = box.y - box.h / 2 >= y1 - eps;
      if (right && below) both.push(box); else if (right) movesX.push(box); else if (below) movesY.push(box);
    });
    var dx = 0, dy = 0;
    // Right of it but not below its top: only moving right clears them; likewise below.
    movesX.forEach(function (box) { if (overlaps(grown, box, GAP)) dx = Math.max(dx, x1 + w + GAP - (box.x - box.w / 2)); });
    movesY.forEach(function (box) { if (overlaps(grown, box, GAP)) dy = Math.max(dy, y1 + h + GAP - (box.y - box.h / 2)); });
    // Right of and below its corner: whichever way costs less, unless already clear.
    both.forEach(function (box) {
      var moved = { x: box.x + dx, y: box.y + dy, w: box.w, h: box.h };
      if (!overlaps(grown, moved, GAP)) return;
      var needX = x1 + w + GAP - (box.x - box.w / 2), needY = y1 + h + GAP - (box.y - box.h / 2);
      if (needX - dx <= needY - dy) dx = Math.max(dx, needX); else dy = Math.max(dy, needY);
    });
    boxes.forEach(function (box, other) {
      if (other === id) return;
      if (box.x - box.w / 2 >= x1 - eps) box.x += dx;
      if (box.y - box.h / 2 >= y1 - eps) box.y += dy;
    });
    boxes.set(id, grown);
    return { x: grown.x, y: grown.y };
  }

  function overlaps(a, b, margin) {
    return Math.abs(a.x - b.x) * 2 < a.w + b.w + 2 * margin && Math.abs(a.y - b.y) * 2 < a.h + b.h + 2 * margin;
  }

  /* A new box near where the fresh layout wanted it but clear of every placed box: slid down
   * (then right) until it fits. */
  function placeClear(box, placed, margin) {
    var candidate = { x: box.x, y: box.y, w: box.w, h: box.h };
    for (var tries = 0; tries < 400; tries++) {
      var hit = null;
      for (var i = 0; i < placed.length; i++) {
        if (overlaps(candidate, placed[i], margin)) { hit = placed[i]; break; }
      }
      if (!hit) return candidate;
      candidate.y = hit.y + hit.h / 2 + margin + candidate.h / 2;
      if (tries % 40 === 39) { candidate.x += candidate.w + margin; candidate.y = box.y; }
    }
    return candidate;
  }

  // Start the worker (1.6 MB of ELK to load and compile) while the page fetches the graph,
  // and warm it with a trivial layout, so the first real layout does not pay for either.
  if (scope.ELK && typeof Worker !== "undefined") {
    try { layered([{ id: "a", w: 10, h: 10 }, { id: "b", w: 10, h: 10 }], [["a", "b"]]); } catch (e) { /* the page reports it */ }
  }

  scope.FlowscopeLayout = {
    layered: layered, bestLayered: bestLayered, crossings: crossings, layoutGroup: layoutGroup, growInPlace: growInPlace, placeClear: placeClear,
    overlaps: overlaps, bounds: bounds, resourceBox: resourceBox, cardBox: cardBox,
    sizes: { ICON: ICON, FONT: FONT, CARD_FONT: CARD_FONT, CARD_TITLE_FONT: CARD_TITLE_FONT,
             LABEL_GAP: LABEL_GAP, LINE: LINE, LABEL_MAX: LABEL_MAX, FRAME_PAD: FRAME_PAD,
             FRAME_TITLE: FRAME_TITLE, CARD_PAD: CARD_PAD }
  };
})(window);
