/* Live invocations on the graph page: node pulses and rate badges, a feed beside the graph,
 * and a "Live" section with charts in a function's inspector.
 *
 * graph.js owns the page and its WebSocket; this file only uses window.flowscope (state, cy,
 * subscribe, onOpen, send, select) and Cytoscape's events, so the graph works the same
 * without it. On every (re)connect it sends a "resume" with the id of the last invocation it
 * holds and the server replays the rest over the socket; items are kept by id, so one that
 * comes both replayed and live is listed once. HTTP only fills the feed on load, stands in
 * when the socket will not send, and fetches the newest page when more was missed than the
 * feed keeps (the feed then says some are not listed). An id still missing a few seconds after
 * a higher one came (ids have no gaps) is replayed the same way, from the id before it.
 *
 * Function names, error types and log lines come from AWS: they reach the page through
 * textContent, a text node or a Cytoscape label, never through innerHTML.
 */
(function () {
  "use strict";

  var common = window.FlowscopeCommon;
  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var urls = {
    invocations: data.invocationsUrl || "/api/invocations/",
    statsPrefix: data.statsPrefix || "/api/functions/",
    stylesheet: data.stylesheet || ""
  };

  var MAX_ROWS = 500;             // invocations kept in the feed
  var LIVE_ROWS = 100;            // of which drawn while the feed runs
  var PULSE_MS = 600;             // how long one pulse shows (unless the next beat comes first)
  var PULSE_GAP_MS = 500;         // pulses start at most this often (all nodes together)
  var FEED_GAP_MS = 300;          // at most one feed redraw in this interval
  var RATE_WINDOW_S = 60;         // the badge counts invocations over the last minute
  var STATS_REFRESH_MS = 20000;
  var TAIL_CHECK_MS = 3000;
  var FOCUS_REFRESH_MS = 60000;
  var GAP_WAIT_MS = 3000;         // a missing id this old is not just late: replay from before it
  var GAP_RESUME_MS = 5000;       // at most one such replay in this interval
  var GAP_TRACK_MAX = 4096;       // ids kept above a missing one (older holes are given up)
  var NOT_TRIGGERS = { execution_role: 1, destination: 1, dead_letter: 1 };
  var SECTION_ID = "fs-live-stats";

  var feed = {
    items: [],                    // oldest first, by id
    ids: new Set(),
    lastId: 0,
    paused: false,
    unseen: 0,                    // arrived while paused
    dropped: 0,
    pendingRows: [],
    filters: { fn: "", status: "", stack: "" },
    selectedId: null,
    functions: new Map()          // ARN -> name, of every function seen in the feed
  };
  var pulses = new Map();         // ARN -> {error, cold} waiting for the next frame
  var lastBeat = -Infinity;       // when the last pulses started
  var pulseTimer = null;
  var pulsing = [];               // [node, edge] of the pulses showing now
  var endTimer = null;
  var rates = new Map();          // ARN -> Map(second -> count)
  var frameQueued = false;
  var feedTimer = null;
  var lastFeedRender = -Infinity;
  var badged = false;             // some node may still carry a rate badge
  var boundCy = null;
  var dom = {};
  // Time spent here, for the benchmark and the browser tests.
  var timings = { receive_ms: 0, pulses_ms: 0, feed_ms: 0, frames: 0 };
  window.flowscopeLive = { feed: feed, timings: timings };

  function graph() { return window.flowscope || null; }

  var el = common.textEl;

  var clear = common.clear;

  var getJSON = common.getJSON;

  // ---------------------------------------------------------------- formatting

  function functionName(arn) {
    var flowscope = graph(), node = flowscope && flowscope.state.nodes.get(arn);
    if (node && node.name) return node.name;
    var at = String(arn).indexOf(":function:");
    return at >= 0 ? String(arn).slice(at + 10) : String(arn);
  }

  function stackOf(arn) {
    var flowscope = graph();
    if (!flowscope) return "";
    var node = flowscope.state.nodes.get(arn);
    return (node && node.attributes && node.attributes.stack) ||
      (flowscope.state.derivedStack && flowscope.state.derivedStack.get(arn)) || "";
  }

  function ms(value) {
    if (value === null || value === undefined) return "—";
    return (value >= 100 ? Math.round(value) : Math.round(value * 10) / 10) + " ms";
  }

  function clock(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso || "");
    var pad = function (n, w) { return String(n).padStart(w || 2, "0"); };
    return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      "." + pad(date.getMilliseconds(), 3);
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : (Math.round(value * 1000) / 10) + " %";
  }

  function money(value) {
    if (value === null || value === undefined) return "—";
    return "$" + (value >= 0.01 ? value.toFixed(2) : value.toPrecision(2));
  }

  function isFailure(item) { return item.status === "error" || item.status === "timeout"; }

  // ---------------------------------------------------------------- receiving invocations

  function validItem(item) {
    return item && typeof item === "object" && typeof item.id === "number" && typeof item.function === "string";
  }

  function receive(items, live) {
    var fresh = [];
    (items || []).forEach(function (item) {
      if (!validItem(item) || feed.ids.has(item.id)) return;
      feed.ids.add(item.id);
      noteId(item.id);
      fresh.push(item);
      if (!feed.functions.has(item.function)) {
        feed.functions.set(item.function, functionName(item.function));
        dom.functionsChanged = true;
      }
      if (live) {
        var pending = pulses.get(item.function) || { error: false, cold: false, count: 0 };
        pending.error = pending.error || isFailure(item);
        pending.cold = pending.cold || (item.init_ms !== null && item.init_ms !== undefined);
        pending.count += 1;
        pulses.set(item.function, pending);
      }
    });
    if (!fresh.length) return fresh;
    // The feed is in event-time order (when each invocation started), not arrival order: log
    // groups are read apart, so what arrives together started at different times.
    fresh.forEach(function (item) { item.at = Date.parse(item.timestamp) || 0; });
    fresh.sort(byTime);
    var tail = feed.items.length ? feed.items[feed.items.length - 1] : null;
    if (!tail || byTime(fresh[0], tail) > 0) {
      Array.prototype.push.apply(feed.items, fresh);
    } else {
      feed.items = feed.items.concat(fresh).sort(byTime);
    }
    feed.lastId = Math.max(feed.lastId, fresh.reduce(function (m, item) { return Math.max(m, item.id); }, -1));
    if (feed.items.length > MAX_ROWS) {
      feed.items.splice(0, feed.items.length - MAX_ROWS).forEach(function (gone) { feed.ids.delete(gone.id); });
    }
    if (feed.paused) feed.unseen += fresh.length;
    else Array.prototype.push.apply(feed.pendingRows, fresh);
    // A hidden tab gets no animation frames: past a full list, redraw from feed.items instead
    // of keeping every row waiting.
    if (feed.pendingRows.length > MAX_ROWS) {
      feed.pendingRows = [];
      dom.rebuild = true;
    }
    queueFrame();
    return fresh;
  }

  function onMessage(message) {
    if (!message || !Array.isArray(message.items)) return;
    var t0 = performance.now();
    if (message.dropped) feed.dropped += message.dropped;
    // Replayed items are history: listed, not pulsed. They count towards the rate badges
    // unless so many were missed that most are older than the badge's minute anyway.
    var fresh = receive(message.items, !message.replay);
    countRates(message.replay && message.more ? [] : fresh);
    if (message.replay) onReplay(message);
    timings.receive_ms += performance.now() - t0;
  }

  function queueFrame() {
    if (frameQueued) return;
    frameQueued = true;
    // One graph update and one feed update per animation frame, whatever arrived meanwhile.
    requestAnimationFrame(function () {
      frameQueued = false;
      var t0 = performance.now();
      applyPulses();
      var t1 = performance.now();
      timings.pulses_ms += t1 - t0;
      timings.frames += 1;
      // Nobody reads a list that changes ten times a second: the feed redraws at most every
      // FEED_GAP_MS, taking in everything that arrived meanwhile.
      var wait = FEED_GAP_MS - (t1 - lastFeedRender);
      if (wait > 0) {
        if (!feedTimer) feedTimer = setTimeout(function () { feedTimer = null; queueFrame(); }, wait);
        return;
      }
      lastFeedRender = t1;
      renderFeed();
      timings.feed_ms += performance.now() - t1;
    });
  }

  // ---------------------------------------------------------------- graph: pulses and badges

  function styleGraph(cy) {
    cy.style()
      .selector("node.fs-live-pulse").style({
        "underlay-color": "#2f9e44", "underlay-opacity": 0.45, "underlay-padding": 12,
        "underlay-shape": "ellipse"
      })
      .selector("node.fs-live-error").style({ "underlay-color": "#d0021b", "underlay-opacity": 0.6 })
      .selector("node.fs-live-cold").style({
        "border-width": 3, "border-style": "dashed", "border-color": "#1c7ed6"
      })
      .selector("node.fs-live-busy").style({
        "label": "data(live_label)", "text-wrap": "wrap", "text-max-width": 180
      })
      .selector("node.fs-card.fs-live-busy").style({ "text-max-width": 300 })
      .selector("edge.fs-live-edge").style({
        "width": 4, "line-color": "#2f9e44", "target-arrow-color": "#2f9e44", "z-index": 10
      })
      .selector("edge.fs-live-edge-error").style({ "line-color": "#d0021b", "target-arrow-color": "#d0021b" })
      .update();
  }

  function bind() {
    var flowscope = graph(), cy = flowscope && flowscope.cy;
    if (!cy || cy === boundCy) return cy;
    boundCy = cy;
    styleGraph(cy);
    cy.on("add", "node", function (event) { badge(event.target, rateOfElement(event.target.id())); });
    return cy;
  }

  function shownAs(arn) {
    var flowscope = graph();
    return (flowscope && flowscope.shownAs && flowscope.shownAs(arn)) || arn;
  }

  function rateOfElement(id) {
    // A collapsed group's rate is its functions' rates added up.
    var flowscope = graph(), members = flowscope && flowscope.membersOf ? flowscope.membersOf(id) : [id];
    return members.reduce(function (total, arn) { return total + rateOf(arn); }, 0);
  }

  function triggerEdge(arn) {
    // Which edge carried the call can only be told when the function has one trigger.
    var flowscope = graph();
    var incoming = ((flowscope && flowscope.state.edgesIn.get(arn)) || []).filter(function (e) {
      return !NOT_TRIGGERS[e.kind];
    });
    return incoming.length === 1 ? incoming[0] : null;
  }

  function applyPulses() {
    if (!pulses.size) return;
    var cy = bind(), now = performance.now(), shown = [];
    if (!cy) { pulses.clear(); return; }
    // Every class change redraws the whole canvas: pulses start together on one beat (at
    // most one per PULSE_GAP_MS) and end together, whatever the number of busy functions.
    // What arrives between beats merges into the next one.
    var wait = PULSE_GAP_MS - (now - lastBeat);
    if (wait > 0) {
      if (!pulseTimer) pulseTimer = setTimeout(function () { pulseTimer = null; queueFrame(); }, wait);
      return;
    }
    lastBeat = now;
    cy.batch(function () {
      // The last beat's pulses end in the same redraw as this one's start.
      endPulses(cy);
      pulses.forEach(function (pulse, arn) {
        // A function folded into a collapsed group pulses on the group's card.
        var drawnAs = shownAs(arn), node = cy.getElementById(drawnAs);
        if (!node.length) return;
        // One class change per element (the previous beat's classes are gone by now).
        node.addClass("fs-live-pulse" + (pulse.error ? " fs-live-error" : "") + (pulse.cold ? " fs-live-cold" : ""));
        var trigger = drawnAs === arn && triggerEdge(arn), edge = trigger && cy.getElementById(trigger.id);
        if (edge && edge.length) edge.addClass("fs-live-edge" + (pulse.error ? " fs-live-edge-error" : ""));
        shown.push([node, edge]);
      });
    });
    pulses.clear();
    if (!shown.length) return;
    var container = cy.container();
    if (container) container.dataset.livePulses = String(Number(container.dataset.livePulses || 0) + shown.length);
    pulsing = shown;
    endTimer = setTimeout(function () { cy.batch(function () { endPulses(cy); }); }, PULSE_MS);
  }

  function endPulses() {
    clearTimeout(endTimer);
    pulsing.forEach(function (pair) {
      pair[0].removeClass("fs-live-pulse fs-live-error fs-live-cold");
      if (pair[1] && pair[1].length) pair[1].removeClass("fs-live-edge fs-live-edge-error");
    });
    pulsing = [];
  }

  function countRates(items) {
    var second = Math.floor(Date.now() / 1000);
    (items || []).forEach(function (item) {
      if (!validItem(item)) return;
      var buckets = rates.get(item.function);
      if (!buckets) rates.set(item.function, buckets = new Map());
      buckets.set(second, (buckets.get(second) || 0) + 1);
    });
  }

  function rateOf(arn) {
    var buckets = rates.get(arn);
    if (!buckets) return 0;
    var oldest = Math.floor(Date.now() / 1000) - RATE_WINDOW_S, total = 0;
    buckets.forEach(function (count, second) {
      if (second <= oldest) buckets.delete(second); else total += count;
    });
    if (!buckets.size) rates.delete(arn);
    return total;
  }

  function badge(node, rate) {
    if (rate > 0) {
      node.data("live_label", (node.data("label") || "") + "\n" + rate + "/min");
      node.data("live_rate", rate);
      node.addClass("fs-live-busy");
    } else if (node.hasClass("fs-live-busy")) {
      node.removeClass("fs-live-busy");
      node.removeData("live_label live_rate");
    }
  }

  function updateBadges() {
    if (!rates.size && !badged) return;
    var cy = bind();
    if (!cy) return;
    var ids = new Set();
    rates.forEach(function (buckets, arn) { ids.add(shownAs(arn)); });
    cy.nodes(".fs-live-busy").forEach(function (n) { ids.add(n.id()); });
    if (!ids.size) return;
    cy.batch(function () {
      ids.forEach(function (id) {
        var node = cy.getElementById(id);
        if (node.length) badge(node, rateOfElement(id));
      });
    });
    badged = rates.size > 0;
  }

  // ---------------------------------------------------------------- the feed

  var COLUMNS = [
    ["time", "Time"], ["function", "Function"], ["duration", "Duration"], ["billed", "Billed"],
    ["memory", "Memory used / size"], ["init", "Init (cold start)"], ["status", "Status"],
    ["error", "Error type"]
  ];

  function buildPanel() {
    var stage = document.querySelector(".fs-stage");
    if (!stage) return false;
    var panel = el("section", "fs-live");
    panel.id = "fs-live";
    panel.setAttribute("aria-label", "Live invocations");

    var handle = el("div", "fs-live-resize");
    handle.setAttribute("role", "separator");
    handle.setAttribute("aria-orientation", "horizontal");
    handle.setAttribute("aria-label", "Resize the live feed");
    handle.tabIndex = 0;
    panel.appendChild(handle);
    var bar = el("div", "fs-live-bar");
    var title = el("button", "fs-live-title", "Live invocations");
    title.type = "button";
    title.setAttribute("aria-expanded", "true");
    title.addEventListener("click", function () { setCollapsed(!panel.classList.contains("fs-live-collapsed")); });
    bar.appendChild(title);
    dom.count = el("span", "fs-live-count", "0");
    bar.appendChild(dom.count);

    dom.fn = select("fs-live-filter-function", "Function", [["", "All functions"]]);
    dom.status = select("fs-live-filter-status", "Status", [["", "Any status"], ["ok", "ok"], ["error", "error"],
      ["timeout", "timeout"], ["failed", "error or timeout"], ["cold", "cold start"]]);
    dom.stack = select("fs-live-filter-stack", "Stack", [["", "All stacks"]]);
    [[dom.fn, "fn"], [dom.status, "status"], [dom.stack, "stack"]].forEach(function (pair) {
      bar.appendChild(pair[0]);
      pair[0].addEventListener("change", function () {
        feed.filters[pair[1]] = pair[0].value;
        dom.rebuild = true;
        renderFeed(true);
      });
    });
    dom.pause = el("button", "fs-live-pause", "Pause");
    dom.pause.type = "button";
    dom.pause.id = "fs-live-pause";
    dom.pause.addEventListener("click", function () { setPaused(!feed.paused); });
    bar.appendChild(dom.pause);
    dom.note = el("span", "fs-live-note");
    bar.appendChild(dom.note);
    panel.appendChild(bar);

    var body = el("div", "fs-live-body");
    var scroller = el("div", "fs-live-scroll");
    var table = el("table", "fs-live-table");
    var head = el("thead"), headRow = el("tr");
    COLUMNS.forEach(function (column) { headRow.appendChild(el("th", "fs-live-col-" + column[0], column[1])); });
    head.appendChild(headRow);
    table.appendChild(head);
    dom.rows = el("tbody");
    dom.rows.id = "fs-live-rows";
    dom.rows.addEventListener("click", function (event) {
      var row = event.target.closest("tr[data-id]");
      if (row) showDetail(Number(row.dataset.id));
    });
    table.appendChild(dom.rows);
    scroller.appendChild(table);
    dom.empty = el("p", "fs-live-empty", "No invocations yet. They appear here as the functions log them.");
    scroller.appendChild(dom.empty);
    body.appendChild(scroller);

    dom.detail = el("aside", "fs-live-detail");
    dom.detail.id = "fs-live-detail";
    dom.detail.hidden = true;
    body.appendChild(dom.detail);
    panel.appendChild(body);

    stage.appendChild(panel);
    stage.classList.add("fs-live-on");
    dom.panel = panel;
    dom.stage = stage;
    dom.title = title;
    bindResize(handle);
    return true;
  }

  var HEIGHT_KEY = "flowscope.liveFeedHeight";

  function setFeedHeight(px, save) {
    var stageHeight = dom.stage.getBoundingClientRect().height || 800;
    var height = Math.round(Math.max(90, Math.min(stageHeight - 120, px)));
    // Through the CSSOM: the CSP forbids inline style attributes, not this.
    dom.stage.style.setProperty("--fs-live-height", height + "px");
    dom.panel.dataset.height = String(height);
    if (save) { try { localStorage.setItem(HEIGHT_KEY, String(height)); } catch (e) { /* kept for this page */ } }
    resizeGraph();
  }

  function bindResize(handle) {
    var saved = null;
    try { saved = Number(localStorage.getItem(HEIGHT_KEY)); } catch (e) { saved = null; }
    if (saved) setFeedHeight(saved, false);
    handle.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      handle.setPointerCapture(event.pointerId);
      var bottom = dom.stage.getBoundingClientRect().bottom;
      var move = function (e) { setFeedHeight(bottom - e.clientY, false); };
      var up = function (e) {
        handle.removeEventListener("pointermove", move);
        handle.removeEventListener("pointerup", up);
        setFeedHeight(bottom - e.clientY, true);
      };
      handle.addEventListener("pointermove", move);
      handle.addEventListener("pointerup", up);
    });
    handle.addEventListener("keydown", function (event) {
      var step = event.key === "ArrowUp" ? 40 : event.key === "ArrowDown" ? -40 : 0;
      if (!step) return;
      event.preventDefault();
      setFeedHeight(dom.panel.getBoundingClientRect().height + step, true);
    });
  }

  function select(id, label, options) {
    var node = el("select", "fs-live-filter");
    node.id = id;
    node.setAttribute("aria-label", label);
    options.forEach(function (o) { node.appendChild(option(o[0], o[1])); });
    return node;
  }

  function option(value, text) {
    var node = el("option", null, text);
    node.value = value;
    return node;
  }

  function setCollapsed(on) {
    dom.panel.classList.toggle("fs-live-collapsed", on);
    dom.stage.classList.toggle("fs-live-small", on);
    dom.title.setAttribute("aria-expanded", on ? "false" : "true");
    resizeGraph();
  }

  function resizeGraph() {
    // The graph's container changed height: tell Cytoscape, or clicks land beside the nodes.
    var flowscope = graph();
    if (flowscope && flowscope.cy) flowscope.cy.resize();
  }

  function setPaused(on) {
    feed.paused = on;
    dom.pause.textContent = on ? "Resume" : "Pause";
    dom.panel.dataset.paused = on ? "true" : "false";
    feed.unseen = 0;
    dom.rebuild = true;
    renderFeed(on);
  }

  function matches(item) {
    var f = feed.filters;
    if (f.fn && item.function !== f.fn) return false;
    if (f.stack && stackOf(item.function) !== f.stack) return false;
    if (f.status === "failed") return isFailure(item);
    if (f.status === "cold") return item.init_ms !== null && item.init_ms !== undefined;
    if (f.status && item.status !== f.status) return false;
    return true;
  }

  function cell(row, column, text, title) {
    var td = el("td", "fs-live-col-" + column, text);
    if (title) td.title = title;
    row.appendChild(td);
    return td;
  }

  function rowFor(item) {
    var row = el("tr", "fs-live-row fs-live-" + (item.status || "ok"));
    row.dataset.id = String(item.id);
    row.dataset.at = String(item.at || Date.parse(item.timestamp) || 0);
    row.dataset.function = item.function;
    row.dataset.status = item.status || "";
    if (item.init_ms !== null && item.init_ms !== undefined) row.classList.add("fs-live-cold-row");
    if (item.id === feed.selectedId) row.classList.add("fs-live-selected");
    row.tabIndex = 0;
    cell(row, "time", clock(item.timestamp), item.timestamp);
    cell(row, "function", functionName(item.function), item.function);
    cell(row, "duration", ms(item.duration_ms));
    cell(row, "billed", ms(item.billed_ms));
    cell(row, "memory", (item.max_memory_mb === null || item.max_memory_mb === undefined ? "—" : item.max_memory_mb) +
      " / " + (item.memory_mb === null || item.memory_mb === undefined ? "—" : item.memory_mb) + " MB");
    cell(row, "init", item.init_ms === null || item.init_ms === undefined ? "" : ms(item.init_ms));
    var status = cell(row, "status", "");
    status.appendChild(el("span", "fs-live-status fs-live-status-" + (item.status || "ok"), item.status || "ok"));
    cell(row, "error", item.error_type || "");
    return row;
  }

  function refreshFilterOptions() {
    if (!dom.functionsChanged) return;
    dom.functionsChanged = false;
    // Every function of the graph (one may be watched before it is called) and any other
    // the feed has seen.
    var arns = new Set(feed.functions.keys()), flowscope = graph();
    if (flowscope) {
      flowscope.state.nodes.forEach(function (n) { if (n.type === "lambda_function") arns.add(n.id); });
    }
    var names = Array.from(arns).map(function (arn) { return [arn, functionName(arn)]; })
      .sort(function (a, b) { return a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]); });
    var keep = dom.fn.value;
    while (dom.fn.options.length > 1) dom.fn.remove(1);
    names.forEach(function (pair) { dom.fn.appendChild(option(pair[0], pair[1])); });
    dom.fn.value = keep;
    var stacks = new Set();
    arns.forEach(function (arn) { var s = stackOf(arn); if (s) stacks.add(s); });
    var keepStack = dom.stack.value;
    while (dom.stack.options.length > 1) dom.stack.remove(1);
    Array.from(stacks).sort().forEach(function (s) { dom.stack.appendChild(option(s, s)); });
    dom.stack.value = keepStack;
  }

  function byTime(a, b) { return (a.at - b.at) || (a.id - b.id); }

  function rowKey(row) { return { at: Number(row.dataset.at), id: Number(row.dataset.id) }; }

  function renderFeed(frozen) {
    if (!dom.rows) return;
    refreshFilterOptions();
    dom.count.textContent = String(feed.items.length);
    // While running, the newest LIVE_ROWS are drawn (redrawing 500 rows a few times a second
    // cost more than the whole graph); paused, every kept invocation is.
    var limit = feed.paused ? MAX_ROWS : LIVE_ROWS;
    dom.note.textContent = (feed.paused && feed.unseen ? feed.unseen + " new while paused. " : "") +
      (!feed.paused && feed.items.length > LIVE_ROWS ? "Newest " + LIVE_ROWS + " shown; pause to browse all " + feed.items.length + ". " : "") +
      (feed.dropped ? feed.dropped + " held back by the server to keep up; fetching them. " : "") +
      (feed.gap ? "Some invocations are not listed: more were missed than the feed keeps." : "");
    if (feed.paused && !frozen) return;
    var pending = feed.pendingRows;
    feed.pendingRows = [];
    if (dom.rebuild || pending.length >= limit) {
      dom.rebuild = false;
      var fragment = document.createDocumentFragment(), drawn = 0;
      for (var i = feed.items.length - 1; i >= 0 && drawn < limit; i--) {
        if (matches(feed.items[i])) { fragment.appendChild(rowFor(feed.items[i])); drawn++; }
      }
      clear(dom.rows);
      dom.rows.appendChild(fragment);
    } else if (pending.length) {
      // Each new row goes where its start time puts it (newest on top); most land at the top,
      // a late one a few rows down: rows already shown do not move.
      pending.sort(byTime);
      var cursor = dom.rows.firstChild;
      for (var j = pending.length - 1; j >= 0; j--) {
        var item = pending[j];
        if (!matches(item)) continue;
        while (cursor && byTime(rowKey(cursor), item) > 0) cursor = cursor.nextSibling;
        dom.rows.insertBefore(rowFor(item), cursor);
      }
      while (dom.rows.childElementCount > limit) dom.rows.removeChild(dom.rows.lastChild);
      // Rows whose invocation left the bounded list go too.
      var oldest = feed.items.length ? feed.items[0] : null;
      while (oldest && dom.rows.lastChild && byTime(rowKey(dom.rows.lastChild), oldest) < 0) dom.rows.removeChild(dom.rows.lastChild);
    }
    dom.empty.hidden = dom.rows.childElementCount > 0;
    dom.panel.dataset.rows = String(dom.rows.childElementCount);
  }

  // ---------------------------------------------------------------- one invocation's log lines

  function showDetail(id) {
    feed.selectedId = id;
    Array.prototype.forEach.call(dom.rows.querySelectorAll(".fs-live-selected"), function (r) { r.classList.remove("fs-live-selected"); });
    var row = dom.rows.querySelector('tr[data-id="' + id + '"]');
    if (row) row.classList.add("fs-live-selected");
    var box = dom.detail;
    clear(box);
    box.hidden = false;
    box.dataset.state = "loading";
    box.dataset.id = String(id);
    var close = el("button", "fs-live-detail-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close the log lines");
    close.addEventListener("click", function () { box.hidden = true; feed.selectedId = null; });
    box.appendChild(close);
    box.appendChild(el("p", "fs-muted", "Loading the log lines…"));
    getJSON(urls.invocations + id + "/").then(function (detail) {
      if (box.dataset.id !== String(id)) return;
      fillDetail(box, close, detail);
    }).catch(function (error) {
      if (box.dataset.id !== String(id)) return;
      box.lastChild.textContent = "Could not load the log lines: " + (error.message || error);
      box.dataset.state = "error";
    });
  }

  function fillDetail(box, close, detail) {
    clear(box);
    box.appendChild(close);
    var head = el("h3", "fs-live-detail-title", functionName(detail.function));
    box.appendChild(head);
    var facts = el("dl", "fs-live-facts");
    [["Request", detail.request_id], ["Status", (detail.status || "pending") + (detail.error_type ? " (" + detail.error_type + ")" : "")],
     ["Started", detail.timestamp], ["Duration", ms(detail.duration_ms) + " (billed " + ms(detail.billed_ms) + ")"],
     ["Memory", (detail.max_memory_mb === null ? "—" : detail.max_memory_mb) + " / " + (detail.memory_mb === null ? "—" : detail.memory_mb) + " MB"],
     ["Cold start", detail.init_ms === null || detail.init_ms === undefined ? "no" : "init " + ms(detail.init_ms)],
     ["Trace", detail.trace_id || "—"], ["Log stream", detail.log_stream || "—"]
    ].forEach(function (pair) {
      facts.appendChild(el("dt", null, pair[0]));
      facts.appendChild(el("dd", null, pair[1]));
    });
    box.appendChild(facts);
    var log = el("pre", "fs-live-log");
    log.id = "fs-live-log";
    (detail.log_lines || []).forEach(function (line) {
      var div = el("div", "fs-live-line");
      div.appendChild(el("span", "fs-live-line-time", clock(line.timestamp) + " "));
      div.appendChild(document.createTextNode(String(line.text).replace(/\n$/, "")));
      log.appendChild(div);
    });
    if (!(detail.log_lines || []).length) log.appendChild(el("div", "fs-muted", "No log lines kept."));
    box.appendChild(log);
    if (detail.lines_dropped) box.appendChild(el("p", "fs-muted", detail.lines_dropped + " more lines not kept."));
    box.dataset.state = "loaded";
  }

  // ---------------------------------------------------------------- gaps in the ids

  // Ids are handed out consecutively in commit order, so one missing below a received one was
  // committed yet not (or not yet) pushed: several pollers publish independently (it may be
  // late), a poller may have died before publishing, or the server dropped it for a slow
  // page. The page holds every id up to ids.upTo; "above" holds the ids received past a
  // missing one. When the lowest missing id has stayed missing for GAP_WAIT_MS, the page
  // resumes from ids.upTo as after a reconnect (items are kept by id: nothing twice).
  var ids = { upTo: null, above: new Set(), since: null, lastResume: -Infinity, resumes: 0 };
  window.flowscopeLive.ids = ids;

  function noteId(id) {
    if (ids.upTo !== null && id <= ids.upTo) return;
    ids.above.add(id);
    // Before the first fill is in, ids are only collected (the fill says where counting starts).
    if (ids.upTo !== null) settleIds(ids.upTo);
    else if (resume.ready || ids.above.size > GAP_TRACK_MAX) settleIds(lowestAbove() - 1);
  }

  function lowestAbove() {
    var lowest = Infinity;
    ids.above.forEach(function (id) { if (id < lowest) lowest = id; });
    return lowest;
  }

  // The page holds (or will never get) every id up to ``upTo``.
  function settleIds(upTo) {
    var before = ids.upTo;
    if (ids.upTo === null || upTo > ids.upTo) {
      ids.upTo = upTo;
      ids.above.forEach(function (id) { if (id <= upTo) ids.above.delete(id); });
    }
    while (ids.above.delete(ids.upTo + 1)) ids.upTo += 1;
    if (ids.above.size > GAP_TRACK_MAX) {
      // Bounded memory: give up the oldest holes (far older than the feed shows anyway).
      var sorted = Array.from(ids.above).sort(function (a, b) { return a - b; });
      settleIds(sorted[sorted.length - (GAP_TRACK_MAX >> 1)] - 1);
      return;
    }
    // The wait runs from when the lowest missing id was first missing with something above it.
    if (!ids.above.size) ids.since = null;
    else if (ids.since === null || ids.upTo !== before) ids.since = performance.now();
  }

  function checkGap() {
    var now = performance.now();
    if (ids.since === null || now - ids.since < GAP_WAIT_MS || now - ids.lastResume < GAP_RESUME_MS) return;
    if (!resume.ready || resume.from !== null || document.body.dataset.live !== "open") return;
    ids.lastResume = now;
    ids.resumes += 1;
    resume.from = ids.upTo;
    resume.replayed = 0;
    askReplay();
  }

  function lastBeforeGap() {
    return ids.upTo === null ? feed.lastId : ids.upTo;
  }

  function newestId(items, floor) {
    return (items || []).reduce(function (newest, item) {
      return validItem(item) ? Math.max(newest, item.id) : newest;
    }, floor);
  }

  // ---------------------------------------------------------------- filling and catching up

  // What the page missed while its connection was down is replayed over the socket: on every
  // (re)connect the page sends {"type": "resume", "last_invocation_id": <id>} and the server
  // answers with invocations after it, replay: true, at most one page at a time ("more" says
  // another page follows: ask again from the newest id of this one).
  // resume.from: the feed holds every invocation up to this id, and a replay is under way;
  // null once it is done (live pushes fill in from there, so feed.lastId is where to resume).
  var resume = { ready: false, from: null, replayed: 0, sent: 0 };
  window.flowscopeLive.resume = resume;
  var catchingUp = false;

  function startResume() {
    if (!resume.ready) return;    // loadRecent resumes once the first fill is in
    // From before the first missing id: a reconnect also fills a gap still open.
    if (resume.from === null) resume.from = lastBeforeGap();
    resume.replayed = 0;
    askReplay();
  }

  function askReplay() {
    if (graph().send({ type: "resume", last_invocation_id: resume.from })) {
      resume.sent += 1;
      return;
    }
    // Closed again: the next reconnect resumes from resume.from. Open yet refusing to send:
    // the same replay over HTTP.
    if (document.body.dataset.live === "open") catchUp();
  }

  function onReplay(message) {
    if (resume.from === null) return;    // not asked for (or already caught up another way)
    message.items.forEach(function (item) {
      if (validItem(item)) resume.from = Math.max(resume.from, item.id);
    });
    resume.replayed += message.items.length;
    if (!message.more) {
      // Replayed from the database in order: an id missing up to here will never come, and
      // what the server held back is listed now.
      settleIds(resume.from);
      resume.from = null;
      feed.dropped = 0;
    }
    else if (resume.replayed >= MAX_ROWS) skipToLatest();
    else askReplay();
  }

  function skipToLatest() {
    // More was missed than the feed keeps: the next pages would only push each other out of
    // it. The newest invocations are what the feed would end with, so fetch just those.
    feed.gap = true;
    queueFrame();
    return getJSON(urls.invocations + "?limit=" + MAX_ROWS).then(function (latest) {
      receive(latest.items, false);
      settleIds(newestId(latest.items, resume.from));
      resume.from = null;
    }).catch(function () { /* the gap note stays; the next reconnect replays from resume.from */ });
  }

  function catchUp() {
    // The fallback: the server's replay over HTTP, for when the socket cannot send.
    if (catchingUp) return;
    catchingUp = true;
    getJSON(urls.invocations + "?after=" + resume.from + "&limit=" + 2 * MAX_ROWS).then(function (body) {
      if (body.more) return skipToLatest();
      countRates(receive(body.items, false));
      settleIds(newestId(body.items, resume.from));
      resume.from = null;
      return null;
    }).catch(function () { /* the next reconnect tries again */ }).then(function () { catchingUp = false; });
  }

  function loadRecent() {
    getJSON(urls.invocations + "?limit=100").then(function (body) {
      receive(body.items, false);
      // Complete up to the newest of this fill (live items may already have landed above it).
      resume.from = newestId(body.items, 0);
    }).catch(function () { /* an empty feed; live items still arrive */ }).then(function () {
      resume.ready = true;
      // Counting starts from the fill (or, without one, below the first id that came).
      if (resume.from !== null) settleIds(resume.from);
      else if (ids.above.size) settleIds(lowestAbove() - 1);
      // Invocations pushed before the socket joined its group are in neither: replay them.
      if (document.body.dataset.live === "open") startResume();
    });
  }

  // ---------------------------------------------------------------- inspector: "Live" section

  var statsTimer = null;

  function statsUrl(arn) {
    return urls.statsPrefix + encodeURIComponent(arn).replace(/%3A/gi, ":") + "/stats/";
  }

  function svg(tag, attributes) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attributes || {}).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    return node;
  }

  // A small chart over the window: bars (counts, with a part in red) or a line (durations).
  function axisLabel(text, x, y, anchor) {
    var label = svg("text", { x: x, y: y, "text-anchor": anchor || "start", "class": "fs-live-axis-label" });
    label.textContent = text;
    return label;
  }

  function roundUp(value) {
    // A tidy top for the y axis: 1, 2 or 5 times a power of ten.
    var power = Math.pow(10, Math.floor(Math.log10(value))), steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= value) return steps[i] * power;
    return 10 * power;
  }

  function chart(series, minutes, options) {
    // Plot area right of the y labels and above the time axis; labels in the chart's units.
    var width = 320, height = 86, left = 40, bottom = 14, top = 6, right = 4;
    var plotW = width - left - right, plotH = height - top - bottom;
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, "class": "fs-live-chart", role: "img" });
    root.setAttribute("aria-label", options.label + " (" + options.unit + "), last " + minutes + " min");
    var end = Date.now(), start = end - minutes * 60000;
    var points = series.map(function (p) {
      return { t: new Date(p.minute).getTime(), v: p[options.key], red: options.red ? p[options.red] : 0 };
    }).filter(function (p) { return p.v !== null && p.v !== undefined && p.t >= start - 60000; });
    var max = Math.max.apply(null, [0].concat(points.map(function (p) { return p.v; })));
    var scale = max ? roundUp(max) : 1;
    root.appendChild(svg("line", { x1: left, y1: top + plotH + 0.5, x2: width - right, y2: top + plotH + 0.5, "class": "fs-live-axis" }));
    root.appendChild(svg("line", { x1: left - 0.5, y1: top, x2: left - 0.5, y2: top + plotH, "class": "fs-live-axis" }));
    root.appendChild(axisLabel(String(scale) + " " + options.unit, left - 3, top + 7, "end"));
    root.appendChild(axisLabel("0", left - 3, top + plotH, "end"));
    root.appendChild(axisLabel("−" + minutes + " min", left, height - 2, "start"));
    root.appendChild(axisLabel("now", width - right, height - 2, "end"));
    var title = svg("title");
    title.textContent = options.label + " per minute over the last " + minutes + " min (max " + Math.round(max) + " " + options.unit + ")";
    root.appendChild(title);
    if (!max) return root;
    var x = function (t) { return left + Math.max(0, (t - start) / (end - start)) * plotW; };
    var y = function (v) { return top + plotH - (v / scale) * plotH; };
    var barWidth = Math.max(1, (plotW / minutes) - 1);
    if (options.kind === "bars") {
      points.forEach(function (p) {
        root.appendChild(svg("rect", { x: x(p.t), y: y(p.v), width: barWidth, height: top + plotH - y(p.v), "class": "fs-live-bar-ok" }));
        if (p.red) root.appendChild(svg("rect", { x: x(p.t), y: y(p.red), width: barWidth, height: top + plotH - y(p.red), "class": "fs-live-bar-error" }));
      });
    } else {
      var path = points.map(function (p, i) { return (i ? "L" : "M") + (x(p.t) + barWidth / 2).toFixed(1) + " " + y(p.v).toFixed(1); }).join(" ");
      root.appendChild(svg("path", { d: path, "class": "fs-live-line-path" }));
      // Dots too: a lone minute draws no line.
      points.forEach(function (p) {
        root.appendChild(svg("circle", { cx: (x(p.t) + barWidth / 2).toFixed(1), cy: y(p.v).toFixed(1), r: 1.8, "class": "fs-live-dot" }));
      });
    }
    return root;
  }

  function fillStats(section, stats) {
    while (section.childNodes.length > 1) section.removeChild(section.lastChild);
    // The server says whether a Live Tail session follows this function (Live Tail mode).
    section.dataset.liveTail = stats.live_tail ? "on" : "off";
    section.dataset.delivery = stats.delivery || "polling";
    var delivery = el("p", "fs-live-delivery", stats.delivery === "stream"
      ? "Delivery: stream mode (a Kinesis stream pushes its logs)"
      : "Delivery: polling (quiet log groups are read in turn)");
    section.appendChild(delivery);
    if (stats.live_tail) {
      var badge = el("p", "fs-live-tail", "Live Tail: new invocations arrive within seconds");
      badge.title = "A CloudWatch Logs Live Tail session follows this function while it is shown here";
      section.appendChild(badge);
    }
    var memory = stats.max_memory_used_mb === null || stats.max_memory_used_mb === undefined ? "—"
      : stats.max_memory_used_mb + " of " + (stats.memory_size_mb || "?") + " MB";
    var rows = [
      ["Invocations / min", stats.invocations_per_minute === null ? "—" :
        (Math.round(stats.invocations_per_minute * 100) / 100) + " (" + stats.invocations + " in " +
        (stats.covered_minutes && stats.covered_minutes < stats.minutes ? Math.round(stats.covered_minutes * 10) / 10 : stats.minutes) + " min)"],
      ["Error rate", percent(stats.error_rate)],
      ["Duration p50 / p95", (stats.p50_duration_ms === null ? "—" : "≤ " + ms(stats.p50_duration_ms)) + " / " +
        (stats.p95_duration_ms === null ? "—" : "≤ " + ms(stats.p95_duration_ms))],
      ["Cold starts", percent(stats.cold_start_ratio)],
      ["Max memory used", memory],
      ["Estimated cost", money(stats.estimated_cost_usd) + " (" + (Math.round(stats.gb_seconds * 100) / 100) + " GB-s)"]
    ];
    var table = el("table", "fs-table fs-live-figures");
    var body = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("th", null, r[0]));
      tr.appendChild(el("td", null, r[1]));
      body.appendChild(tr);
    });
    table.appendChild(body);
    section.appendChild(table);
    if (stats.oversized) {
      section.appendChild(el("p", "fs-live-hint", "Right-sizing: under half the configured memory was ever used; a smaller size may cost less."));
    }
    var series = stats.series || [];
    section.appendChild(el("p", "fs-live-chart-label", "Invocations per minute (errors in red)"));
    section.appendChild(chart(series, stats.minutes, { kind: "bars", key: "count", red: "errors", label: "Invocations (errors in red)", unit: "/min" }));
    section.appendChild(el("p", "fs-live-chart-label", "Duration per minute, p95 (ms)"));
    section.appendChild(chart(series, stats.minutes, { kind: "line", key: "p95_duration_ms", label: "p95 duration", unit: "ms" }));
    section.dataset.state = "loaded";
    section.dataset.invocations = String(stats.invocations);
  }

  function loadStats(section, arn) {
    clearTimeout(statsTimer);
    getJSON(statsUrl(arn)).then(function (stats) {
      if (!section.isConnected) return;
      fillStats(section, stats);
      // A session starts a second or two after the focus is sent: look once more soon.
      var wait = stats.live_tail || section.dataset.tailChecked ? STATS_REFRESH_MS : TAIL_CHECK_MS;
      section.dataset.tailChecked = "1";
      statsTimer = setTimeout(function () { if (section.isConnected) loadStats(section, arn); }, wait);
    }).catch(function (error) {
      if (!section.isConnected) return;
      section.lastChild.textContent = "Could not load the live figures: " + (error.message || error);
      section.dataset.state = "error";
    });
  }

  function renderSection() {
    var flowscope = graph(), body = document.getElementById("fs-inspector-body");
    if (!flowscope || !body) return;
    var arn = flowscope.state.selected, node = arn && flowscope.state.nodes.get(arn);
    if (!node || node.type !== "lambda_function" || document.getElementById(SECTION_ID)) return;
    var section = el("section", "fs-live-section");
    section.id = SECTION_ID;
    section.dataset.arn = arn;
    section.dataset.state = "loading";
    section.appendChild(el("h3", null, "Live (last hour)"));
    section.appendChild(el("p", "fs-muted", "Loading…"));
    // Right after the header block graph.js draws first, so the figures are seen early.
    var anchor = body.querySelector("section");
    if (anchor && anchor.parentNode === body) body.insertBefore(section, anchor); else body.appendChild(section);
    loadStats(section, arn);
  }

  function watchInspector() { common.watchInspector(SECTION_ID, renderSection); }

  // ---------------------------------------------------------------- focus (Live Tail mode)

  // The server learns which function the inspector shows: {"type": "focus", "functions":
  // [ARN]} on every change, again on every (re)connect and every FOCUS_REFRESH_MS while it
  // stays shown (the server forgets a focus not restated), [] once nothing is shown.
  // The page's id keys its focus on the server: a reconnect replaces the entry it left.
  var focus = { arn: null, sentAt: 0, sent: 0, page: pageId() };
  window.flowscopeLive.focus = focus;

  function pageId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function focusedFunction() {
    var flowscope = graph(), arn = flowscope && flowscope.state.selected;
    var node = arn && flowscope.state.nodes.get(arn);
    return node && node.type === "lambda_function" ? arn : null;
  }

  function syncFocus(force) {
    var arn = focusedFunction();
    var due = arn && Date.now() - focus.sentAt >= FOCUS_REFRESH_MS;
    if (force !== true && arn === focus.arn && !due) return;
    if (graph().send({ type: "focus", functions: arn ? [arn] : [], page: focus.page })) {
      focus.arn = arn;
      focus.sentAt = Date.now();
      focus.sent += 1;
    }
  }

  // ---------------------------------------------------------------- start

  function addStylesheet() { common.addStylesheet(urls.stylesheet); }

  function start() {
    var graphElement = document.getElementById("fs-graph");
    var flowscope = graph();
    if (!graphElement || !flowscope || typeof flowscope.subscribe !== "function" ||
        typeof flowscope.send !== "function") return;
    addStylesheet();
    if (!buildPanel()) return;
    watchInspector();
    // The Cytoscape instance exists once graph.js has drawn: its data-state says when.
    new MutationObserver(function () {
      bind();
      dom.functionsChanged = true;   // names and stacks are known now
      dom.rebuild = true;
      queueFrame();
    }).observe(graphElement, { attributes: true, attributeFilter: ["data-state"] });
    flowscope.subscribe("invocations", onMessage);
    flowscope.onOpen(startResume);
    // A new connection starts with no focus: state it again when there is one.
    flowscope.onOpen(function () { if (focusedFunction()) syncFocus(true); });
    setInterval(syncFocus, 1000);
    setInterval(updateBadges, 1000);
    setInterval(checkGap, 500);
    loadRecent();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
