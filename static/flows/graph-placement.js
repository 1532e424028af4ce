/* The graph page's placement: builds the overview (graph-overview.js) for the page's state and
 * keeps every drawn item's box: a fresh ELK layout (graph-layout.js) on load or regrouping, and
 * after a sync the old boxes kept, grown in place, with new items set beside a neighbour.
 */
(function (scope) {
  "use strict";

  var Overview = scope.FlowscopeOverview, Layout = scope.FlowscopeLayout;
  var S = Layout.sizes;
  var POSITIONS_KEY = "flowscope.positions.v2.";

  // page: {state, tagsOf(node), usableEdges(), canvas()} from graph.js.
  scope.FlowscopePlacement = function (page) {
    var state = page.state, tagsOf = page.tagsOf, usableEdges = page.usableEdges;

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

    // Inner layouts by group, kept while the group's members stay the same: opening a group
    // whose layout was worked out ahead (see prepare) costs no ELK call.
    var innerCache = new Map();

    function groupLayout(group) {
      var members = group.members.map(function (id) { var size = itemSize(id); return { id: id, w: size.w, h: size.h }; });
      var key = group.members.join("\u0001");
      var cached = innerCache.get(group.id);
      if (cached && cached.key === key) return cached.promise;
      var memberSet = new Set(group.members), edges = [];
      group.members.forEach(function (id) {
        (state.edgesOut.get(id) || []).forEach(function (e) { if (memberSet.has(e.target)) edges.push([e.source, e.target]); });
      });
      var promise = Layout.layoutGroup(members, edges);
      innerCache.set(group.id, { key: key, promise: promise });
      promise.catch(function () { innerCache.delete(group.id); });
      return promise;
    }

    // Works out the inner layouts of collapsed groups one at a time while the page is idle, so
    // that opening one is immediate (one at a time: a click must not queue behind them all).
    var preparing = null;
    function prepare() {
      if (preparing || !state.view) return;
      var pending = [];
      state.view.groups.forEach(function (group) { if (!group.expanded) pending.push(group); });
      pending.sort(function (a, b) { return b.members.length - a.members.length; });
      var next = function () {
        var group = pending.shift();
        if (!group || !state.view || state.view.groups.get(group.id) !== group) { preparing = null; return; }
        preparing = groupLayout(group).then(function () {
          (window.requestIdleCallback || setTimeout)(next);
        }, function () { preparing = null; });
      };
      preparing = true;
      (window.requestIdleCallback || setTimeout)(next);
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
        var cy = state.cy, box = page.canvas();
        var aspect = (cy ? cy.width() : box.clientWidth) / Math.max(1, cy ? cy.height() : box.clientHeight);
        return Layout.bestLayered(items, topEdges(), aspect).then(function (positions) {
          var boxes = new Map();
          items.forEach(function (item) {
            var p = positions.get(item.id);
            boxes.set(item.id, { x: p.x, y: p.y, w: item.w, h: item.h });
          });
          if (expanded.length) orientFrames(boxes, inner, expanded.map(function (group) { return group.id; }));
          return { request: request, boxes: boxes, inner: inner };
        });
      });
    }

    // Where each drawn item's box centre is: top-level boxes, and open groups' members inside
    // their frames.
    function drawnCentres(boxes, inner) {
      var centres = new Map();
      boxes.forEach(function (box, id) {
        var group = state.view.groups.get(id), frame = inner.get(id);
        if (group && group.expanded && frame) {
          frame.inner.forEach(function (p, member) {
            centres.set(member, { x: box.x - box.w / 2 + p.x, y: box.y - box.h / 2 + p.y });
          });
        } else {
          centres.set(id, { x: box.x, y: box.y });
        }
      });
      return centres;
    }

    // An open group's insides mirrored top to bottom: the same frame, still flowing left to right.
    function mirrored(frame) {
      var top = S.FRAME_PAD + S.FRAME_TITLE, bottom = frame.h - S.FRAME_PAD, inner = new Map();
      frame.inner.forEach(function (p, id) { inner.set(id, { x: p.x, y: top + bottom - p.y }); });
      return { inner: inner, w: frame.w, h: frame.h };
    }

    /* A frame is laid out on its own, blind to the edges that leave it, so edges between open
     * groups can cross their insides needlessly. Each open group in ``ids`` is mirrored top to
     * bottom when that makes the drawn (straight) edges cross less; greedy, two passes. Changes
     * ``inner`` (frame id → insides) in place, never the cached layouts it holds. Returns the
     * crossings left. */
    function orientFrames(boxes, inner, ids) {
      var edges = state.view.edges.map(function (e) { return [e.source, e.target]; });
      var count = function () { return Layout.crossings(drawnCentres(boxes, inner), edges); };
      var best = count();
      for (var pass = 0; pass < 2 && best > 0; pass++) {
        var changed = false;
        ids.forEach(function (id) {
          var frame = inner.get(id);
          if (!frame || !boxes.has(id) || best === 0) return;
          inner.set(id, mirrored(frame));
          var n = count();
          if (n < best) { best = n; changed = true; } else { inner.set(id, frame); }
        });
        if (!changed) break;
      }
      return best;
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
      var placed = Array.from(boxes.values()), edges = topEdges();
      var freshBounds = Layout.bounds(Array.from(fresh.boxes.values()));
      fresher.forEach(function (id) {
        var box = fresh.boxes.get(id), anchor = null;
        edges.some(function (pair) {
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

    // The layout is remembered per browser (localStorage), with which groups were open: a
    // reload draws the same picture at once, and after a sync what was there stays put.
    var LAYOUT_KEY = "flowscope.layout.v1.";

    function layoutKey() {
      return LAYOUT_KEY + state.groupBy + (state.groupBy === "tag" ? ":" + state.groupTag : "") +
        (state.showRoles ? ":roles" : "");
    }

    function remember() {
      var boxes = [], inner = [];
      // Kept exactly (JSON keeps a double as it is): a reload must draw what was there.
      var r = function (v) { return v; };
      state.boxes.forEach(function (b, id) { boxes.push([id, r(b.x), r(b.y), r(b.w), r(b.h)]); });
      state.inner.forEach(function (g, gid) {
        var members = [];
        g.inner.forEach(function (p, id) { members.push([id, r(p.x), r(p.y)]); });
        inner.push([gid, r(g.w), r(g.h), members]);
      });
      var record = { boxes: boxes, inner: inner, expanded: Array.from(state.expanded), collapsed: Array.from(state.collapsed) };
      try { localStorage.setItem(layoutKey(), JSON.stringify(record)); } catch (e) { /* quota: computed next time */ }
    }

    function remembered() {
      var record = null;
      try { record = JSON.parse(localStorage.getItem(layoutKey()) || "null"); } catch (e) { record = null; }
      if (!record || !Array.isArray(record.boxes)) return null;
      var boxes = new Map(), inner = new Map();
      record.boxes.forEach(function (b) { boxes.set(b[0], { x: b[1], y: b[2], w: b[3], h: b[4] }); });
      (record.inner || []).forEach(function (g) {
        var members = new Map();
        g[3].forEach(function (m) { members.set(m[0], { x: m[1], y: m[2] }); });
        inner.set(g[0], { w: g[1], h: g[2], inner: members });
      });
      return { boxes: boxes, inner: inner, expanded: record.expanded || [], collapsed: record.collapsed || [] };
    }

    function forget() {
      try { localStorage.removeItem(layoutKey()); } catch (e) { /* nothing stored */ }
    }

    function restoreOpenGroups(memory) {
      // Before the view is built: the groups open last time are open again.
      if (!memory) return;
      state.expanded = new Set(memory.expanded);
      state.collapsed = new Set(memory.collapsed);
    }

    function covers(memory) {
      // The remembered layout is the view's exactly: same items, same sizes, same open groups.
      var ids = topLevelIds();
      if (ids.length !== memory.boxes.size) return false;
      return ids.every(function (id) {
        var box = memory.boxes.get(id), size;
        if (!box) return false;
        var group = state.view.groups.get(id);
        if (group && group.expanded) {
          var inner = memory.inner.get(id);
          if (!inner || inner.inner.size !== group.members.length) return false;
          if (!group.members.every(function (m) { return inner.inner.has(m); })) return false;
          size = { w: inner.w, h: inner.h };
        } else {
          size = itemSize(id);
        }
        return Math.abs(size.w - box.w) <= 1 && Math.abs(size.h - box.h) <= 1;
      });
    }

    /* Places the current view: the remembered layout when it fits it exactly (no ELK call),
     * else a fresh layout merged into what was remembered (or drawn), else a fresh one.
     * Resolves with how: "remembered", "merged" or "fresh". */
    function place(memory) {
      if (memory && covers(memory)) {
        state.boxes = memory.boxes;
        state.inner = memory.inner;
        return Promise.resolve("remembered");
      }
      return freshLayout().then(function (fresh) {
        if (memory && memory.boxes.size) { mergeLayout(fresh, memory.boxes, memory.inner); return "merged"; }
        state.boxes = fresh.boxes;
        state.inner = fresh.inner;
        return "fresh";
      });
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


    return { buildView: buildView, prepare: prepare, place: place, remember: remember,
             remembered: remembered, forget: forget, restoreOpenGroups: restoreOpenGroups, itemSize: itemSize, groupLayout: groupLayout, freshLayout: freshLayout,
             mergeLayout: mergeLayout, orientFrames: orientFrames, positionOf: positionOf, applyStoredPositions: applyStoredPositions,
             storePosition: storePosition, positionsKey: positionsKey, resourceLabel: resourceLabel };
  };
})(window);
