/* The IAM audit on the graph page: a badge on every function and role with open findings
 * (medium and above unless FLOWSCOPE_AUDIT_BADGE_MIN_SEVERITY says otherwise: the summary API
 * applies it), the selected node's findings in the inspector, and for a function who can
 * change it (function_takeover findings naming it).
 *
 * graph.js owns the page; this file only uses what it exposes (window.flowscope: cy, state,
 * subscribe) and Cytoscape's own events, so the graph works the same without it. Nothing
 * from AWS goes through innerHTML: titles, reasons and ARNs are set as textContent.
 */
(function () {
  "use strict";

  var common = window.FlowscopeCommon;
  var script = document.currentScript;
  var urls = {
    summary: (script && script.dataset.summaryUrl) || "/api/findings/summary/",
    findings: (script && script.dataset.findingsUrl) || "/api/findings/",
    audit: (script && script.dataset.auditUrl) || "/audit/",
    rolePrefix: (script && script.dataset.rolePrefix) || "/roles/"
  };
  var SEVERITIES = ["critical", "high", "medium", "low", "info"];
  var COLOURS = { critical: "#8b0000", high: "#d0021b", medium: "#f0b429", low: "#2680c2", info: "#8792a2" };
  var AUDITED_TYPES = { lambda_function: 1, iam_role: 1 };
  var SECTION_ID = "fs-audit-findings";
  var TAKEOVER_ID = "fs-takeover";
  var TAKEOVER = "function_takeover";

  var summary = {};
  var version = 0; // bumped when the summary reloads, so cached findings are fetched again
  var findingsCache = new Map();
  var boundCy = null;

  function graph() { return window.flowscope || null; }

  var el = common.textEl;

  var getJSON = common.getJSON;

  function withParams(base, params) {
    var query = new URLSearchParams(params).toString();
    return base + (base.indexOf("?") >= 0 ? "&" : "?") + query;
  }

  function rolePageUrl(arn) {
    return urls.rolePrefix + encodeURIComponent(arn).replace(/%3A/gi, ":").replace(/%2F/gi, "/");
  }

  // ------------------------------------------------------------------ badges

  function styleBadges(cy) {
    var style = cy.style().selector("node.fs-audit").style({
      "outline-width": 4, "outline-offset": 2, "outline-opacity": 0.9,
      "underlay-padding": 7, "underlay-opacity": 0.18, "underlay-shape": "ellipse"
    });
    SEVERITIES.forEach(function (severity) {
      style = style.selector("node.fs-audit-" + severity).style({
        "outline-color": COLOURS[severity], "underlay-color": COLOURS[severity]
      });
    });
    style.update();
  }

  var RANK = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };

  function entryFor(node) {
    // A collapsed group wears the worst severity among its members, and their count.
    if (node.data("type") !== "group") return AUDITED_TYPES[node.data("type")] ? summary[node.id()] : null;
    var flowscope = graph(), worst = null, count = 0;
    (flowscope && flowscope.membersOf ? flowscope.membersOf(node.id()) : []).forEach(function (arn) {
      var entry = summary[arn];
      if (!entry || !entry.count || !entry.max_severity) return;
      count += entry.count;
      if (!worst || RANK[entry.max_severity] > RANK[worst]) worst = entry.max_severity;
    });
    return count ? { count: count, max_severity: worst } : null;
  }

  function badge(node) {
    if (!AUDITED_TYPES[node.data("type")] && node.data("type") !== "group") return;
    if (node.isParent()) return;
    var entry = entryFor(node);
    SEVERITIES.forEach(function (severity) { node.removeClass("fs-audit-" + severity); });
    if (entry && entry.count > 0 && entry.max_severity) {
      node.addClass("fs-audit fs-audit-" + entry.max_severity);
      node.data({ audit_count: entry.count, audit_severity: entry.max_severity });
    } else {
      node.removeClass("fs-audit");
      node.removeData("audit_count audit_severity");
    }
  }

  function badgeAll() {
    var cy = boundCy;
    if (!cy) return;
    cy.batch(function () { cy.nodes().forEach(badge); });
    var container = cy.container();
    if (container) container.dataset.auditBadges = String(cy.nodes(".fs-audit").length);
  }

  function bind() {
    var flowscope = graph();
    var cy = flowscope && flowscope.cy;
    if (!cy || cy === boundCy) return;
    boundCy = cy;
    styleBadges(cy);
    // Regrouping and refreshes after a sync add nodes anew: badge them as they come.
    cy.on("add", "node", function (event) { badge(event.target); });
    badgeAll();
  }

  function loadSummary() {
    return getJSON(urls.summary).then(function (body) {
      summary = body && typeof body === "object" ? body : {};
      version += 1;
      findingsCache.clear();
      bind();
      badgeAll();
      refreshSection();
    }).catch(function () { /* no badges; the graph itself is unaffected */ });
  }

  // ------------------------------------------------------------------ inspector

  function findingsFor(arn) {
    var key = version + " " + arn;
    if (!findingsCache.has(key)) {
      findingsCache.set(key, getJSON(withParams(urls.findings, { arn: arn })).then(function (body) {
        return (body && body.findings) || [];
      }));
    }
    return findingsCache.get(key);
  }

  function findingItem(finding) {
    var item = el("li", "fs-audit-item fs-audit-item-" + finding.severity + (finding.suppressed ? " fs-audit-suppressed" : ""));
    var head = el("div", "fs-audit-item-head");
    head.appendChild(el("span", "severity-badge severity-" + finding.severity, finding.severity));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("span", "fs-audit-title", finding.title));
    item.appendChild(head);
    if (finding.suppressed) {
      item.appendChild(el("p", "fs-audit-reason", "Suppressed: " + (finding.suppressed_reason || "no reason recorded")));
    }
    if (finding.policy) item.appendChild(el("p", "fs-audit-policy", "Policy: " + finding.policy));
    return item;
  }

  function links(arn, type) {
    var p = el("p", "fs-audit-links");
    var audit = el("a", null, "On the audit page");
    audit.href = withParams(urls.audit, type === "iam_role" ? { role: arn } : { "function": arn });
    p.appendChild(audit);
    if (type === "iam_role") {
      var role = el("a", "fs-audit-role-link", "Role page: permissions and proposed policy");
      role.href = rolePageUrl(arn);
      p.appendChild(document.createTextNode(" · "));
      p.appendChild(role);
    } else {
      var node = graph().state.nodes.get(arn);
      var roleArn = node && node.attributes && node.attributes.role;
      if (roleArn) {
        var roleLink = el("a", "fs-audit-role-link", "Its role's page");
        roleLink.href = rolePageUrl(roleArn);
        p.appendChild(document.createTextNode(" · "));
        p.appendChild(roleLink);
      }
    }
    return p;
  }

  // ------------------------------------------------------------------ who can change a function

  function takersFor(arn) {
    var key = version + " takeover " + arn;
    if (!findingsCache.has(key)) {
      findingsCache.set(key, getJSON(withParams(urls.findings, { category: TAKEOVER, "function": arn }))
        .then(function (body) { return (body && body.findings) || []; }));
    }
    return findingsCache.get(key);
  }

  function shortName(arn) {
    var text = String(arn || "");
    return text.indexOf("/") >= 0 ? text.slice(text.lastIndexOf("/") + 1) : text;
  }

  function takerItem(finding) {
    var item = el("li", "fs-audit-item fs-audit-item-" + finding.severity + (finding.suppressed ? " fs-audit-suppressed" : ""));
    item.dataset.principal = finding.principal;
    var head = el("div", "fs-audit-item-head");
    head.appendChild(el("span", "severity-badge severity-" + finding.severity, finding.severity));
    head.appendChild(document.createTextNode(" "));
    var who;
    if (finding.principal.indexOf(":role/") >= 0) {
      who = el("a", "fs-takeover-principal", shortName(finding.principal));
      who.href = rolePageUrl(finding.principal);
    } else {
      who = el("span", "fs-takeover-principal", shortName(finding.principal));
    }
    who.title = finding.principal;
    head.appendChild(who);
    if (finding.confidence && finding.confidence !== "high") {
      head.appendChild(el("span", "fs-muted", " (under conditions)"));
    }
    item.appendChild(head);
    item.appendChild(el("p", "fs-audit-policy fs-takeover-actions", "With " + (finding.actions || []).join(", ")));
    if (finding.suppressed) {
      item.appendChild(el("p", "fs-audit-reason", "Suppressed: " + (finding.suppressed_reason || "no reason recorded")));
    }
    return item;
  }

  function fillTakers(box, arn, takers) {
    while (box.childNodes.length > 1) box.removeChild(box.lastChild);
    if (!takers.length) {
      box.appendChild(el("p", "fs-muted", "No synced principal other than its own role may change it."));
    } else {
      var list = el("ul", "fs-audit-list fs-takeover-list");
      takers.forEach(function (f) { list.appendChild(takerItem(f)); });
      box.appendChild(list);
    }
    var more = el("a", "fs-takeover-link", "On its audit view");
    more.href = withParams(urls.audit, { "function": arn });
    box.appendChild(el("p", "fs-audit-links", null)).appendChild(more);
    box.dataset.state = "loaded";
  }

  function renderTakers(section, arn) {
    var box = el("div", "fs-takeover");
    box.id = TAKEOVER_ID;
    box.dataset.state = "loading";
    box.appendChild(el("h4", null, "Who can change this function"));
    box.appendChild(el("p", "fs-muted", "Loading…"));
    section.appendChild(box);
    takersFor(arn).then(function (takers) {
      if (box.isConnected) fillTakers(box, arn, takers);
    }).catch(function (error) {
      if (!box.isConnected) return;
      box.lastChild.textContent = "Could not load who can change it: " + (error.message || error);
      box.dataset.state = "error";
    });
  }

  function fill(section, arn, type, findings) {
    while (section.childNodes.length > 1) section.removeChild(section.lastChild);
    // A function's takeovers are listed under "Who can change this function", not twice.
    var listed = type === "lambda_function" ? findings.filter(function (f) {
      return f.category !== TAKEOVER || f.principal === arn;
    }) : findings;
    var open = listed.filter(function (f) { return !f.suppressed; }).length;
    section.firstChild.textContent = "IAM audit (" + open + (listed.length > open ? " + " +
      (listed.length - open) + " suppressed" : "") + ")";
    if (!listed.length) {
      section.appendChild(el("p", "fs-muted", "No audit findings."));
    } else {
      var list = el("ul", "fs-audit-list");
      // Most severe first (the API's order), with the suppressed ones after the open ones.
      var ordered = listed.filter(function (f) { return !f.suppressed; })
        .concat(listed.filter(function (f) { return f.suppressed; }));
      ordered.forEach(function (f) { list.appendChild(findingItem(f)); });
      section.appendChild(list);
    }
    if (type === "lambda_function") renderTakers(section, arn);
    section.appendChild(links(arn, type));
    section.dataset.state = "loaded";
  }

  function renderSection() {
    var flowscope = graph(), body = document.getElementById("fs-inspector-body");
    if (!flowscope || !body) return;
    var arn = flowscope.state.selected, node = arn && flowscope.state.nodes.get(arn);
    if (!node || !AUDITED_TYPES[node.type] || document.getElementById(SECTION_ID)) return;
    var section = el("section", "fs-audit-section");
    section.id = SECTION_ID;
    section.dataset.arn = arn;
    section.dataset.state = "loading";
    section.appendChild(el("h3", null, "IAM audit"));
    section.appendChild(el("p", "fs-muted", "Loading findings…"));
    // Before the configuration table when graph.js drew one, else at the end.
    var config = body.querySelector(".fs-config");
    var anchor = config && config.closest("section");
    if (anchor && anchor.parentNode === body) body.insertBefore(section, anchor); else body.appendChild(section);
    findingsFor(arn).then(function (findings) {
      if (section.isConnected) fill(section, arn, node.type, findings);
    }).catch(function (error) {
      if (!section.isConnected) return;
      section.lastChild.textContent = "Could not load the audit findings: " + (error.message || error);
      section.dataset.state = "error";
    });
  }

  function refreshSection() {
    var section = document.getElementById(SECTION_ID);
    if (section) section.remove();
    renderSection();
  }

  function watchInspector() { common.watchInspector(SECTION_ID, renderSection); }

  function addStylesheet() { common.addStylesheet(script && script.dataset.stylesheet); }

  function start() {
    if (!document.getElementById("fs-graph")) return;
    addStylesheet();
    watchInspector();
    var graphElement = document.getElementById("fs-graph");
    // The Cytoscape instance exists once graph.js has drawn: its data-state says when.
    new MutationObserver(function () { bind(); badgeAll(); }).observe(graphElement,
      { attributes: true, attributeFilter: ["data-state"] });
    var flowscope = graph();
    if (flowscope && typeof flowscope.subscribe === "function") {
      // Published after each sync's audit (flows.tasks.audit_after_sync).
      flowscope.subscribe("audit", function () { loadSummary(); });
    }
    loadSummary();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
