// The top bar's status line: hidden while everything works; amber or red, with what to do,
// when live data goes stale (no poll, no worker, polling behind), Redis or the database are
// away, or the last sync failed. Reads /api/health/ every 15 seconds.
(function () {
  "use strict";
  var line = document.getElementById("fs-health");
  if (!line) return;
  var EVERY_MS = 15000;
  var TITLES = {
    database: "Database unreachable",
    redis: "Redis unreachable",
    workers: "No Celery worker",
    polling: "Live data stale",
    last_sync: "Last sync failed",
  };

  function summary(name, check) {
    var title = TITLES[name] || name;
    if (name === "polling" && typeof check.lag_seconds === "number") {
      return title + ": polling " + Math.round(check.lag_seconds) + " s behind";
    }
    return title;
  }

  function show(level, headline, advice) {
    line.hidden = false;
    line.className = "fs-health fs-health-" + level;
    line.dataset.level = level;
    line.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = headline;
    line.appendChild(strong);
    if (advice) {
      var details = document.createElement("span");
      details.className = "fs-health-advice";
      details.textContent = " " + advice;
      line.appendChild(details);
    }
    line.title = advice || headline;
  }

  function render(report) {
    var worst = null;
    var rank = { fail: 2, warn: 1 };
    Object.keys(report.checks || {}).forEach(function (name) {
      var check = report.checks[name];
      if (!rank[check.status]) return;
      if (!worst || rank[check.status] > rank[worst.check.status]) worst = { name: name, check: check };
    });
    if (!worst) {
      line.hidden = true;
      line.dataset.level = "ok";
      return;
    }
    show(worst.check.status === "fail" ? "red" : "amber", summary(worst.name, worst.check),
      worst.check.advice || "");
  }

  function refresh() {
    fetch(line.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(render)
      .catch(function () {
        show("red", "Server unreachable", "The dashboard cannot reach Flowscope; what it shows may be out of date.");
      });
  }

  refresh();
  setInterval(refresh, EVERY_MS);
})();
