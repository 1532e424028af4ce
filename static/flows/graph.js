/* Flowscope graph page: Cytoscape view, find and filter, inspector, live sync, export.
 *
 * Everything that came from AWS (names, ARNs, tags, route keys, descriptions, error messages)
 * reaches the page through textContent or a Cytoscape label, never through innerHTML: the
 * browser tests seed markup into tags and display names and check that none of it runs.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------- configuration

  var DEFAULT_CONFIG = {
    graph_url: "/api/graph/", node_url_prefix: "/api/nodes/", sync_url: "/api/sync/",
    status_url: "/api/status/", ws_path: "/ws/live/", focus: null, history_url: "/history/",
    node_page_prefix: "/node/"
  };
  var config = readConfig();

  // Past these sizes the page switches to the cheap drawing: no icons, straight edges,
  // texture while panning, WebGL where the browser has it, layout in a worker.
  var BIG_GRAPH_NODES = 1500;
  var WORKER_LAYOUT_NODES = 800;
  var LABEL_ZOOM = 0.55; // big graphs: node names and arrowheads from this zoom on
  var MAX_SEARCH_RESULTS = 25;
  var POSITIONS_KEY = "flowscope.positions.v1.";

  var C = window.FlowscopeCommon;
  var TYPES = C.TYPES, KINDS = C.KINDS, KIND_LABELS = C.KIND_LABELS;
  var el = C.el, clear = C.clear, typeInfo = C.typeInfo, coloured = C.coloured, swatch = C.swatch;
  var plural = C.plural;

  var state = {
    doc: null, cy: null, nodes: new Map(), edgesOut: new Map(), edgesIn: new Map(),
    derivedStack: new Map(), big: false, groupBy: "none", groupTag: "",
    hiddenTypes: new Set(), hiddenKinds: new Set(), region: "", stack: "", tag: "",
    neighbourhood: null, path: null, selected: null, syncing: false, readyAt: null,
    layoutRequest: 0, listeners: {}, openListeners: [], timings: {}
  };

  // The handle the browser tests, the benchmark and the next pages use.
  window.flowscope = {
    state: state, config: config,
    get cy() { return state.cy; },
    select: function (arn) { selectNode(arn, { push: true, center: true }); },
    refresh: function () { return refreshGraph(); },
    // The live connection, for the page's other scripts (live.js); the socket stays private.
    // subscribe: fn(message) for every message of that type the server pushes.
    subscribe: function (type, fn) { (state.listeners[type] = state.listeners[type] || []).push(fn); },
    // onOpen: fn() each time the socket opens, the first time and after every reconnect
    // (whatever was pushed meanwhile was lost: this is when to ask for a "resume").
    onOpen: function (fn) { state.openListeners.push(fn); },
    // send: one JSON message to the server; false (nothing sent) while the socket is not open.
    send: function (message) { return sendLive(message); }
  };

  function readConfig() {
    var element = document.getElementById("flowscope-config"), parsed = null;
    try { parsed = element ? JSON.parse(element.textContent) : null; } catch (e) { parsed = null; }
    var result = {};
    Object.keys(DEFAULT_CONFIG).forEach(function (k) { result[k] = DEFAULT_CONFIG[k]; });
    if (parsed && typeof parsed === "object") {
      Object.keys(parsed).forEach(function (k) { if (parsed[k] !== undefined) result[k] = parsed[k]; });
    }
    if (!result.focus) result.focus = focusFromPath(location.pathname, result.node_page_prefix);
    return result;
  }

  function focusFromPath(pathname, prefix) {
    if (pathname.indexOf(prefix) !== 0) return null;
    try { return decodeURIComponent(pathname.slice(prefix.length)) || null; } catch (e) { return null; }
  }

  // ---------------------------------------------------------------- DOM helpers (text only)

  function $(id) { return document.getElementById(id); }

  // ---------------------------------------------------------------- page states

  function showMessage(title, text, action) {
    var box = $("fs-message"), button = $("fs-message-action");
    box.hidden = !title;
    $("fs-message-title").textContent = title || "";
    $("fs-message-text").textContent = text || "";
    button.hidden = !action;
    if (action) {
      button.textContent = action.label;
      button.onclick = action.run;
    }
  }

  function setGraphState(name) { $("fs-graph").dataset.state = name; }

  function showBanner(kind, text) {
    var banner = $("fs-banner");
    banner.hidden = !text;
    banner.className = "fs-banner fs-banner-" + (kind || "info");
    banner.textContent = text || "";
  }

  // ---------------------------------------------------------------- the graph document

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          location.href = "/login/?next=" + encodeURIComponent(location.pathname);
          throw new Error("not logged in");
        }
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.json();
      });
  }

  function indexDocument(doc) {
    state.doc = doc;
    state.nodes = new Map();
    state.edgesOut = new Map();
    state.edgesIn = new Map();
    doc.nodes.forEach(function (n) {
      n.attributes = n.attributes || {};
      state.nodes.set(n.id, n);
    });
    var seen = new Map();
    doc.edges.forEach(function (e) {
      e.attributes = e.attributes || {};
      // The export has no edge key; the document's order (source, kind, target, key) makes
      // the n-th duplicate of a triple the same edge from one fetch to the next.
      var base = e.source + "\u0000" + e.kind + "\u0000" + e.target;
      var n = seen.get(base) || 0;
      seen.set(base, n + 1);
      e.id = "edge\u0000" + base + "\u0000" + n;
      if (!state.edgesOut.has(e.source)) state.edgesOut.set(e.source, []);
      if (!state.edgesIn.has(e.target)) state.edgesIn.set(e.target, []);
      state.edgesOut.get(e.source).push(e);
      state.edgesIn.get(e.target).push(e);
    });
    // Only functions carry the stack tag; a queue or topic joins its functions' stack when
    // every function it touches agrees on one.
    state.derivedStack = new Map();
    doc.nodes.forEach(function (n) {
      if (n.attributes.stack) { state.derivedStack.set(n.id, n.attributes.stack); return; }
      var stacks = new Set();
      (state.edgesOut.get(n.id) || []).concat(state.edgesIn.get(n.id) || []).forEach(function (e) {
        var other = state.nodes.get(e.source === n.id ? e.target : e.source);
        if (other && other.attributes.stack) stacks.add(other.attributes.stack);
      });
      if (stacks.size === 1) state.derivedStack.set(n.id, stacks.values().next().value);
    });
  }

  function tagsOf(node) {
    var tags = node.attributes.tags;
    return tags && typeof tags === "object" && !Array.isArray(tags) ? tags : {};
  }

  function groupOf(node) {
    if (state.groupBy === "stack") return state.derivedStack.get(node.id) || "";
    if (state.groupBy === "region") return node.region || "global";
    if (state.groupBy === "tag" && state.groupTag) {
      var value = tagsOf(node)[state.groupTag];
      return value === undefined ? "" : String(value);
    }
    return "";
  }

  function groupId(group) { return group ? "group\u0000" + state.groupBy + "\u0000" + group : null; }

  function edgeLabel(edge) {
    var a = edge.attributes;
    var detail = a.route_key || [a.method, a.path].filter(Boolean).join(" ") ||
      (Array.isArray(a.events) ? a.events.slice(0, 2).join(",") : "") || a.condition || "";
    var label = (KIND_LABELS[edge.kind] || edge.kind) + (detail ? " " + detail : "");
    return label.length > 34 ? label.slice(0, 33) + "…" : label;
  }

  function hasProblem(node) {
    var a = node.attributes;
    if ((a.unmatched_permissions || []).length || a.resource_policy_error) return true;
    return (state.edgesIn.get(node.id) || []).some(function (e) { return e.attributes.permitted === false; });
  }

  function nodeData(node) {
    var type = TYPES[node.type] ? node.type : "unknown";
    var data = {
      id: node.id, label: node.name || node.id, type: type, region: node.region || "",
      colour: TYPES[type].colour, shape: TYPES[type].shape
    };
    if (!state.big) data.icon = iconUrl(type);
    if (hasProblem(node)) data.problem = 1;
    return data;
  }

  function edgeData(edge) {
    var data = { id: edge.id, source: edge.source, target: edge.target, kind: edge.kind,
                 label: edgeLabel(edge), colour: KINDS[edge.kind] || "#4a5568" };
    if (edge.attributes.permitted === false) data.denied = 1;
    return data;
  }

  function usableEdges() {
    return state.doc.edges.filter(function (e) {
      return state.nodes.has(e.source) && state.nodes.has(e.target);
    });
  }

  // ---------------------------------------------------------------- layout

  var layoutWorker = null;

  function layoutInput() {
    var index = new Map(), nodes = [];
    state.doc.nodes.forEach(function (n, i) {
      index.set(n.id, i);
      nodes.push({ id: n.id, type: n.type, group: groupOf(n) });
    });
    var edges = usableEdges().map(function (e) { return [index.get(e.source), index.get(e.target)]; });
    return { nodes: nodes, edges: edges };
  }

  function computeLayout() {
    var input = layoutInput();
    var request = ++state.layoutRequest;
    var toMap = function (positions) {
      var map = new Map();
      input.nodes.forEach(function (n, i) { map.set(n.id, { x: positions[2 * i], y: positions[2 * i + 1] }); });
      return map;
    };
    if (input.nodes.length < WORKER_LAYOUT_NODES || typeof Worker === "undefined") {
      state.layoutSource = "main";
      return Promise.resolve(toMap(window.FlowscopeLayout(input).positions));
    }
    state.layoutSource = "worker";
    return new Promise(function (resolve) {
      try {
        if (!layoutWorker) layoutWorker = new Worker($("fs-layout-script").src);
      } catch (e) {
        state.layoutSource = "main";
        resolve(toMap(window.FlowscopeLayout(input).positions));
        return;
      }
      input.request = request;
      layoutWorker.onmessage = function (event) {
        if (event.data.request === request) resolve(toMap(event.data.positions));
      };
      layoutWorker.onerror = function () {
        layoutWorker = null;
        state.layoutSource = "main";
        resolve(toMap(window.FlowscopeLayout(input).positions));
      };
      layoutWorker.postMessage(input);
    });
  }

  function positionsKey() {
    return POSITIONS_KEY + state.groupBy + (state.groupBy === "tag" ? ":" + state.groupTag : "");
  }

  function storedPositions() {
    try { return JSON.parse(localStorage.getItem(positionsKey()) || "{}") || {}; } catch (e) { return {}; }
  }

  function storePositions(nodes) {
    var stored = storedPositions();
    nodes.forEach(function (n) {
      if (!n.isParent()) stored[n.id()] = [Math.round(n.position("x")), Math.round(n.position("y"))];
    });
    try { localStorage.setItem(positionsKey(), JSON.stringify(stored)); } catch (e) { /* quota: positions stay computed */ }
  }

  function placed(layout) {
    // Nodes the user dragged keep their spot (by ARN) across reloads and syncs.
    var stored = storedPositions();
    Object.keys(stored).forEach(function (id) {
      if (layout.has(id)) layout.set(id, { x: stored[id][0], y: stored[id][1] });
    });
    return layout;
  }

  // ---------------------------------------------------------------- Cytoscape

  function stylesheet(big, detail) {
    // detail: names and arrowheads. Big graphs drawn whole get neither (see bindDetail).
    var labels = detail;
    var style = [
      { selector: "node", style: {
        "label": labels ? "data(label)" : "", "font-size": 11, "color": "#1f2933", "text-valign": "bottom",
        // Ellipsis trims labels a character at a time with a text measurement each: fine
        // for a few hundred nodes, seconds for thousands. Big graphs show names whole.
        "text-margin-y": 5, "text-max-width": 150, "text-wrap": big ? "none" : "ellipsis",
        "width": 34, "height": 34, "background-color": "#8792a2", "border-width": 0,
        "min-zoomed-font-size": big ? 9 : 6, "text-background-color": "#ffffff",
        "text-background-opacity": big ? 0 : 0.75, "text-background-padding": 1
      } },
      { selector: "edge", style: {
        "width": 1.6, "line-color": "#4a5568", "target-arrow-color": "#4a5568",
        "target-arrow-shape": detail ? "triangle" : "none", "arrow-scale": 0.9,
        "curve-style": big ? "straight" : "bezier",
        "label": big ? "" : "data(label)", "font-size": 9, "color": "#3e4c59",
        "text-rotation": "autorotate", "text-background-color": "#ffffff",
        "text-background-opacity": 0.85, "text-background-padding": 1,
        "min-zoomed-font-size": 7
      } }
    ];
    // Colour, shape and icon travel in each element's data and are mapped by a single rule:
    // one selector per type and kind made styling 5,000 elements measurably slower.
    style.push({ selector: "node[colour]", style: { "background-color": "data(colour)", "shape": "data(shape)" } });
    if (!big) {
      style.push({ selector: "node[icon]", style: {
        "background-image": "data(icon)", "background-width": "70%", "background-height": "70%" } });
    }
    style.push({ selector: "edge[colour]", style: { "line-color": "data(colour)", "target-arrow-color": "data(colour)" } });
    style.push(
      { selector: 'edge[kind = "execution_role"]', style: { "line-style": "dotted", "width": 1 } },
      { selector: "edge[denied]", style: { "line-color": "#d0021b", "target-arrow-color": "#d0021b",
                                           "line-style": "dashed", "width": 2.4 } },
      { selector: "node[problem]", style: { "border-width": 3, "border-color": "#d0021b" } },
      { selector: "node.fs-group", style: {
        "label": "data(label)", "text-valign": "top", "text-halign": "center", "font-size": 13,
        "font-weight": "bold", "color": "#334e68", "background-color": "#f0f4f8",
        "background-opacity": 1, "border-width": 1, "border-color": "#bcccdc", "shape": "round-rectangle",
        "padding": 18, "text-margin-y": -4, "text-background-opacity": 0
      } },
      { selector: "node.fs-match", style: { "border-width": 4, "border-color": "#f0b429" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#0b69a3" } },
      { selector: ".fs-dim", style: { "opacity": 0.15 } },
      { selector: "edge.fs-path", style: { "width": 3 } },
      { selector: ".fs-hidden", style: { "display": "none" } }
    );
    return style;
  }

  var iconBase = null;
  function iconUrl(type) {
    if (!iconBase) {
      var src = $("fs-layout-script").src; // .../static/flows/graph-layout.js (maybe hashed)
      iconBase = src.slice(0, src.lastIndexOf("/") + 1) + "icons/";
    }
    return iconBase + type + ".svg";
  }

  function webglSupport() {
    // "hardware", "software" (SwiftShader/llvmpipe: slower than the 2D canvas) or null.
    try {
      var gl = document.createElement("canvas").getContext("webgl2");
      if (!gl) return null;
      var info = gl.getExtension("WEBGL_debug_renderer_info");
      var name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) || "");
      var lose = gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();
      return /swiftshader|llvmpipe|software/i.test(name) ? "software" : "hardware";
    } catch (e) {
      return null;
    }
  }

  function rendererChoice(big) {
    // ?renderer=canvas|webgl overrides; otherwise WebGL for big graphs on a real GPU.
    var asked = new URLSearchParams(location.search).get("renderer");
    if (asked === "canvas") return "canvas";
    var support = asked === "webgl" || big ? webglSupport() : null;
    if (asked === "webgl" && support) return "webgl";
    return big && support === "hardware" ? "webgl" : "canvas";
  }

  function elementsFor(layout) {
    var elements = [], groups = new Map();
    state.doc.nodes.forEach(function (node) {
      var data = nodeData(node), group = groupOf(node);
      if (group) {
        data.parent = groupId(group);
        groups.set(data.parent, group);
      }
      elements.push({ group: "nodes", data: data, position: layout.get(node.id) });
    });
    groups.forEach(function (label, id) {
      elements.push({ group: "nodes", data: { id: id, label: label, type: "group" }, classes: "fs-group" });
    });
    usableEdges().forEach(function (edge) { elements.push({ group: "edges", data: edgeData(edge) }); });
    return elements;
  }

  function createGraph(layout) {
    state.big = state.doc.nodes.length >= BIG_GRAPH_NODES;
    var renderer = rendererChoice(state.big);
    var options = {
      container: $("fs-graph"),
      elements: elementsFor(layout),
      style: stylesheet(state.big, !state.big),
      layout: { name: "preset", fit: false },
      minZoom: 0.02, maxZoom: 4,
      motionBlur: false,
      hideEdgesOnViewport: state.big,
      textureOnViewport: state.big && renderer !== "webgl",
      pixelRatio: state.big ? 1 : "auto",
      boxSelectionEnabled: false,
      selectionType: "single"
    };
    if (renderer === "webgl") options.renderer = { name: "canvas", webgl: true };
    state.renderer = renderer;
    state.cy = window.cytoscape(options);
    $("fs-graph").dataset.renderer = renderer;
    bindGraphEvents(state.cy);
    if (state.big) bindDetail(state.cy);
  }

  function bindDetail(cy) {
    // Big graphs drawn whole are too small to read anyway, and the details cost most of the
    // first draw even where nothing readable comes of them (labels: a third of it at 2,000
    // nodes although too small to paint; arrowheads: a quarter at 10,000). Names and arrows
    // appear on zooming in; the layout still reads left to right.
    var shown = false, pending = false;
    cy.on("zoom", function () {
      if (pending) return;
      pending = true;
      setTimeout(function () {
        pending = false;
        var wanted = cy.zoom() >= LABEL_ZOOM;
        if (wanted === shown) return;
        shown = wanted;
        // Change only the node label rule, keeping rules other scripts added (audit badges).
        var rules = cy.style().json();
        rules.forEach(function (rule) {
          if (rule.selector === "node" && rule.style && "label" in rule.style) {
            rule.style.label = shown ? "data(label)" : "";
          }
          if (rule.selector === "edge" && rule.style && "target-arrow-shape" in rule.style) {
            rule.style["target-arrow-shape"] = shown ? "triangle" : "none";
          }
        });
        cy.style(rules);
        $("fs-graph").dataset.labels = shown ? "shown" : "hidden";
      }, 120);
    });
  }

  function bindGraphEvents(cy) {
    cy.on("tap", "node", function (event) {
      var node = event.target;
      if (node.hasClass("fs-group")) return;
      selectNode(node.id(), { push: true, center: false });
    });
    cy.on("tap", function (event) {
      if (event.target === cy) unselect({ push: true });
    });
    cy.on("dragfree", "node", function (event) {
      var node = event.target;
      storePositions(node.isParent() ? node.descendants() : node);
    });
  }

  function fitView() {
    // Fit from node positions alone: cy.fit() needs every element's rendered bounding box
    // (label sizes included), which forces the whole style computation up front and cost
    // most of a second on 2,000 nodes. A margin stands in for the labels and group frames.
    var cy = state.cy, x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    cy.nodes().forEach(function (n) {
      if (n.isParent() || n.hasClass("fs-hidden")) return;
      var p = n.position();
      if (p.x < x1) x1 = p.x;
      if (p.x > x2) x2 = p.x;
      if (p.y < y1) y1 = p.y;
      if (p.y > y2) y2 = p.y;
    });
    if (x1 === Infinity) return;
    var grouped = cy.nodes(".fs-group").length > 0;
    x1 -= 90; x2 += 90; y1 -= grouped ? 60 : 30; y2 += grouped ? 50 : 40;
    var width = cy.width(), height = cy.height(), padding = 48; // room for the legend
    var zoom = Math.min((width - 2 * padding) / (x2 - x1), (height - 2 * padding) / (y2 - y1), 1.4);
    zoom = Math.max(zoom, cy.minZoom());
    cy.viewport({ zoom: zoom, pan: { x: width / 2 - zoom * (x1 + x2) / 2, y: height / 2 - zoom * (y1 + y2) / 2 } });
  }

  function updateCounts() {
    var graph = $("fs-graph");
    graph.dataset.nodeCount = String(state.doc.nodes.length);
    graph.dataset.edgeCount = String(usableEdges().length);
  }

  function markReady() {
    // Drawn means Cytoscape has painted: its render loop runs on requestAnimationFrame, so
    // two frames after the graph exists its first frame is on screen. (The 'render' event
    // would do for the canvas renderer, but the WebGL renderer does not emit it.)
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        state.readyAt = performance.now();
        state.timings.drawn = state.readyAt;
        setGraphState(state.doc.nodes.length ? "ready" : "empty");
        // Interactive: the main thread has nothing queued and the next frame can start.
        setTimeout(function () {
          requestAnimationFrame(function () { state.interactiveAt = performance.now(); });
        }, 0);
      });
    });
  }

  // ---------------------------------------------------------------- loading and updating

  function loadGraph() {
    setGraphState("loading");
    showMessage("Loading the graph…", "");
    state.timings = { start: performance.now() };
    return fetchJSON(config.graph_url).then(function (doc) {
      state.timings.fetched = performance.now();
      indexDocument(doc);
      fillControls();
      state.timings.indexed = performance.now();
      if (!doc.nodes.length) {
        showMessage("No account synced yet",
          "Flowscope has not discovered any resources. Sync now to read your serverless architecture.",
          { label: "Sync now", run: startSync });
        updateCounts();
        setGraphState("empty");
        return;
      }
      showMessage("Drawing " + plural(doc.nodes.length, "resource") + "…", "");
      return computeLayout().then(function (layout) {
        state.timings.laidOut = performance.now();
        if (state.cy) state.cy.destroy();
        createGraph(placed(layout));
        state.timings.created = performance.now();
        applyView();
        state.timings.filtered = performance.now();
        updateCounts();
        renderLegend();
        if (config.focus && state.nodes.has(config.focus)) {
          selectNode(config.focus, { push: false, center: true });
        } else {
          fitView();
          if (config.focus) showBanner("warning", "The resource in the address is not in the graph: " + config.focus);
        }
        showMessage(null);
        state.timings.viewed = performance.now();
        markReady();
      });
    }).catch(function (error) {
      if (error.message === "not logged in") return;
      setGraphState("error");
      showMessage("Could not load the graph", String(error.message || error),
        { label: "Try again", run: loadGraph });
    });
  }

  function refreshGraph() {
    // After a sync: fetch again and change the drawing in place; nodes already drawn stay put.
    return fetchJSON(config.graph_url).then(function (doc) {
      if (!state.cy) {
        state.doc = null;
        return loadGraph();
      }
      indexDocument(doc);
      fillControls();
      return computeLayout().then(function (layout) {
        applyInPlace(placed(layout));
        updateCounts();
        renderLegend();
        if (!doc.nodes.length) {
          showMessage("The graph is empty", "The last sync found no resources.");
          setGraphState("empty");
        } else {
          showMessage(null);
          setGraphState("ready");
        }
        if (state.selected) {
          if (state.nodes.has(state.selected)) renderInspector(state.selected);
          else unselect({ push: false });
        }
      });
    }).catch(function (error) {
      showBanner("error", "Could not reload the graph after the sync: " + (error.message || error));
    });
  }

  function applyInPlace(layout) {
    var cy = state.cy, wanted = new Map();
    elementsFor(layout).forEach(function (element) { wanted.set(element.data.id, element); });
    cy.batch(function () {
      cy.edges().forEach(function (edge) { if (!wanted.has(edge.id())) edge.remove(); });
      // Vanished resources go now; vanished groups only at the end, once their members have
      // moved (removing a compound node removes whatever is still inside it).
      cy.nodes().forEach(function (node) {
        if (!wanted.has(node.id()) && node.inside() && !node.hasClass("fs-group")) node.remove();
      });
      // Groups first, so nodes can move into new ones.
      wanted.forEach(function (element, id) {
        if (element.group === "nodes" && element.data.type === "group" && !cy.getElementById(id).length) cy.add(element);
      });
      wanted.forEach(function (element, id) {
        if (element.group !== "nodes" || element.data.type === "group") return;
        var existing = cy.getElementById(id);
        if (!existing.length) { cy.add(element); return; }
        var parent = element.data.parent || null;
        var current = existing.parent().length ? existing.parent().id() : null;
        var position = existing.position();
        var data = {};
        Object.keys(element.data).forEach(function (k) { if (k !== "parent" && k !== "id") data[k] = element.data[k]; });
        ["problem"].forEach(function (k) { if (!(k in data)) existing.removeData(k); });
        existing.data(data);
        if (parent !== current) existing = existing.move({ parent: parent }).position(position);
      });
      cy.nodes(".fs-group").forEach(function (group) { if (!wanted.has(group.id())) group.remove(); });
      wanted.forEach(function (element, id) {
        if (element.group !== "edges") return;
        var existing = cy.getElementById(id);
        if (!existing.length) { cy.add(element); return; }
        if (!("denied" in element.data)) existing.removeData("denied");
        existing.data({ label: element.data.label, denied: element.data.denied });
      });
    });
    applyView();
  }

  function regroup() {
    // Grouping changes the layout, so the drawing is rebuilt rather than patched.
    if (!state.cy) return;
    computeLayout().then(function (layout) {
      var cy = state.cy;
      cy.batch(function () {
        cy.elements().remove();
        cy.add(elementsFor(placed(layout)));
      });
      applyView();
      fitView();
      if (state.selected && cy.getElementById(state.selected).length) cy.getElementById(state.selected).select();
    });
  }

  // ---------------------------------------------------------------- filters and views

  function fillSelect(select, values, keep) {
    var current = select.value;
    while (select.options.length > keep) select.remove(keep);
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      select.appendChild(option);
    });
    if (values.indexOf(current) >= 0 || current === "") select.value = current;
  }

  function fillControls() {
    var regions = new Set(), stacks = new Set(), tagPairs = new Set(), tagKeys = new Set();
    var types = new Map(), kinds = new Map();
    state.doc.nodes.forEach(function (n) {
      if (n.region) regions.add(n.region);
      if (state.derivedStack.get(n.id)) stacks.add(state.derivedStack.get(n.id));
      var tags = tagsOf(n);
      Object.keys(tags).forEach(function (k) {
        tagKeys.add(k);
        tagPairs.add(k + "=" + tags[k]);
      });
      types.set(n.type, (types.get(n.type) || 0) + 1);
    });
    state.doc.edges.forEach(function (e) { kinds.set(e.kind, (kinds.get(e.kind) || 0) + 1); });
    var sorted = function (set) { return Array.from(set).sort(); };
    fillSelect($("fs-filter-region"), sorted(regions), 1);
    fillSelect($("fs-filter-stack"), sorted(stacks), 1);
    fillSelect($("fs-filter-tag"), sorted(tagPairs), 1);
    fillSelect($("fs-group-tag"), sorted(tagKeys), 0);
    if (!state.groupTag && tagKeys.size) state.groupTag = $("fs-group-tag").value;
    fillChecks($("fs-filter-types"), types, state.hiddenTypes, function (t) { return typeInfo(t).label; });
    fillChecks($("fs-filter-kinds"), kinds, state.hiddenKinds, function (k) { return KIND_LABELS[k] || k; });
  }

  function fillChecks(container, counts, hidden, label) {
    clear(container);
    Array.from(counts.keys()).sort().forEach(function (value) {
      var box = el("input", { type: "checkbox", value: value });
      box.checked = !hidden.has(value);
      box.addEventListener("change", function () {
        if (box.checked) hidden.delete(value); else hidden.add(value);
        applyView();
      });
      container.appendChild(el("label", { className: "fs-check" }, box,
        " " + label(value) + " (" + counts.get(value) + ")"));
    });
  }

  function nodePassesFilters(node) {
    if (state.hiddenTypes.has(node.type)) return false;
    if (state.region && node.region !== state.region) return false;
    if (state.stack && state.derivedStack.get(node.id) !== state.stack) return false;
    if (state.tag) {
      var at = state.tag.indexOf("="), key = state.tag.slice(0, at), value = state.tag.slice(at + 1);
      var tags = tagsOf(node);
      if (!(key in tags) || String(tags[key]) !== value) return false;
    }
    if (state.neighbourhood && !state.neighbourhood.has(node.id)) return false;
    return true;
  }

  function viewIsPlain() {
    return !state.hiddenTypes.size && !state.hiddenKinds.size && !state.region && !state.stack &&
      !state.tag && !state.neighbourhood && !state.path;
  }

  function applyView() {
    var cy = state.cy;
    if (!cy) return;
    if (viewIsPlain() && !state.viewTouched) {
      // Nothing filtered or highlighted, ever: every element is already shown as it should be.
      $("fs-graph").dataset.visibleCount = String(state.doc.nodes.length);
      return;
    }
    state.viewTouched = !viewIsPlain();
    cy.batch(function () {
      cy.nodes().forEach(function (n) {
        if (n.hasClass("fs-group")) return;
        var node = state.nodes.get(n.id());
        var show = node && nodePassesFilters(node);
        if (show) n.removeClass("fs-hidden"); else n.addClass("fs-hidden");
      });
      cy.nodes(".fs-group").forEach(function (g) {
        if (g.children().not(".fs-hidden").length) g.removeClass("fs-hidden"); else g.addClass("fs-hidden");
      });
      cy.edges().forEach(function (e) {
        if (state.hiddenKinds.has(e.data("kind"))) e.addClass("fs-hidden"); else e.removeClass("fs-hidden");
      });
      cy.elements().removeClass("fs-dim fs-path");
      if (state.path) {
        cy.elements().not(state.path).addClass("fs-dim");
        state.path.edges().addClass("fs-path");
        cy.nodes(".fs-group").removeClass("fs-dim");
      }
    });
    var visible = cy.nodes().not(".fs-group").not(".fs-hidden").length;
    $("fs-graph").dataset.visibleCount = String(visible);
  }

  function neighbourhoodOf(arn, hops) {
    var ids = new Set([arn]), frontier = [arn];
    for (var i = 0; i < hops; i++) {
      var next = [];
      frontier.forEach(function (id) {
        (state.edgesOut.get(id) || []).concat(state.edgesIn.get(id) || []).forEach(function (e) {
          if (state.hiddenKinds.has(e.kind)) return;
          var other = e.source === id ? e.target : e.source;
          if (!ids.has(other)) { ids.add(other); next.push(other); }
        });
      });
      frontier = next;
    }
    return ids;
  }

  function flowOf(arn) {
    // Everything upstream (triggers) and downstream (destinations) of the node, along edge
    // direction, without the role edges that would connect every function to its role.
    var node = state.cy.getElementById(arn);
    var flowEdges = state.cy.edges().filter(function (e) { return e.data("kind") !== "execution_role"; });
    var up = node, down = node, frontier;
    frontier = node;
    while (frontier.length) {
      var incoming = frontier.connectedEdges().intersection(flowEdges).filter(function (e) {
        return frontier.has(e.target()) && !up.has(e);
      });
      up = up.union(incoming).union(incoming.sources());
      frontier = incoming.sources().difference(frontier);
    }
    frontier = node;
    while (frontier.length) {
      var outgoing = frontier.connectedEdges().intersection(flowEdges).filter(function (e) {
        return frontier.has(e.source()) && !down.has(e);
      });
      down = down.union(outgoing).union(outgoing.targets());
      frontier = outgoing.targets().difference(frontier);
    }
    return up.union(down);
  }

  // ---------------------------------------------------------------- search

  function search(query) {
    var list = $("fs-search-results");
    clear(list);
    var q = query.trim().toLowerCase();
    var cy = state.cy;
    if (cy) cy.batch(function () { cy.nodes(".fs-match").removeClass("fs-match"); });
    if (!q || !state.doc) return;
    var matches = state.doc.nodes.filter(function (n) {
      return (n.name || "").toLowerCase().indexOf(q) >= 0 || n.id.toLowerCase().indexOf(q) >= 0;
    });
    if (cy) cy.batch(function () {
      matches.forEach(function (n) { cy.getElementById(n.id).addClass("fs-match"); });
    });
    matches.slice(0, MAX_SEARCH_RESULTS).forEach(function (n) {
      var button = el("button", { type: "button", className: "fs-result", title: n.id, dataset: { arn: n.id } },
        swatch(n.type),
        el("span", { className: "fs-result-name", text: n.name || n.id }),
        el("span", { className: "fs-result-type", text: typeInfo(n.type).label }));
      button.addEventListener("click", function () { selectNode(n.id, { push: true, center: true }); });
      list.appendChild(el("li", null, button));
    });
    if (matches.length > MAX_SEARCH_RESULTS) {
      list.appendChild(el("li", { className: "fs-more", text: "…and " + (matches.length - MAX_SEARCH_RESULTS) + " more" }));
    }
    if (!matches.length) list.appendChild(el("li", { className: "fs-more", text: "No resource matches." }));
  }

  // ---------------------------------------------------------------- selection, deep links

  function nodePageUrl(arn) {
    // Readable URLs: keep the ARN's ':' and '/' as they are, escape the rest.
    return config.node_page_prefix + encodeURIComponent(arn).replace(/%3A/gi, ":").replace(/%2F/gi, "/");
  }

  function selectNode(arn, options) {
    var cy = state.cy;
    if (!cy || !state.nodes.has(arn)) return;
    var node = cy.getElementById(arn);
    if (node.hasClass("fs-hidden")) {
      // A node hidden by a filter is still reachable from search: clear the view to show it.
      state.neighbourhood = null;
      state.path = null;
      resetFilters();
      applyView();
    }
    cy.$(":selected").unselect();
    node.select();
    state.selected = arn;
    $("fs-neighbourhood").disabled = false;
    $("fs-path").disabled = false;
    renderInspector(arn);
    if (options.push && location.pathname !== nodePageUrl(arn)) {
      history.pushState({ arn: arn }, "", nodePageUrl(arn));
    }
    if (options.center) {
      cy.stop();
      cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 1) }, { duration: 250 });
    }
  }

  function unselect(options) {
    if (state.cy) state.cy.$(":selected").unselect();
    state.selected = null;
    showInspector(false);
    $("fs-neighbourhood").disabled = true;
    $("fs-path").disabled = true;
    if (options.push && location.pathname !== "/") history.pushState({ arn: null }, "", "/");
  }

  function resetFilters() {
    state.hiddenTypes.clear();
    state.region = state.stack = state.tag = "";
    $("fs-filter-region").value = "";
    $("fs-filter-stack").value = "";
    $("fs-filter-tag").value = "";
    fillControls();
  }

  window.addEventListener("popstate", function (event) {
    var arn = (event.state && event.state.arn) || focusFromPath(location.pathname, config.node_page_prefix);
    if (arn) selectNode(arn, { push: false, center: true }); else unselect({ push: false });
  });

  // ---------------------------------------------------------------- inspector

  function showInspector(on) {
    var panel = $("fs-inspector");
    if (panel.hidden === !on) return;
    panel.hidden = !on;
    // The graph's container changed width: tell Cytoscape, or clicks land beside the nodes.
    if (state.cy) state.cy.resize();
  }

  var inspector = window.FlowscopeInspector({
    state: state, tagsOf: tagsOf, pageUrl: nodePageUrl, show: showInspector,
    select: function (arn) { selectNode(arn, { push: true, center: true }); }
  });

  function renderInspector(arn) { inspector.render(arn); }

  // ---------------------------------------------------------------- legend

  function renderLegend() {
    var legend = $("fs-legend"), counts = new Map();
    clear(legend);
    state.doc.nodes.forEach(function (n) { counts.set(n.type, (counts.get(n.type) || 0) + 1); });
    Object.keys(TYPES).forEach(function (type) {
      if (!counts.has(type)) return;
      legend.appendChild(el("li", null,
        swatch(type),
        TYPES[type].label + " " + counts.get(type)));
    });
  }

  // ---------------------------------------------------------------- sync and live updates

  function csrfToken() {
    var input = document.querySelector("#fs-csrf input[name=csrfmiddlewaretoken]");
    if (input && input.value) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function startSync() {
    if (state.syncing) return;
    setSyncing(true);
    showSyncText("Starting a sync…");
    clear($("fs-sync-errors"));
    fetch(config.sync_url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json", "Content-Type": "application/json" },
      body: "{}"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 409) {
          showSyncText("A sync is already running; following it.");
        } else if (!response.ok) {
          throw new Error(body.error || response.status + " " + response.statusText);
        }
        if (body.run) onSyncMessage({ type: "sync", run: body.run });
        statusTimer = setTimeout(pollStatus, live.open ? 3000 : 500);
      });
    }).catch(function (error) {
      setSyncing(false);
      showSyncText("Could not start the sync: " + (error.message || error), "error");
    });
  }

  function setSyncing(on) {
    state.syncing = on;
    $("fs-sync").disabled = on;
    $("fs-sync").textContent = on ? "Syncing…" : "Sync now";
    $("fs-sync-status").dataset.state = on ? "running" : "idle";
  }

  function showSyncText(text, kind) {
    var p = $("fs-sync-text");
    p.textContent = text;
    p.className = kind ? "fs-sync-" + kind : "";
  }

  function describeChanges(run) {
    var added = run.added || {}, removed = run.removed || {}, changed = run.changed || {};
    return "Nodes +" + (added.nodes || 0) + " −" + (removed.nodes || 0) + " ~" + (changed.nodes || 0) +
      "; edges +" + (added.edges || 0) + " −" + (removed.edges || 0) + " ~" + (changed.edges || 0) + ".";
  }

  function showErrors(errors) {
    var list = $("fs-sync-errors");
    clear(list);
    (errors || []).slice(0, 20).forEach(function (e) {
      var where = [e.service, e.region].filter(Boolean).join(" in ");
      list.appendChild(el("li", { text: (where ? where + ": " : "") + [e.code, e.message].filter(Boolean).join(" — ") }));
    });
    if ((errors || []).length > 20) list.appendChild(el("li", { text: "…and " + (errors.length - 20) + " more" }));
  }

  function onSyncMessage(message) {
    if (message.error) {
      showSyncText(message.error, "warning");
      if (!state.lastRunRunning) setSyncing(false);
      return;
    }
    var run = message.run;
    if (!run) return;
    var progress = run.progress || {}, bar = $("fs-sync-progress");
    if (run.status === "running") {
      state.lastRunRunning = true;
      setSyncing(true);
      bar.hidden = false;
      bar.max = Math.max(progress.total || 1, 1);
      bar.value = progress.done || 0;
      showSyncText("Syncing: " + (progress.done || 0) + " of " + (progress.total || "?") + " services done, " +
        plural(progress.resources || 0, "resource") + " found" + (progress.current ? " (last: " + progress.current + ")" : "") + ".");
      return;
    }
    if (run.id !== undefined && run.id === state.finishedRunId) return; // told twice (live and poll)
    state.finishedRunId = run.id;
    state.lastRunRunning = false;
    bar.hidden = true;
    setSyncing(false);
    var summary = describeChanges(run);
    var errors = run.errors || [];
    if (run.status === "success") {
      showSyncText("Sync finished: " + plural(run.node_count || 0, "node") + ", " + plural(run.edge_count || 0, "edge") + ". " + summary, "success");
      showBanner(null, "");
    } else if (run.status === "partial") {
      showSyncText("Partial sync: " + plural(errors.length, "error") + ". " + summary, "warning");
      showBanner("warning", "The last sync was partial: some services could not be read (see Sync). The graph shows what was found.");
    } else {
      showSyncText("Sync failed. " + summary, "error");
      showBanner("error", "The last sync failed; the graph is from an earlier sync.");
    }
    showErrors(errors);
    $("fs-sync-status").dataset.state = run.status;
    refreshGraph();
  }

  var statusTimer = null;

  function pollStatus() {
    // The fallback (and safety net) for the live connection while a sync runs.
    clearTimeout(statusTimer);
    fetchJSON(config.status_url).then(function (body) {
      var running = (body.running || [])[0], last = body.last_run;
      if (running) onSyncMessage({ type: "sync", run: running });
      else if (last && last.id !== state.finishedRunId && state.syncing) onSyncMessage({ type: "sync", run: last });
      if (state.syncing) statusTimer = setTimeout(pollStatus, live.open ? 3000 : 1500);
    }).catch(function () {
      if (state.syncing) statusTimer = setTimeout(pollStatus, 3000);
    });
  }

  function initialStatus() {
    fetchJSON(config.status_url).then(function (body) {
      var running = (body.running || [])[0], run = body.last_run;
      if (run) state.finishedRunId = run.id;
      if (running) { onSyncMessage({ type: "sync", run: running }); pollStatus(); }
      if (!run) return;
      var when = run.finished_at || run.started_at;
      if (!running) showSyncText("Last sync: " + run.status + (when ? ", " + new Date(when).toLocaleString() : "") + ".");
      if (run.status === "partial") showBanner("warning", "The last sync was partial: some services could not be read (see Sync). The graph shows what was found.");
      if (run.status === "failed") showBanner("error", "The last sync failed; the graph may be out of date.");
      showErrors(run.errors);
    }).catch(function () { /* the status line is optional; the graph still works */ });
  }

  var live = { socket: null, open: false, delay: 1000 };
  function connectLive() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var socket;
    try { socket = new WebSocket(scheme + "//" + location.host + config.ws_path); } catch (e) { return; }
    live.socket = socket;
    socket.addEventListener("open", function () {
      live.open = true;
      live.delay = 1000;
      document.body.dataset.live = "open";
      state.openListeners.forEach(function (fn) { fn(); });
    });
    socket.addEventListener("message", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "sync") onSyncMessage(message);
      (state.listeners[message.type] || []).forEach(function (fn) { fn(message); });
    });
    socket.addEventListener("close", function () {
      live.open = false;
      document.body.dataset.live = "closed";
      if (state.syncing) pollStatus();
      setTimeout(connectLive, live.delay);
      live.delay = Math.min(live.delay * 2, 30000);
    });
  }

  function sendLive(message) {
    if (!live.open || !live.socket || live.socket.readyState !== WebSocket.OPEN) return false;
    try { live.socket.send(JSON.stringify(message)); } catch (e) { return false; }
    return true;
  }

  // ---------------------------------------------------------------- export

  function download(blob, filename) {
    var url = URL.createObjectURL(blob);
    var link = el("a", { href: url, download: filename });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function exportPng() {
    if (!state.cy) return;
    download(state.cy.png({ output: "blob", bg: "#ffffff", full: false, scale: 2 }), "flowscope-graph.png");
  }

  function exportSvg() {
    if (!state.cy || typeof state.cy.svg !== "function") return;
    var text = state.cy.svg({ full: false, bg: "#ffffff" });
    download(new Blob([text], { type: "image/svg+xml" }), "flowscope-graph.svg");
  }

  // ---------------------------------------------------------------- wiring

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function bindControls() {
    var searchBox = $("fs-search");
    searchBox.addEventListener("input", debounce(function () { search(searchBox.value); }, 120));
    searchBox.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      search(searchBox.value);
      var first = document.querySelector("#fs-search-results .fs-result");
      if (first) first.click();
    });
    $("fs-group-by").addEventListener("change", function () {
      state.groupBy = $("fs-group-by").value;
      $("fs-group-tag").hidden = state.groupBy !== "tag";
      state.groupTag = $("fs-group-tag").value;
      regroup();
    });
    $("fs-group-tag").addEventListener("change", function () {
      state.groupTag = $("fs-group-tag").value;
      regroup();
    });
    [["fs-filter-region", "region"], ["fs-filter-stack", "stack"], ["fs-filter-tag", "tag"]].forEach(function (pair) {
      $(pair[0]).addEventListener("change", function () {
        state[pair[1]] = $(pair[0]).value;
        applyView();
      });
    });
    $("fs-neighbourhood").addEventListener("click", function () {
      if (!state.selected) return;
      var hops = Math.max(1, Math.min(10, parseInt($("fs-hops").value, 10) || 1));
      state.neighbourhood = neighbourhoodOf(state.selected, hops);
      applyView();
      fitView();
    });
    $("fs-path").addEventListener("click", function () {
      if (!state.selected) return;
      state.path = flowOf(state.selected);
      applyView();
    });
    $("fs-clear-view").addEventListener("click", function () {
      state.neighbourhood = null;
      state.path = null;
      resetFilters();
      applyView();
      if (state.cy) fitView();
    });
    $("fs-fit").addEventListener("click", function () { if (state.cy) fitView(); });
    $("fs-reset-layout").addEventListener("click", function () {
      try { localStorage.removeItem(positionsKey()); } catch (e) { /* nothing stored */ }
      regroup();
    });
    $("fs-sync").addEventListener("click", startSync);
    $("fs-export-png").addEventListener("click", exportPng);
    $("fs-export-svg").addEventListener("click", exportSvg);
    $("fs-export-json").href = config.graph_url;
    $("fs-history-link").href = config.history_url;
    $("fs-export-mermaid").href = config.graph_url + (config.graph_url.indexOf("?") >= 0 ? "&" : "?") + "format=mermaid";
    $("fs-inspector-close").addEventListener("click", function () { unselect({ push: true }); });
  }

  function start() {
    // cytoscape-svg registers itself when it finds window.cytoscape; register only if it did not.
    if (window.cytoscapeSvg && window.cytoscape && !window.cytoscape("core", "svg")) window.cytoscape.use(window.cytoscapeSvg);
    bindControls();
    connectLive();
    initialStatus();
    loadGraph();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
