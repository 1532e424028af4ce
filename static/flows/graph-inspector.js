/* The graph page's inspector: a resource's configuration, tags, triggers and targets with
 * their attributes, wiring problems, and its AWS console link. Text only, like the rest.
 */
(function (scope) {
  "use strict";

  var C = scope.FlowscopeCommon;
  var TYPES = C.TYPES, KINDS = C.KINDS, KIND_LABELS = C.KIND_LABELS;
  var EDGE_ATTRIBUTES_HIDDEN = C.EDGE_ATTRIBUTES_HIDDEN;
  var el = C.el, clear = C.clear, typeInfo = C.typeInfo, coloured = C.coloured;

  // graph: {state, tagsOf(node), select(arn), pageUrl(arn), show(visible)} from graph.js.
  scope.FlowscopeInspector = function (graph) {
    var state = graph.state;

    var FUNCTION_FIELDS = [
      ["runtime", "Runtime"], ["handler", "Handler"], ["memory_size", "Memory", " MB"],
      ["timeout", "Timeout", " s"], ["architectures", "Architectures"], ["package_type", "Package"],
      ["role", "Role"], ["environment_variables", "Environment variables"], ["layers", "Layers"],
      ["tracing", "Tracing"], ["log_group", "Log group"], ["stack", "Stack"],
      ["description", "Description"], ["last_modified", "Last modified"]
    ];
    // Shown elsewhere in the inspector, or too bulky for a table row.
    var ATTRIBUTES_ELSEWHERE = { tags: 1, resource_policy: 1, unmatched_permissions: 1, resource_policy_error: 1 };

    function formatValue(value) {
      if (value === null || value === undefined || value === "") return "—";
      if (Array.isArray(value)) {
        if (!value.length) return "none";
        return value.map(function (v) { return typeof v === "object" ? JSON.stringify(v) : String(v); }).join(", ");
      }
      if (typeof value === "object") return JSON.stringify(value);
      if (typeof value === "boolean") return value ? "yes" : "no";
      return String(value);
    }

    function table(rows, className) {
      var body = el("tbody");
      rows.forEach(function (row) {
        var cell = typeof row[1] === "string" ? el("td", { text: row[1] }) : el("td", null, row[1]);
        body.appendChild(el("tr", null, el("th", { scope: "row", text: row[0] }), cell));
      });
      return el("table", { className: className || "fs-table" }, body);
    }

    function configurationRows(node) {
      var a = node.attributes, rows = [];
      if (node.type === "lambda_function") {
        FUNCTION_FIELDS.forEach(function (f) {
          var value = a[f[0]];
          if (f[0] === "stack") value = value || state.derivedStack.get(node.id);
          if (f[0] === "role" && value && state.nodes.has(value)) {
            rows.push([f[1], nodeLink(value)]);
            return;
          }
          rows.push([f[1], value === null || value === undefined || value === "" ? "—" : formatValue(value) + (f[2] || "")]);
        });
        return rows;
      }
      Object.keys(a).sort().forEach(function (key) {
        if (ATTRIBUTES_ELSEWHERE[key]) return;
        rows.push([key.replace(/_/g, " "), formatValue(a[key])]);
      });
      if (!a.stack && state.derivedStack.get(node.id)) rows.push(["stack (of its functions)", state.derivedStack.get(node.id)]);
      return rows;
    }

    function problemsOf(node) {
      var problems = [], a = node.attributes;
      (state.edgesIn.get(node.id) || []).forEach(function (e) {
        if (e.attributes.permitted !== false) return;
        var source = state.nodes.get(e.source);
        problems.push((source ? source.name : e.source) + " (" + (KIND_LABELS[e.kind] || e.kind) +
          ") is wired to this function, but its resource policy does not let that service invoke it.");
      });
      (a.unmatched_permissions || []).forEach(function (p) {
        problems.push("The resource policy" + (p.sid ? " statement " + p.sid : "") + " lets " +
          (p.principal || "a principal") + (p.source_arn ? " from " + p.source_arn : "") +
          " invoke this function, but no such trigger was found.");
      });
      if (a.resource_policy_error) problems.push("The resource policy could not be read: " + a.resource_policy_error);
      (state.edgesOut.get(node.id) || []).forEach(function (e) {
        if (e.attributes.permitted !== false) return;
        var target = state.nodes.get(e.target);
        problems.push("Triggers " + (target ? target.name : e.target) + ", whose resource policy does not allow it.");
      });
      return problems;
    }

    function kindBadge(kind) {
      var badge = el("span", { className: "fs-kind", text: KIND_LABELS[kind] || kind });
      badge.style.borderColor = badge.style.color = KINDS[kind] || "#4a5568";
      return badge;
    }

    function nodeLink(arn) {
      var other = state.nodes.get(arn);
      var link = el("button", { type: "button", className: "fs-link", title: arn }, other ? other.name : arn);
      link.addEventListener("click", function () { graph.select(arn); });
      return link;
    }

    function edgeList(edges, direction) {
      var list = el("ul", { className: "fs-edges" });
      edges.forEach(function (e) {
        var otherId = direction === "in" ? e.source : e.target;
        var other = state.nodes.get(otherId), link = nodeLink(otherId);
        var rows = [];
        Object.keys(e.attributes).sort().forEach(function (key) {
          if (EDGE_ATTRIBUTES_HIDDEN[key]) return;
          rows.push([key.replace(/_/g, " "), formatValue(e.attributes[key])]);
        });
        var item = el("li", { className: e.attributes.permitted === false ? "fs-edge fs-edge-denied" : "fs-edge" },
          el("div", { className: "fs-edge-head" },
            kindBadge(e.kind),
            " ", direction === "in" ? "from " : "to ", link,
            other ? el("span", { className: "fs-muted", text: " · " + typeInfo(other.type).label }) : null),
          rows.length ? table(rows, "fs-table fs-table-small") : null);
        list.appendChild(item);
      });
      return list;
    }

    function renderInspector(arn) {
      var node = state.nodes.get(arn), body = document.getElementById("fs-inspector-body");
      clear(body);
      graph.show(true);
      var info = typeInfo(node.type);
      var consoleLink = consoleUrl(node);
      body.appendChild(el("header", { className: "fs-inspector-head" },
        coloured("span", { className: "fs-badge", text: info.label }, info.colour),
        el("h2", { id: "fs-inspector-name", text: node.name || node.id }),
        el("code", { className: "fs-arn", text: node.id })));
      var links = el("p", { className: "fs-inspector-links" });
      if (consoleLink) {
        links.appendChild(el("a", { href: consoleLink, target: "_blank", rel: "noopener noreferrer",
                                    id: "fs-console-link" }, "Open in the AWS console ↗"));
      }
      links.appendChild(el("a", { href: graph.pageUrl(node.id), id: "fs-deep-link" }, "Link to this resource"));
      body.appendChild(links);
      body.appendChild(table([["Region", node.region || "global"], ["Account", node.account || "—"]]));

      var problems = problemsOf(node);
      if (problems.length) {
        var list = el("ul", { className: "fs-problems", id: "fs-problems" });
        problems.forEach(function (p) { list.appendChild(el("li", { text: p })); });
        body.appendChild(el("section", null, el("h3", { text: "Problems" }), list));
      }

      body.appendChild(el("section", null, el("h3", { text: "Configuration" }),
        table(configurationRows(node), "fs-table fs-config")));

      var tags = graph.tagsOf(node), tagRows = Object.keys(tags).sort().map(function (k) { return [k, String(tags[k])]; });
      body.appendChild(el("section", null, el("h3", { text: "Tags" }),
        tagRows.length ? table(tagRows, "fs-table fs-tags") : el("p", { className: "fs-muted", text: "No tags." })));

      var incoming = state.edgesIn.get(arn) || [], outgoing = state.edgesOut.get(arn) || [];
      body.appendChild(el("section", { id: "fs-incoming" }, el("h3", { text: "Incoming (" + incoming.length + ")" }),
        incoming.length ? edgeList(incoming, "in") : el("p", { className: "fs-muted", text: "Nothing triggers it." })));
      body.appendChild(el("section", { id: "fs-outgoing" }, el("h3", { text: "Outgoing (" + outgoing.length + ")" }),
        outgoing.length ? edgeList(outgoing, "out") : el("p", { className: "fs-muted", text: "It sends to nothing we know of." })));
    }

    // -------------------------------------------------------------- AWS console links

    function consoleUrl(node) {
      var parts = node.id.split(":");
      if (parts[0] !== "arn" || parts[1] !== "aws") return null; // China/GovCloud consoles differ
      var region = node.region || parts[3] || "us-east-1", account = parts[4], resource = parts.slice(5).join(":");
      var q = encodeURIComponent, host = "https://" + region + ".console.aws.amazon.com/";
      var name = node.name || resource;
      switch (node.type) {
        case "lambda_function":
          return host + "lambda/home?region=" + q(region) + "#/functions/" + q(name);
        case "sqs_queue":
          return host + "sqs/v3/home?region=" + q(region) + "#/queues/" +
            q("https://sqs." + region + ".amazonaws.com/" + account + "/" + name);
        case "sns_topic":
          return host + "sns/v3/home?region=" + q(region) + "#/topic/" + q(node.id);
        case "dynamodb_table":
          return host + "dynamodbv2/home?region=" + q(region) + "#table?name=" + q(name);
        case "kinesis_stream":
          return host + "kinesis/home?region=" + q(region) + "#/streams/details/" + q(name) + "/monitoring";
        case "s3_bucket":
          return "https://s3.console.aws.amazon.com/s3/buckets/" + q(resource || name) + "?region=" + q(region);
        case "api_gateway_rest":
        case "api_gateway_v2": {
          var id = resource.split("/").filter(Boolean).pop();
          var page = node.type === "api_gateway_rest" ? "resources" : "develop/routes";
          return host + "apigateway/main/apis/" + q(id) + "/" + page + "?api=" + q(id) + "&region=" + q(region);
        }
        case "alb":
          return host + "ec2/home?region=" + q(region) + "#LoadBalancer:loadBalancerArn=" + q(node.id);
        case "codecommit_repository":
          return host + "codesuite/codecommit/repositories/" + q(name) + "/browse?region=" + q(region);
        case "eventbridge_rule": {
          var ruleParts = resource.replace(/^rule\//, "").split("/");
          var bus = ruleParts.length > 1 ? ruleParts[0] : "default";
          return host + "events/home?region=" + q(region) + "#/eventbus/" + q(bus) + "/rules/" + q(ruleParts[ruleParts.length - 1]);
        }
        case "eventbridge_bus":
          return host + "events/home?region=" + q(region) + "#/eventbus/" + q(resource.replace(/^event-bus\//, ""));
        case "iam_role":
          return "https://console.aws.amazon.com/iam/home#/roles/details/" + q(resource.split("/").pop());
        default:
          return null;
      }
    }

    return { render: renderInspector, consoleUrl: consoleUrl };
  };
})(window);
