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
  var MAX_SEARCH_RESULTS = 25;
  var POSITIONS_KEY = "flowscope.positions.v2.";
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

  // ---------------------------------------------------------------- the overview and its layout

  function buildView() {
    state.view = Overview.build({
      nodes: state.nodes, edges: usableEdges(), derivedStack: state.derivedStack, tagsOf: tagsOf
    }, { groupBy: state.groupBy, groupTag: state.groupTag, showRoles: state.showRoles,
         expanded: state.expanded, collapsed: state.collapsed });
    return state.view;
  }

  function resourceLabel(node) { return node.name || node.id; }

  function itemSize(id) {
    var group = state.view.groups.get(id);
    if (group && !group.expanded) return Layout.cardBox(group.label, group.summary);
    if (group) { var inner = state.inner.get(id); return { w: inner.w, h: inner.h }; }
    return Layout.resourceBox(resourceLabel(state.nodes.get(id)));
  }

  function topOf(id) {
    // The top-level item an element sits in: its expanded group's frame, or itself.
    var gid = state.view.memberOf.get(id);
    return gid && state.view.groups.get(gid).expanded && state.view.shownAs.get(id) === id ? gid : id;
  }

  function topLevelIds() {
    var ids = [];
    state.view.resources.forEach(function (node) { if (topOf(node.id) === node.id) ids.push(node.id); });
    state.view.groups.forEach(function (group, id) { ids.push(id); });
    return ids;
  }

  function groupLayout(group) {
    var members = group.members.filter(function (id) { return state.view.shownAs.get(id) === id; })
      .map(function (id) { var size = itemSize(id); return { id: id, w: size.w, h: size.h }; });
    var memberSet = new Set(group.members), edges = [];
    state.view.edges.forEach(function (e) {
      if (memberSet.has(e.source) && memberSet.has(e.target)) edges.push([e.source, e.target]);
    });
    return Layout.layoutGroup(members, edges);
  }

  function topEdges() {
    return state.view.edges.map(function (e) { return [topOf(e.source), topOf(e.target)]; });
  }

  // A fresh layout of the whole view: each expanded group, then the top level.
  function freshLayout() {
    var request = ++state.layoutRequest;
    var expanded = [];
    state.view.groups.forEach(function (group) { if (group.expanded) expanded.push(group); });
    return Promise.all(expanded.map(function (group) {
      return groupLayout(group).then(function (result) { return [group.id, result]; });
    })).then(function (results) {
      var inner = new Map(results);
      state.inner = inner;
      var items = topLevelIds().map(function (id) { var s = itemSize(id); return { id: id, w: s.w, h: s.h }; });
      var cy = state.cy, box = $("fs-graph");
      var aspect = (cy ? cy.width() : box.clientWidth) / Math.max(1, cy ? cy.height() : box.clientHeight);
      return Layout.layered(items, topEdges(), aspect).then(function (positions) {
        var boxes = new Map();
        items.forEach(function (item) {
          var p = positions.get(item.id);
          boxes.set(item.id, { x: p.x, y: p.y, w: item.w, h: item.h });
        });
        return { request: request, boxes: boxes, inner: inner };
      });
    });
  }

  // After a sync: what was drawn stays where it was; what is new goes where the fresh layout
  // put it relative to a neighbour that was already drawn, clear of everything placed.
  function mergeLayout(fresh, oldBoxes, oldInner) {
    var boxes = new Map(), fresher = [];
    fresh.boxes.forEach(function (box, id) {
      var old = oldBoxes.get(id);
      if (old) boxes.set(id, { x: old.x, y: old.y, w: old.w, h: old.h }); else fresher.push(id);
    });
    // Groups that stayed open: members keep their spot in the frame; new members go where
    // the fresh layout put them but never left of or above what is there, so the frame only
    // grows to the right and down.
    fresh.inner.forEach(function (inner, gid) {
      var before = oldInner.get(gid);
      if (!before || !boxes.has(gid)) return;
      var kept = new Map(), boxesIn = [];
      inner.inner.forEach(function (p, id) {
        if (!before.inner.has(id)) return;
        var q = before.inner.get(id), size = itemSize(id);
        kept.set(id, { x: q.x, y: q.y });
        boxesIn.push({ x: q.x, y: q.y, w: size.w, h: size.h });
      });
      var floor = boxesIn.length ? Layout.bounds(boxesIn) : { x1: S.FRAME_PAD, y1: S.FRAME_PAD + S.FRAME_TITLE };
      inner.inner.forEach(function (p, id) {
        if (kept.has(id)) return;
        var size = itemSize(id);
        var wanted = { x: Math.max(p.x, floor.x1 + size.w / 2), y: Math.max(p.y, floor.y1 + size.h / 2), w: size.w, h: size.h };
        var spot = Layout.placeClear(wanted, boxesIn, 8);
        kept.set(id, { x: spot.x, y: spot.y });
        boxesIn.push(spot);
      });
      var b = Layout.bounds(boxesIn);
      fresh.inner.set(gid, { inner: kept, w: Math.max(before.w, b.x2 + S.FRAME_PAD), h: Math.max(before.h, b.y2 + S.FRAME_PAD) });
    });
    // A box that grew (an open group with more in it, a card with longer counts) pushes what
    // is right of it right and what is below it down; nothing else moves.
    Array.from(boxes.keys()).forEach(function (id) {
      var size = fresh.inner.has(id) ? fresh.inner.get(id) : fresh.boxes.get(id), box = boxes.get(id);
      if (size.w !== box.w || size.h !== box.h) Layout.growInPlace(boxes, id, size.w, size.h);
    });
    var placed = Array.from(boxes.values());
    var freshBounds = Layout.bounds(Array.from(fresh.boxes.values()));
    fresher.forEach(function (id) {
      var box = fresh.boxes.get(id), anchor = null;
      topEdges().some(function (pair) {
        var other = pair[0] === id ? pair[1] : pair[1] === id ? pair[0] : null;
        if (other && oldBoxes.has(other) && boxes.has(other)) { anchor = other; return true; }
        return false;
      });
      var x = box.x, y = box.y;
      if (anchor) {
        x = boxes.get(anchor).x + (box.x - fresh.boxes.get(anchor).x);
        y = boxes.get(anchor).y + (box.y - fresh.boxes.get(anchor).y);
      } else if (placed.length) {
        // Nothing to stand beside: a new row under the drawing.
        var b = Layout.bounds(placed);
        y = b.y2 + 40 + box.h / 2;
        x = b.x1 + (box.x - freshBounds.x1);
      }
      var spot = Layout.placeClear({ x: x, y: y, w: box.w, h: box.h }, placed, 6);
      boxes.set(id, spot);
      placed.push(spot);
    });
    state.boxes = boxes;
    state.inner = fresh.inner;
  }

  function positionOf(id) {
    // Cytoscape's position of a drawn element from the layout boxes (box centre; a resource's
    // icon sits at the top of its box, its name under it).
    var gid = state.view.memberOf.get(id), box;
    if (gid && state.boxes.has(gid) && state.view.groups.get(gid).expanded) {
      var frame = state.boxes.get(gid), p = state.inner.get(gid).inner.get(id);
      box = { x: frame.x - frame.w / 2 + p.x, y: frame.y - frame.h / 2 + p.y, h: itemSize(id).h };
    } else {
      box = state.boxes.get(id);
    }
    if (!box) return { x: 0, y: 0 };
    if (state.view.groups.has(id)) return { x: box.x, y: box.y };
    return { x: box.x, y: box.y - box.h / 2 + S.ICON / 2 };
  }

  function storedPositions() {
    try { return JSON.parse(localStorage.getItem(positionsKey()) || "{}") || {}; } catch (e) { return {}; }
  }

  function positionsKey() {
    return POSITIONS_KEY + state.groupBy + (state.groupBy === "tag" ? ":" + state.groupTag : "");
  }

  function applyStoredPositions() {
    // Top-level items the user dragged keep their spot (by id) across reloads and syncs.
    var stored = storedPositions();
    Object.keys(stored).forEach(function (id) {
      var box = state.boxes.get(id);
      if (box && !(state.view.groups.get(id) || {}).expanded) {
        box.x = stored[id][0];
        box.y = stored[id][1] + (state.view.groups.has(id) ? 0 : box.h / 2 - S.ICON / 2);
      }
    });
  }

  function storePosition(node) {
    var stored = storedPositions();
    stored[node.id()] = [Math.round(node.position("x")), Math.round(node.position("y"))];
    try { localStorage.setItem(positionsKey(), JSON.stringify(stored)); } catch (e) { /* quota */ }
  }

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
    cy.on("tap", "node", function (event) {
      var node = event.target;
      if (node.hasClass("fs-card")) { expandGroup(node.id()); return; }
      if (node.hasClass("fs-group")) return;
      selectNode(node.id(), { push: true, center: false });
    });
    cy.on("dbltap", "node.fs-group", function (event) { collapseGroup(event.target.id()); });
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
      }
    });
  }

  // ---------------------------------------------------------------- groups open and close

  function describeGroups() {
    var list = [];
    if (!state.view) return list;
    state.view.groups.forEach(function (group) {
      list.push({ id: group.id, label: group.label, collapsed: !group.expanded, members: group.members.length });
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
    var before = new Map();
    state.boxes.forEach(function (box, key) { before.set(key, { x: box.x, y: box.y, w: box.w, h: box.h }); });
    buildView();
    return groupLayout(state.view.groups.get(id)).then(function (result) {
      state.inner.set(id, result);
      Layout.growInPlace(state.boxes, id, result.w, result.h);
      state.undo = { id: id, boxes: before };
      draw();
      return afterDraw().then(function () { return true; });
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
      buildView();
      return freshLayout().then(function (fresh) {
        state.timings.laidOut = performance.now();
        state.boxes = fresh.boxes;
        state.inner = fresh.inner;
        applyStoredPositions();
        if (state.cy) state.cy.destroy();
        createGraph();
        state.timings.created = performance.now();
        updateCounts();
        renderLegend();
        var focus = config.focus;
        fitView();
        showMessage(null);
        markReady();
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
      var oldBoxes = state.boxes, oldInner = state.inner;
      buildView();
      return freshLayout().then(function (fresh) {
        mergeLayout(fresh, oldBoxes, oldInner);
        state.undo = null;
        draw();
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

  function relayout() {
    // Grouping (or roles) changed: a fresh layout of the new view.
    if (!state.cy || !state.doc) return Promise.resolve();
    buildView();
    return freshLayout().then(function (fresh) {
      state.boxes = fresh.boxes;
      state.inner = fresh.inner;
      state.undo = null;
      applyStoredPositions();
      draw();
      fitView();
      if (state.selected && state.cy.getElementById(state.selected).length) state.cy.getElementById(state.selected).select();
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
      $("fs-graph").dataset.visibleCount = String(cy.nodes().not(".fs-group").length);
      return;
    }
    state.viewTouched = !viewIsPlain();
    cy.batch(function () {
      cy.nodes().forEach(function (n) {
        if (n.isParent() || n.hasClass("fs-group")) return;
        var members = n.hasClass("fs-card") ? state.view.groups.get(n.id()).members : [n.id()];
        var show = members.some(function (id) { var node = state.nodes.get(id); return node && nodePassesFilters(node); });
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
    // A match inside a collapsed group lights the group's card.
    if (cy) cy.batch(function () {
      matches.forEach(function (n) {
        var shown = state.view && state.view.shownAs.get(n.id);
        if (shown) cy.getElementById(shown).addClass("fs-match");
      });
    });
    matches.slice(0, MAX_SEARCH_RESULTS).forEach(function (n) {
      var gid = state.view && state.view.memberOf.get(n.id), group = gid && state.view.groups.get(gid);
      var button = el("button", { type: "button", className: "fs-result", title: n.id, dataset: { arn: n.id } },
        swatch(n.type),
        el("span", { className: "fs-result-name", text: n.name || n.id }),
        el("span", { className: "fs-result-type", text: group && !group.expanded ? "in " + group.label : typeInfo(n.type).label }));
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

  function reveal(arn) {
    // Whatever hides a resource gives way when someone asks for it: a role off the canvas
    // comes on, a collapsed group opens, a filter clears.
    if (!state.view.shownAs.has(arn) && state.nodes.get(arn).type === "iam_role" && !state.showRoles) {
      state.showRoles = true;
      $("fs-show-roles").checked = true;
      return relayout().then(function () { return reveal(arn); });
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
      relayout();
    });
    $("fs-group-tag").addEventListener("change", function () {
      state.groupTag = $("fs-group-tag").value;
      relayout();
    });
    $("fs-show-roles").addEventListener("change", function () {
      state.showRoles = $("fs-show-roles").checked;
      relayout().then(renderLegend);
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
