/* Flowscope flow layout: sources on the left, functions in the middle, targets on the right.
 *
 * A layered layout computed from edge direction alone, so the same graph always gets the same
 * positions (stable across reloads) and 10,000 nodes take milliseconds, not the seconds a
 * force-directed layout needs. Runs as a Web Worker (graph.js posts the graph here) and also
 * loads as a plain script, as the fallback when workers are unavailable.
 *
 * Input:  {nodes: [{id, type, group}], edges: [[sourceIndex, targetIndex], ...], options}
 * Output: {positions: Float64Array [x0, y0, x1, y1, ...]} in node order.
 */
(function (scope) {
  "use strict";

  var COLUMN_GAP = 230;   // between layers (room for a node label and an edge label)
  var SUBCOLUMN_GAP = 190; // between the wrapped columns of one crowded layer
  var ROW_GAP = 78;
  var BAND_GAP = 120;     // between groups stacked vertically (room for the compound label)

  // Where a node with no edges at all goes: sources left, functions middle, the rest right.
  var ISOLATED_RANK = {
    lambda_function: 1, iam_role: 2, sqs_queue: 2, dynamodb_table: 2, eventbridge_bus: 2,
    unknown: 2
  };

  function compare(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  function layout(input) {
    var nodes = input.nodes, n = nodes.length;
    var out = [], inc = [], i, j;
    for (i = 0; i < n; i++) { out.push([]); inc.push([]); }
    input.edges.forEach(function (e) {
      if (e[0] !== e[1]) { out[e[0]].push(e[1]); inc[e[1]].push(e[0]); }
    });

    // Visit in id order so cycle breaking (and everything after it) is deterministic.
    var order = [];
    for (i = 0; i < n; i++) order.push(i);
    order.sort(function (a, b) { return compare(nodes[a].id, nodes[b].id); });

    // Break cycles: an iterative DFS drops edges that point back to a node on the stack.
    var STATE_NEW = 0, STATE_OPEN = 1, STATE_DONE = 2;
    var state = new Uint8Array(n);
    var dagOut = [];
    for (i = 0; i < n; i++) dagOut.push([]);
    order.forEach(function (root) {
      if (state[root] !== STATE_NEW) return;
      var stack = [[root, 0]];
      state[root] = STATE_OPEN;
      while (stack.length) {
        var top = stack[stack.length - 1], v = top[0];
        if (top[1] < out[v].length) {
          var w = out[v][top[1]++];
          if (state[w] === STATE_OPEN) continue; // back edge: ignored for ranking
          dagOut[v].push(w);
          if (state[w] === STATE_NEW) { state[w] = STATE_OPEN; stack.push([w, 0]); }
        } else {
          state[v] = STATE_DONE;
          stack.pop();
        }
      }
    });

    // Longest path from the sources (Kahn's order over the acyclic edges).
    var indegree = new Int32Array(n), rank = new Int32Array(n);
    for (i = 0; i < n; i++) dagOut[i].forEach(function (w) { indegree[w]++; });
    var queue = order.filter(function (v) { return indegree[v] === 0; }), head = 0;
    while (head < queue.length) {
      var v = queue[head++];
      dagOut[v].forEach(function (w) {
        if (rank[v] + 1 > rank[w]) rank[w] = rank[v] + 1;
        if (--indegree[w] === 0) queue.push(w);
      });
    }
    for (i = 0; i < n; i++) {
      if (!out[i].length && !inc[i].length) {
        var r = ISOLATED_RANK[nodes[i].type];
        rank[i] = r === undefined ? 0 : r;
      }
    }
    // A source feeding only deep layers is drawn next to what it feeds, not far left.
    for (i = 0; i < n; i++) {
      if (!inc[i].length && out[i].length) {
        var nearest = Infinity;
        out[i].forEach(function (w) { if (rank[w] < nearest) nearest = rank[w]; });
        if (nearest - 1 > rank[i]) rank[i] = nearest - 1;
      }
    }

    // Bands (one per group, in group order; ungrouped last), then layers within each band.
    var bandIndex = new Map(), bands = [];
    order.slice().sort(function (a, b) {
      var ga = nodes[a].group || "\uffff", gb = nodes[b].group || "\uffff";
      return compare(ga, gb);
    }).forEach(function (v) {
      var g = nodes[v].group || "";
      if (!bandIndex.has(g)) { bandIndex.set(g, bands.length); bands.push({ group: g, layers: [] }); }
    });
    var maxRank = 0;
    for (i = 0; i < n; i++) if (rank[i] > maxRank) maxRank = rank[i];
    bands.forEach(function (band) { for (j = 0; j <= maxRank; j++) band.layers.push([]); });
    order.forEach(function (v) { bands[bandIndex.get(nodes[v].group || "")].layers[rank[v]].push(v); });

    // Order each layer by the mean position of its neighbours (one sweep each way), so
    // edges mostly run straight across; ties fall back to type and id.
    var position = new Float64Array(n);
    function sortLayer(layer, neighbours) {
      layer.forEach(function (v, k) {
        var list = neighbours[v], sum = 0, count = 0;
        list.forEach(function (w) { if (rank[w] !== rank[v]) { sum += position[w]; count++; } });
        layer.key = layer.key || new Map();
        layer.key.set(v, count ? sum / count : k);
      });
      layer.sort(function (a, b) {
        return (layer.key.get(a) - layer.key.get(b)) || compare(nodes[a].type, nodes[b].type) ||
          compare(nodes[a].id, nodes[b].id);
      });
      layer.key = null;
      layer.forEach(function (v, k) { position[v] = k; });
    }
    bands.forEach(function (band) {
      band.layers.forEach(function (layer) {
        layer.sort(function (a, b) {
          return compare(nodes[a].type, nodes[b].type) || compare(nodes[a].id, nodes[b].id);
        });
        layer.forEach(function (v, k) { position[v] = k; });
      });
    });
    bands.forEach(function (band) {
      for (j = 1; j <= maxRank; j++) sortLayer(band.layers[j], inc);
      for (j = maxRank - 1; j >= 0; j--) sortLayer(band.layers[j], out);
    });

    // Crowded layers wrap into several columns so big graphs stay roughly square.
    var maxRows = Math.max(10, Math.ceil(Math.sqrt(n) * 1.1));
    var subColumns = [];
    for (j = 0; j <= maxRank; j++) subColumns.push(1);
    bands.forEach(function (band) {
      band.rows = 1;
      band.layers.forEach(function (layer, r) {
        var cols = Math.max(1, Math.ceil(layer.length / maxRows));
        if (cols > subColumns[r]) subColumns[r] = cols;
        band.rows = Math.max(band.rows, Math.ceil(layer.length / cols));
      });
    });
    var columnX = [], x = 0;
    for (j = 0; j <= maxRank; j++) {
      columnX.push(x);
      x += (subColumns[j] - 1) * SUBCOLUMN_GAP + COLUMN_GAP;
    }

    var positions = new Float64Array(2 * n), top = 0;
    bands.forEach(function (band) {
      band.layers.forEach(function (layer, r) {
        var cols = Math.max(1, Math.ceil(layer.length / maxRows));
        var rows = Math.ceil(layer.length / cols);
        var offset = (band.rows - rows) * ROW_GAP / 2; // centre short layers in their band
        layer.forEach(function (v, k) {
          var col = Math.floor(k / rows), row = k % rows;
          // Odd wrapped columns shift half a row so their edges do not hide behind nodes.
          positions[2 * v] = columnX[r] + col * SUBCOLUMN_GAP;
          positions[2 * v + 1] = top + offset + row * ROW_GAP + (col % 2 ? ROW_GAP / 2 : 0);
        });
      });
      top += band.rows * ROW_GAP + BAND_GAP;
    });
    return { positions: positions };
  }

  scope.FlowscopeLayout = layout;

  var isWorker = typeof WorkerGlobalScope !== "undefined" && scope instanceof WorkerGlobalScope;
  if (isWorker) {
    scope.onmessage = function (event) {
      var result = layout(event.data);
      result.request = event.data.request;
      scope.postMessage(result, [result.positions.buffer]);
    };
  }
})(typeof self !== "undefined" ? self : this);
