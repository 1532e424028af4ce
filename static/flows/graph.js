/* Flowscope graph page: the overview on the Cytoscape canvas, groups that open in place,
 * find and filter, selection and deep links, legend, export. The overview's model is in
 * graph-overview.js, the layout in graph-layout.js (ELK), the canvas style in graph-styles.js,
 * sync and the live socket in graph-sync.js, the inspector in graph-inspector.js.
 *
 * Everything that came from AWS (names, ARNs, tags, route keys, descriptions, error messages)
 * reaches the page through textContent or a Cytoscape label, never through innerHTML: the
 * browser tests seed markup into tags and display names and check that none of it runs.
 */
(function () {
  "use strict";

  var DEFAULT_CONFIG = {
    graph_url: "/api/graph/", node_url_prefix: "/api/nodes/", sync_url: "/api/sync/",
    status_url: "/api/status/", ws_path: "/ws/live/", focus: null, history_url: "/history/",
    node_page_prefix: "/node/"
  };
  var config = readConfig();

  // Past this many drawn elements the page switches to the cheap drawing: no icons, straight
  // edges, texture while panning, WebGL where the browser has a GPU.
  var BIG_GRAPH_NODES = 1500;
  var C = window.FlowscopeCommon, Overview = window.FlowscopeOverview, Layout = window.FlowscopeLayout;
  var TYPES = C.TYPES, KINDS = C.KINDS, KIND_LABELS = C.KIND_LABELS;
  var el = C.el, clear = C.clear, typeInfo = C.typeInfo, swatch = C.swatch, plural = C.plural;
  var S = Layout.sizes;
  // Labels are drawn at FONT model units; below this zoom they would be under 8 px on screen.
  var LEGIBLE_ZOOM = 8 / Math.min(S.FONT, S.CARD_FONT);
  var MAX_FIT_ZOOM = 1.25;

  var state = {
    doc: null, cy: null, nodes: new Map(), edgesOut: new Map(), edgesIn: new Map(),
    derivedStack: new Map(), big: false, groupBy: "stack", groupTag: "", showRoles: false,
    expanded: new Set(), collapsed: new Set(), view: null, boxes: new Map(), inner: new Map(),
    undo: null, hiddenTypes: new Set(), hiddenKinds: new Set(), region: "", stack: "", tag: "",
    neighbourhood: null, path: null, selected: null, syncing: false, readyAt: null,
    layoutRequest: 0, listeners: {}, openListeners: [], timings: {}
  };

  // The handle the browser tests, the benchmarks and the page's other scripts use.
  window.flowscope = {
    state: state, config: config,
    get cy() { return state.cy; },
    select: function (arn) { return selectNode(arn, { push: true, center: true }); },
    refresh: function () { return refreshGraph(); },
    // The element standing for a resource on the canvas: itself, or its collapsed group's card.
    shownAs: function (arn) { return state.view ? state.view.shownAs.get(arn) || null : null; },
    membersOf: function (id) {
      var group = state.view && state.view.groups.get(id);
      return group ? group.members.slice() : [id];
    },
    groups: function () { return describeGroups(); },
    expand: function (id) { return expandGroup(id); },
    collapse: function (id) { return collapseGroup(id); },
    view: function () { return describeView(); },
    fit: function () { fitView(); },
    // The live connection, for the page's other scripts (live.js); the socket stays private.
    // subscribe: fn(message) for every message of that type the server pushes.
    subscribe: function (type, fn) { (state.listeners[type] = state.listeners[type] || []).push(fn); },
    // onOpen: fn() each time the socket opens, the first time and after every reconnect
    // (whatever was pushed meanwhile was lost: this is when to ask for a "resume").
    onOpen: function (fn) { state.openListeners.push(fn); },
    // send: one JSON message to the server; false (nothing sent) while the socket is not open.
    send: function (message) { return sync.send(message); }
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

  var sync = window.FlowscopeSync({
    state: state, config: config, fetchJSON: fetchJSON, showBanner: showBanner,
    refreshGraph: function () { return refreshGraph(); }
  });

  // ---------------------------------------------------------------- the graph document

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
    deriveStacks(doc);
  }

  function deriveStacks(doc) {
    // Only functions carry the stack tag; a queue, topic or table joins the stack of what it
    // is wired to when all of that agrees on one stack, a step at a time (a queue's dead-letter
    // queue follows the queue; a role used by one stack's functions only is that stack's).
    state.derivedStack = new Map();
    var pending = [];
    doc.nodes.forEach(function (n) {
      if (n.attributes.stack) state.derivedStack.set(n.id, n.attributes.stack);
      else pending.push(n);
    });
    for (var round = 0; round < 3 && pending.length; round++) {
      var found = [];
      pending = pending.filter(function (n) {
        var stacks = new Set();
        (state.edgesOut.get(n.id) || []).concat(state.edgesIn.get(n.id) || []).forEach(function (e) {
          var stack = state.derivedStack.get(e.source === n.id ? e.target : e.source);
          if (stack) stacks.add(stack);
        });
        if (stacks.size !== 1) return true;
        found.push([n.id, stacks.values().next().value]);
        return false;
      });
      if (!found.length) break;
      found.forEach(function (pair) { state.derivedStack.set(pair[0], pair[1]); });
    }
  }

  function tagsOf(node) {
    var tags = node.attributes.tags;
    return tags && typeof tags === "object" && !Array.isArray(tags) ? tags : {};
  }

  function usableEdges() {
    return state.doc.edges.filter(function (e) {
      return state.nodes.has(e.source) && state.nodes.has(e.target);
    });
  }

  function edgeLabel(edge) {
    var a = edge.attributes;
    var detail = a.route_key || [a.method, a.path].filter(Boolean).join(" ") ||
      (Array.isArray(a.events) ? a.events.slice(0, 2).join(",") : "") || a.condition || "";
    var label = (KIND_LABELS[edge.kind] || edge.kind) + (detail ? " " + detail : "");
    return label.length > 40 ? label.slice(0, 39) + "…" : label;
  }

  function hasProblem(node) {
    var a = node.attributes;
    if ((a.unmatched_permissions || []).length || a.resource_policy_error) return true;
    return (state.edgesIn.get(node.id) || []).some(function (e) { return e.attributes.permitted === false; });
  }

  var iconBase = null;
  function iconUrl(type) {
    if (!iconBase) {
      var src = $("fs-layout-script").src; // .../static/flows/graph-layout.js (maybe hashed)
      iconBase = src.slice(0, src.lastIndexOf("/") + 1) + "icons/";
    }
    return iconBase + type + ".svg";
  }

  // ---------------------------------------------------------------- the overview and its placement

  var placement = window.FlowscopePlacement({
    state: state, tagsOf: tagsOf, usableEdges: usableEdges, canvas: function () { return $("fs-graph"); }
  });
  var buildView = placement.buildView, itemSize = placement.itemSize, groupLayout = placement.groupLayout;
  var positionOf = placement.positionOf;
  var applyStoredPositions = placement.applyStoredPositions, storePosition = placement.storePosition;
  var positionsKey = placement.positionsKey, resourceLabel = placement.resourceLabel;

  // ---------------------------------------------------------------- Cytoscape elements

  function nodeData(node) {
    var type = TYPES[node.type] ? node.type : "unknown";
    var size = itemSize(node.id);
    var data = {
      id: node.id, label: resourceLabel(node), type: type, region: node.region || "",
      colour: TYPES[type].colour, shape: TYPES[type].shape, w: size.w, h: size.h
    };
    if (!state.big) data.icon = iconUrl(type);
    if (hasProblem(node)) data.problem = 1;
    var gid = state.view.memberOf.get(node.id);
    if (gid && state.view.groups.get(gid).expanded) data.parent = gid;
    return data;
  }

  function groupData(group) {
    if (group.expanded) return { id: group.id, label: group.label, type: "group", members: group.members.length };
    var size = itemSize(group.id);
    return { id: group.id, label: group.label + "\n" + group.summary, title: group.label, type: "group",
             collapsed: 1, members: group.members.length, w: size.w, h: size.h };
  }

  function edgeData(edge) {
    if (edge.aggregated) {
      return { id: edge.id, source: edge.source, target: edge.target, kind: edge.kind, aggregated: 1,
               count: edge.count, label: Overview.aggregateLabel(edge),
               colour: edge.kinds.size === 1 ? KINDS[edge.kind] || "#627d98" : "#627d98" };
    }
    var data = { id: edge.id, source: edge.source, target: edge.target, kind: edge.kind,
                 label: edgeLabel(edge.edge), colour: KINDS[edge.kind] || "#4a5568" };
    if (edge.edge.attributes.permitted === false) data.denied = 1;
    return data;
  }

  function elements() {
    var list = [];
    state.view.groups.forEach(function (group) {
      var element = { group: "nodes", data: groupData(group), classes: group.expanded ? "fs-group" : "fs-card" };
      if (!group.expanded) element.position = positionOf(group.id);
      list.push(element);
    });
    state.view.resources.forEach(function (node) {
      list.push({ group: "nodes", data: nodeData(node), position: positionOf(node.id) });
    });
    state.view.edges.forEach(function (edge) { list.push({ group: "edges", data: edgeData(edge) }); });
    return list;
  }

  // Brings the canvas to the current view: elements gone are removed, new ones added, and
  // everything moved to its box. Cheap when little changed (an expand, a sync).
  function draw() {
    var cy = state.cy, wanted = new Map();
    elements().forEach(function (element) { wanted.set(element.data.id, element); });
    cy.batch(function () {
      cy.edges().forEach(function (edge) { if (!wanted.has(edge.id())) edge.remove(); });
      // Leaves first; a frame only once its members have gone or moved out (removing a
      // compound node removes whatever is still inside it).
      cy.nodes().forEach(function (node) {
        if (!wanted.has(node.id()) && !node.isParent()) node.remove();
      });
      wanted.forEach(function (element, id) {
        if (element.group !== "nodes") return;
        var existing = cy.getElementById(id);
        var isFrame = element.classes === "fs-group";
        if (existing.length && existing.hasClass(isFrame ? "fs-card" : "fs-group") && element.data.type === "group") {
          existing.remove();
          existing = cy.collection();
        }
        if (!existing.length) { if (isFrame) cy.add(element); }
      });
      wanted.forEach(function (element, id) {
        if (element.group !== "nodes" || element.classes === "fs-group") return;
        var existing = cy.getElementById(id);
        if (!existing.length) { cy.add(element); return; }
        var parent = element.data.parent || null;
        var current = existing.parent().length ? existing.parent().id() : null;
        var data = {};
        Object.keys(element.data).forEach(function (k) { if (k !== "parent" && k !== "id") data[k] = element.data[k]; });
        ["problem", "collapsed"].forEach(function (k) { if (!(k in data)) existing.removeData(k); });
        existing.data(data);
        if (parent !== current) existing = existing.move({ parent: parent });
        existing.position(element.position);
      });
      cy.nodes().forEach(function (node) { if (!wanted.has(node.id())) node.remove(); });
      wanted.forEach(function (element, id) {
        if (element.group !== "edges") return;
        var existing = cy.getElementById(id);
        if (!existing.length) { cy.add(element); return; }
        if (!("denied" in element.data)) existing.removeData("denied");
        existing.data({ label: element.data.label, denied: element.data.denied, count: element.data.count });
      });
    });
    applyView();
    renderGroupsBox();
    $("fs-graph").dataset.drawnCount = String(cy.nodes().not(".fs-group").length);
    $("fs-graph").dataset.groupCount = String(state.view.groups.size);
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
    // ?renderer=canvas|webgl overrides; otherwise WebGL for big drawings on a real GPU.
    var asked = new URLSearchParams(location.search).get("renderer");
    if (asked === "canvas") return "canvas";
    var support = asked === "webgl" || big ? webglSupport() : null;
    if (asked === "webgl" && support) return "webgl";
    return big && support === "hardware" ? "webgl" : "canvas";
  }

  function createGraph() {
    state.big = state.view.resources.length >= BIG_GRAPH_NODES;
    var renderer = rendererChoice(state.big);
    var options = {
      container: $("fs-graph"),
      elements: [],
      style: window.FlowscopeStyles.stylesheet(state.big),
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
    draw();
  }

  function bindGraphEvents(cy) {
    // A click opens a card and a double-click closes a frame: clicks within TOGGLE_GAP_MS of
    // the last change belong to the gesture that made it (a double-click's first click must not
    // close the group its own click just opened, nor its second reopen it).
    var TOGGLE_GAP_MS = 600;
    var recentlyToggled = function () { return performance.now() - (state.toggledAt || -1e9) < TOGGLE_GAP_MS; };
    cy.on("tap", "node", function (event) {
      var node = event.target;
      if (node.hasClass("fs-card")) {
        if (!recentlyToggled()) { state.toggledAt = performance.now(); expandGroup(node.id()); }
        return;
      }
      if (node.hasClass("fs-group")) return;
      selectNode(node.id(), { push: true, center: false });
    });
    cy.on("dbltap", "node.fs-group", function (event) {
      if (recentlyToggled()) return;
      state.toggledAt = performance.now();
      collapseGroup(event.target.id());
    });
    cy.on("tap", function (event) {
      if (event.target === cy) unselect({ push: true });
    });
    cy.on("mouseover", "edge", function (event) { event.target.addClass("fs-labelled"); });
    cy.on("mouseout", "edge", function (event) {
      var edge = event.target;
      if (!edge.connectedNodes().some(function (n) { return n.selected(); })) edge.removeClass("fs-labelled");
    });
    cy.on("mouseover", "node.fs-card", function () { $("fs-graph").classList.add("fs-pointer"); });
    cy.on("mouseout", "node.fs-card", function () { $("fs-graph").classList.remove("fs-pointer"); });
    cy.on("dragfree", "node", function (event) {
      var node = event.target;
      if (!node.isParent() && !node.parent().length) {
        storePosition(node);
        var box = state.boxes.get(node.id());
        if (box) { box.x = node.position("x"); box.y = node.position("y") + (node.hasClass("fs-card") ? 0 : box.h / 2 - S.ICON / 2); }
        placement.remember();
      }
    });
  }

  // ---------------------------------------------------------------- groups open and close

  function describeGroups() {
    var list = [];
    if (!state.view) return list;
    state.view.groups.forEach(function (group) {
      list.push({ id: group.id, label: group.label, kind: group.kind, region: group.region,
                  collapsed: !group.expanded, members: group.members.length });
    });
    return list;
  }

  function afterDraw() {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () { requestAnimationFrame(function () { resolve(); }); });
    });
  }

  function expandGroup(id) {
    var group = state.view && state.view.groups.get(id);
    if (!group || group.expanded) return Promise.resolve(false);
    state.expanded.add(id);
    state.collapsed.delete(id);
    var before = new Map(), t0 = performance.now(), timing = {};
    state.boxes.forEach(function (box, key) { before.set(key, { x: box.x, y: box.y, w: box.w, h: box.h }); });
    buildView();
    timing.view = performance.now() - t0;
    return groupLayout(state.view.groups.get(id)).then(function (result) {
      timing.layout = performance.now() - t0 - timing.view;
      state.inner.set(id, result);
      Layout.growInPlace(state.boxes, id, result.w, result.h);
      placement.orientFrames(state.boxes, state.inner, [id]);
      state.undo = { id: id, boxes: before };
      var t1 = performance.now();
      draw();
      timing.draw = performance.now() - t1;
      placement.remember();
      return afterDraw().then(function () {
        timing.total = performance.now() - t0;
        state.timings.expand = timing;  // the benchmark reads where the time went
        return true;
      });
    });
  }

  function collapseGroup(id) {
    var group = state.view && state.view.groups.get(id);
    if (!group || !group.expanded) return Promise.resolve(false);
    state.collapsed.add(id);
    state.expanded.delete(id);
    var frame = state.boxes.get(id);
    buildView();
    var size = itemSize(id);
    if (state.undo && state.undo.id === id) {
      // The last thing opened closes again: everything goes back where it was.
      state.boxes = state.undo.boxes;
    } else {
      state.boxes.set(id, { x: frame.x - frame.w / 2 + size.w / 2, y: frame.y - frame.h / 2 + size.h / 2,
                            w: size.w, h: size.h });
    }
    state.undo = null;
    state.inner.delete(id);
    if (state.selected && state.view.shownAs.get(state.selected) !== state.selected) unselect({ push: true });
    draw();
    placement.remember();
    return afterDraw().then(function () { return true; });
  }

  function setAllGroups(open) {
    state.view.groups.forEach(function (group, id) {
      if (open) { state.expanded.add(id); state.collapsed.delete(id); } else { state.collapsed.add(id); state.expanded.delete(id); }
    });
    relayout();
  }

  function renderGroupsBox() {
    var groups = state.view ? state.view.groups.size : 0, open = 0;
    if (state.view) state.view.groups.forEach(function (g) { if (g.expanded) open += 1; });
    $("fs-groups-summary").textContent = groups
      ? plural(groups, "group") + ", " + open + " open. Click a group to open it; double-click an open group's frame to close it."
      : "No groups.";
    $("fs-expand-all").disabled = !groups || open === groups;
    $("fs-collapse-all").disabled = !open;
  }

  // ---------------------------------------------------------------- the viewport

  function visibleBounds() {
    var boxes = [];
    state.boxes.forEach(function (box, id) {
      var element = state.cy.getElementById(id);
      if (element.length && !element.hasClass("fs-hidden")) boxes.push(box);
      else if (!element.length && state.view.groups.has(id)) boxes.push(box);
    });
    if (!boxes.length) return null;
    return Layout.bounds(boxes);
  }

  function fitView(onlyIfLegible) {
    // Fit from the layout boxes (labels included), never below the zoom at which names stay
    // legible: a view too big for the screen starts at its top-left corner (where the flows
    // start) and the rest is a pan or a search away.
    var cy = state.cy;
    if (!cy) return;
    var b = visibleBounds();
    if (!b) return;
    var width = cy.width(), height = cy.height(), padding = 24;
    b.y1 -= S.FRAME_TITLE; // frame titles sit above their frames
    var zoom = Math.min((width - 2 * padding) / (b.x2 - b.x1), (height - 2 * padding) / (b.y2 - b.y1), MAX_FIT_ZOOM);
    var partial = zoom < LEGIBLE_ZOOM;
    if (partial && onlyIfLegible) return;
    zoom = Math.max(zoom, LEGIBLE_ZOOM);
    var pan = partial
      ? { x: padding - zoom * b.x1, y: padding - zoom * b.y1 }
      : { x: width / 2 - zoom * (b.x1 + b.x2) / 2, y: height / 2 - zoom * (b.y1 + b.y2) / 2 };
    cy.viewport({ zoom: zoom, pan: pan });
    var note = $("fs-view-note");
    note.hidden = !partial;
    note.textContent = partial
      ? "The whole graph does not fit at a readable size: drag to pan, scroll to zoom, or search."
      : "";
  }

  function describeView() {
    // What is on the canvas, in model units (on-screen px = model × zoom): the benchmark and
    // the tests count crossings, overlaps and label sizes from it.
    var cy = state.cy;
    if (!cy) return null;
    var nodes = [], frames = [], shown = new Set();
    cy.nodes().forEach(function (n) {
      if (n.hasClass("fs-hidden")) return;
      if (n.isParent()) {
        var bb = n.boundingBox({ includeLabels: true });
        frames.push({ id: n.id(), x1: bb.x1, y1: bb.y1, x2: bb.x2, y2: bb.y2 });
        return;
      }
      var card = n.hasClass("fs-card"), p = n.position(), w = n.data("w"), h = n.data("h");
      nodes.push({
        id: n.id(), group: card, collapsed: card, w: w, h: h, x: p.x,
        y: card ? p.y : p.y - S.ICON / 2 + h / 2, label: card ? n.data("title") : n.data("label"),
        fontSize: parseFloat(n.style("font-size"))
      });
      shown.add(n.id());
    });
    var edges = [];
    cy.edges().forEach(function (e) {
      if (e.hasClass("fs-hidden") || !shown.has(e.source().id()) || !shown.has(e.target().id())) return;
      edges.push({ source: e.source().id(), target: e.target().id() });
    });
    var pan = cy.pan();
    return { zoom: cy.zoom(), pan: { x: pan.x, y: pan.y }, width: cy.width(), height: cy.height(),
             nodes: nodes, edges: edges, frames: frames };
  }

  function markReady() {
    // Drawn means Cytoscape has painted: its render loop runs on requestAnimationFrame, so
    // two frames after the graph exists its first frame is on screen.
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        state.readyAt = performance.now();
        state.timings.drawn = state.readyAt;
        setGraphState(state.doc.nodes.length ? "ready" : "empty");
        setTimeout(function () {
          requestAnimationFrame(function () { state.interactiveAt = performance.now(); });
        }, 0);
      });
    });
  }

  // ---------------------------------------------------------------- loading and updating

  function updateCounts() {
    var graph = $("fs-graph");
    graph.dataset.nodeCount = String(state.doc.nodes.length);
    graph.dataset.edgeCount = String(usableEdges().length);
  }

  function loadGraph() {
    setGraphState("loading");
    showMessage("Loading the graph…", "");
    state.timings = { start: performance.now() };
    return fetchJSON(config.graph_url).then(function (doc) {
      state.timings.fetched = performance.now();
      indexDocument(doc);
      fillControls();
      if (!doc.nodes.length) {
        showMessage("No account synced yet",
          "Flowscope has not discovered any resources. Sync now to read your serverless architecture.",
          { label: "Sync now", run: sync.start });
        updateCounts();
        setGraphState("empty");
        return;
      }
      showMessage("Drawing " + plural(doc.nodes.length, "resource") + "…", "");
      var memory = placement.remembered();
      placement.restoreOpenGroups(memory);
      buildView();
      return placement.place(memory).then(function (how) {
        state.timings.laidOut = performance.now();
        state.layoutSource = how;
        applyStoredPositions();
        if (state.cy) state.cy.destroy();
        createGraph();
        placement.remember();
        state.timings.created = performance.now();
        updateCounts();
        renderLegend();
        var focus = config.focus;
        fitView();
        showMessage(null);
        markReady();
        placement.prepare();
        if (focus && state.nodes.has(focus)) return selectNode(focus, { push: false, center: true });
        if (focus) showBanner("warning", "The resource in the address is not in the graph: " + focus);
      });
    }).catch(function (error) {
      if (error.message === "not logged in") return;
      setGraphState("error");
      showMessage("Could not load the graph", String(error.message || error),
        { label: "Try again", run: loadGraph });
    });
  }

  function refreshGraph() {
    // After a sync: fetch again and change the drawing in place; what is drawn stays put.
    return fetchJSON(config.graph_url).then(function (doc) {
      if (!state.cy) {
        state.doc = null;
        return loadGraph();
      }
      indexDocument(doc);
      fillControls();
      var drawn = { boxes: state.boxes, inner: state.inner };
      buildView();
      return placement.place(drawn).then(function () {
        state.undo = null;
        draw();
        placement.remember();
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

  function relayout(fromMemory) {
    // Grouping (or roles) changed: the layout remembered for that view, or a fresh one.
    if (!state.cy || !state.doc) return Promise.resolve();
    var memory = fromMemory ? placement.remembered() : null;
    if (memory) placement.restoreOpenGroups(memory);
    buildView();
    return placement.place(memory).then(function () {
      state.undo = null;
      applyStoredPositions();
      draw();
      placement.remember();
      fitView();
      if (state.selected && state.cy.getElementById(state.selected).length) state.cy.getElementById(state.selected).select();
    });
  }

  // ---------------------------------------------------------------- filters, views and search

  var filters = window.FlowscopeFilters({
    state: state, tagsOf: tagsOf,
    select: function (arn) { return selectNode(arn, { push: true, center: true }); }
  });
  var fillControls = filters.fillControls, applyView = filters.applyView, search = filters.search;
  var resetFilters = filters.reset, neighbourhoodOf = filters.neighbourhoodOf, flowOf = filters.flowOf;

  // ---------------------------------------------------------------- selection, deep links

  function nodePageUrl(arn) {
    // Readable URLs: keep the ARN's ':' and '/' as they are, escape the rest.
    return config.node_page_prefix + encodeURIComponent(arn).replace(/%3A/gi, ":").replace(/%2F/gi, "/");
  }

  function reveal(arn) {
    // Whatever hides a resource gives way when someone asks for it: a role off the canvas
    // comes on, a collapsed group opens, a filter clears.
    if (!state.view.shownAs.has(arn) && state.nodes.get(arn).type === "iam_role" && !state.showRoles) {
      state.showRoles = true;
      $("fs-show-roles").checked = true;
      return relayout(true).then(function () { return reveal(arn); });
    }
    var gid = state.view.memberOf.get(arn);
    if (gid && !state.view.groups.get(gid).expanded) return expandGroup(gid);
    return Promise.resolve();
  }

  function selectNode(arn, options) {
    if (!state.cy || !state.nodes.has(arn)) return Promise.resolve();
    return reveal(arn).then(function () {
      var cy = state.cy, node = cy.getElementById(arn);
      if (!node.length) return;
      if (node.hasClass("fs-hidden")) {
        state.neighbourhood = null;
        state.path = null;
        resetFilters();
        applyView();
      }
      cy.$(":selected").unselect();
      cy.edges(".fs-labelled").removeClass("fs-labelled");
      node.select();
      node.connectedEdges().addClass("fs-labelled");
      state.selected = arn;
      $("fs-neighbourhood").disabled = false;
      $("fs-path").disabled = false;
      renderInspector(arn);
      if (options.push && location.pathname !== nodePageUrl(arn)) {
        history.pushState({ arn: arn }, "", nodePageUrl(arn));
      }
      if (options.center) centreOn(node);
    });
  }

  function centreOn(node) {
    var cy = state.cy;
    cy.stop();
    cy.viewport({ zoom: Math.max(cy.zoom(), 1), pan: cy.pan() });
    cy.center(node);
  }

  function unselect(options) {
    if (state.cy) {
      state.cy.$(":selected").unselect();
      state.cy.edges(".fs-labelled").removeClass("fs-labelled");
    }
    state.selected = null;
    showInspector(false);
    $("fs-neighbourhood").disabled = true;
    $("fs-path").disabled = true;
    if (options.push && location.pathname !== "/") history.pushState({ arn: null }, "", "/");
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
    // The canvas changed width: tell Cytoscape (or clicks land beside the nodes) and refit,
    // keeping the selected resource in view.
    if (!state.cy) return;
    state.cy.resize();
    fitView(true);
    var node = state.selected && state.cy.getElementById(state.selected);
    if (node && node.length && !inViewport(node)) state.cy.center(node);
  }

  function inViewport(node) {
    var ext = state.cy.extent(), p = node.position();
    return p.x > ext.x1 && p.x < ext.x2 && p.y > ext.y1 && p.y < ext.y2;
  }

  var inspector = window.FlowscopeInspector({
    state: state, tagsOf: tagsOf, pageUrl: nodePageUrl, show: showInspector,
    select: function (arn) { selectNode(arn, { push: true, center: true }); }
  });

  function renderInspector(arn) { inspector.render(arn); }

  // ---------------------------------------------------------------- legend

  function legendRow(list, sample, text) {
    list.appendChild(el("li", null, sample, el("span", { text: text })));
  }

  function renderLegend() {
    var types = $("fs-legend-types"), kinds = $("fs-legend-kinds"), counts = new Map(), kindCounts = new Map();
    clear(types);
    clear(kinds);
    state.doc.nodes.forEach(function (n) { counts.set(n.type, (counts.get(n.type) || 0) + 1); });
    state.doc.edges.forEach(function (e) { kindCounts.set(e.kind, (kindCounts.get(e.kind) || 0) + 1); });
    Object.keys(TYPES).forEach(function (type) {
      if (counts.has(type)) legendRow(types, swatch(type), TYPES[type].label + " (" + counts.get(type) + ")");
    });
    Object.keys(KINDS).forEach(function (kind) {
      if (!kindCounts.has(kind)) return;
      var line = C.coloured("span", { className: "fs-legend-line" + (kind === "execution_role" ? " fs-legend-dotted" : "") }, KINDS[kind]);
      legendRow(kinds, line, KIND_LABELS[kind] + (kind === "execution_role" && !state.showRoles ? " (roles hidden)" : ""));
    });
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
      state.expanded.clear();
      state.collapsed.clear();
      relayout(true);
    });
    $("fs-group-tag").addEventListener("change", function () {
      state.groupTag = $("fs-group-tag").value;
      relayout(true);
    });
    $("fs-show-roles").addEventListener("change", function () {
      state.showRoles = $("fs-show-roles").checked;
      relayout(true).then(renderLegend);
    });
    $("fs-expand-all").addEventListener("click", function () { setAllGroups(true); });
    $("fs-collapse-all").addEventListener("click", function () { setAllGroups(false); });
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
      placement.forget();
      relayout();
    });
    $("fs-sync").addEventListener("click", sync.start);
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
    $("fs-group-by").value = state.groupBy;
    $("fs-show-roles").checked = state.showRoles;
    bindControls();
    sync.connect();
    sync.initialStatus();
    loadGraph();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
