/* The graph page's filters and views: the sidebar's filters (type, edge kind, region, stack,
 * tag), "only its neighbourhood", "highlight its flow", and search. A filter acts on resources;
 * a collapsed group's card stays while any of its members passes.
 */
(function (scope) {
  "use strict";

  var C = scope.FlowscopeCommon;
  var KIND_LABELS = C.KIND_LABELS;
  var el = C.el, clear = C.clear, typeInfo = C.typeInfo, swatch = C.swatch;
  var MAX_SEARCH_RESULTS = 25;

  function $(id) { return document.getElementById(id); }

  // page: {state, tagsOf(node), select(arn)} from graph.js.
  scope.FlowscopeFilters = function (page) {
    var state = page.state, tagsOf = page.tagsOf;
    function selectNode(arn) { return page.select(arn); }

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

    function resetFilters() {
      state.hiddenTypes.clear();
      state.region = state.stack = state.tag = "";
      $("fs-filter-region").value = "";
      $("fs-filter-stack").value = "";
      $("fs-filter-tag").value = "";
      fillControls();
    }


    return { fillControls: fillControls, applyView: applyView, search: search, reset: resetFilters,
             neighbourhoodOf: neighbourhoodOf, flowOf: flowOf };
  };
})(window);
