/* The graph page's sync and live connection: "Sync now" with its progress, the last sync's
 * status and errors, and the one WebSocket (/ws/live/) whose messages the page's other
 * scripts subscribe to. Text only: sync errors come from AWS and are shown as text.
 */
(function (scope) {
  "use strict";

  var C = scope.FlowscopeCommon;
  var el = C.el, clear = C.clear, plural = C.plural;

  function $(id) { return document.getElementById(id); }

  // page: {state, config, fetchJSON(url), showBanner(kind, text), refreshGraph()} from graph.js.
  scope.FlowscopeSync = function (page) {
    var state = page.state, config = page.config, fetchJSON = page.fetchJSON;
    var showBanner = page.showBanner;
    function refreshGraph() { return page.refreshGraph(); }


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

    return { start: startSync, initialStatus: initialStatus, connect: connectLive, send: sendLive };
  };
})(window);
