/* Audit and role pages: the "Copy policy" button. Everything else on them is server-rendered. */
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

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy-target]"), function (button) {
      button.addEventListener("click", function () { copy(button); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
