/* The graph page's overview: which resources are drawn, which are folded into a group, and
 * which edges join what is drawn. Pure: a graph document in, a view description out (no DOM,
 * no Cytoscape), so the page, the benchmark and the tests all see the same answer.
 *
 * Groups come from the CloudFormation stack (the aws:cloudformation:stack-name tag, which SAM,
 * CDK and the Serverless Framework all set), per region; a resource outside any stack joins its
 * service's group in its region ("SQS queues · us-east-1"). A collapsed group is one card with
 * its counts; an expanded group is a frame around its resources. Edges between what is drawn
 * are kept as they are between two resources and aggregated (with counts by kind) wherever a
 * collapsed group stands at either end.
 */
(function (scope) {
  "use strict";

  var C = scope.FlowscopeCommon;

  // Up to this many resources a graph opens with every group expanded: it reads whole.
  var OPEN_EXPANDED_UP_TO = 90;

  function groupKeyOf(node, options, derivedStack, tagsOf) {
    var region = node.region || "global";
    var by = options.groupBy;
    if (by === "none") return null;
    if (by === "region") return { key: "region\u0000" + region, label: region, kind: "region" };
    var name = "";
    if (by === "stack") name = derivedStack.get(node.id) || "";
    if (by === "tag" && options.groupTag) {
      var value = tagsOf(node)[options.groupTag];
      name = value === undefined ? "" : String(value);
    }
    if (name) return { key: by + "\u0000" + region + "\u0000" + name, label: name, region: region, kind: by };
    // Outside any stack (or without the tag): the service's group in that region.
    return { key: "service\u0000" + region + "\u0000" + node.type, label: C.typeInfo(node.type).plural,
             region: region, kind: "service" };
  }

  function countsLine(counts) {
    // "12 functions · 4 queues · 1 table", biggest first.
    return Array.from(counts.entries())
      .sort(function (a, b) { return b[1] - a[1] || (a[0] < b[0] ? -1 : 1); })
      .map(function (pair) { return pair[1] + " " + C.typeInfo(pair[0])[pair[1] === 1 ? "noun" : "nouns"]; })
      .join(" · ");
  }

  /* index: {nodes: Map id→node, edges: [edge], derivedStack: Map, tagsOf: fn}
   * options: {groupBy, groupTag, showRoles, expanded: Set of group ids, collapsed: Set}
   * Returns {groups: Map id→group, members: Map resource→group id, shownAs: Map resource→element,
   *          resources: [node drawn as itself], edges: [drawn edge], multiRegion}.
   */
  function build(index, options) {
    var groups = new Map(), memberOf = new Map(), regions = new Set();
    var included = [];
    index.nodes.forEach(function (node) {
      if (!options.showRoles && node.type === "iam_role") return;
      included.push(node);
      if (node.region) regions.add(node.region); // global resources (IAM, S3) have none
    });
    var multiRegion = regions.size > 1;
    included.forEach(function (node) {
      var g = groupKeyOf(node, options, index.derivedStack, index.tagsOf);
      if (!g) return;
      var id = "group\u0000" + g.key;
      var group = groups.get(id);
      if (!group) {
        var label = g.label + (multiRegion && g.kind !== "region" ? " · " + g.region : "");
        group = { id: id, name: g.label, label: label, kind: g.kind, region: g.region || "",
                  members: [], counts: new Map() };
        groups.set(id, group);
      }
      group.members.push(node.id);
      group.counts.set(node.type, (group.counts.get(node.type) || 0) + 1);
      memberOf.set(node.id, id);
    });
    // A group of one is just that resource: no frame, no card.
    groups.forEach(function (group, id) {
      if (group.members.length > 1) return;
      memberOf.delete(group.members[0]);
      groups.delete(id);
    });
    var openAll = included.length <= OPEN_EXPANDED_UP_TO;
    groups.forEach(function (group, id) {
      group.summary = countsLine(group.counts);
      if (options.expanded.has(id)) group.expanded = true;
      else if (options.collapsed.has(id)) group.expanded = false;
      else group.expanded = openAll;
    });

    var shownAs = new Map(), resources = [];
    included.forEach(function (node) {
      var gid = memberOf.get(node.id);
      if (gid && !groups.get(gid).expanded) { shownAs.set(node.id, gid); return; }
      shownAs.set(node.id, node.id);
      resources.push(node);
    });

    var edges = [], aggregated = new Map();
    index.edges.forEach(function (edge) {
      var source = shownAs.get(edge.source), target = shownAs.get(edge.target);
      if (!source || !target) return; // an end is not drawn (a hidden role)
      if (source === edge.source && target === edge.target) {
        edges.push({ id: edge.id, source: source, target: target, kind: edge.kind, edge: edge });
        return;
      }
      if (source === target) return; // inside one collapsed group: its card stands for it
      var key = source + "\u0001" + target;
      var agg = aggregated.get(key);
      if (!agg) {
        agg = { id: "agg\u0000" + key, source: source, target: target, kind: edge.kind,
                aggregated: true, count: 0, kinds: new Map() };
        aggregated.set(key, agg);
        edges.push(agg);
      }
      agg.count += 1;
      agg.kinds.set(edge.kind, (agg.kinds.get(edge.kind) || 0) + 1);
      if (agg.kinds.size > 1) agg.kind = "mixed";
    });
    return { groups: groups, memberOf: memberOf, shownAs: shownAs, resources: resources,
             edges: edges, multiRegion: multiRegion, total: included.length };
  }

  function aggregateLabel(edge) {
    return Array.from(edge.kinds.entries()).map(function (pair) {
      return (C.KIND_LABELS[pair[0]] || pair[0]) + (pair[1] > 1 ? " ×" + pair[1] : "");
    }).join(", ");
  }

  scope.FlowscopeOverview = {
    build: build, aggregateLabel: aggregateLabel, OPEN_EXPANDED_UP_TO: OPEN_EXPANDED_UP_TO
  };
})(window);
