// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // The language switcher changes on select; its button stays for keyboard and no-JS use.
    document.querySelectorAll(".js-language-form select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Warn before leaving while typed text is not saved: only a response that really
    // saved (data-state="saved") clears the flag, not a conflict or a validation error.
    var form = document.getElementById("draft-form");
    if (form) {
      var dirty = false;
      form.addEventListener("input", function () { dirty = true; });
      document.body.addEventListener("htmx:afterSettle", function () {
        var status = document.getElementById("autosave-status");
        if (status && status.dataset.state === "saved") { dirty = false; }
      });
      form.addEventListener("submit", function () { dirty = false; });
      window.addEventListener("beforeunload", function (event) {
        if (dirty) { event.preventDefault(); event.returnValue = ""; }
      });
    }
  });
})();
