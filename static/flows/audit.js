/* Audit and role pages: the "Copy policy" button and the role page's service search.
 * Everything else on them is server-rendered. */
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copy(button) {
    var source = document.getElementById(button.dataset.copyTarget);
    var status = document.getElementById(button.id + "-status");
    if (!source) return;
    var text = source.textContent;
    function done(message) {
      if (status) status.textContent = message;
      button.dataset.copied = message === "Copied." ? "yes" : "no";
    }
    // The Clipboard API needs a secure context (HTTPS or localhost); elsewhere select the text
    // so the user can copy it with the keyboard.
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done("Copied."); }, function () {
        selectText(source);
        done("Selected: press Ctrl+C (⌘C) to copy.");
      });
    } else {
      selectText(source);
      done("Selected: press Ctrl+C (⌘C) to copy.");
    }
  }

  // Shows the services whose name or actions contain the query; the list's collapsed box
  // opens while a query is typed so matches are visible without another click.
  function filterServices(input) {
    var list = document.getElementById(input.dataset.filterTarget);
    if (!list) return;
    var query = input.value.trim().toLowerCase();
    var shown = 0, items = list.querySelectorAll(".service-permissions");
    Array.prototype.forEach.call(items, function (item) {
      var match = !query || item.dataset.service.toLowerCase().indexOf(query) >= 0 ||
        (item.dataset.actions || "").toLowerCase().indexOf(query) >= 0;
      item.hidden = !match;
      if (match) shown += 1;
    });
    var box = list.closest("details");
    if (box && query) box.open = true;
    var status = document.getElementById(input.id + "-status");
    if (status) status.textContent = query ? shown + " of " + items.length + " services match." : "";
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy-target]"), function (button) {
      button.addEventListener("click", function () { copy(button); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("input[data-filter-target]"), function (input) {
      input.addEventListener("input", function () { filterServices(input); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
