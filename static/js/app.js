// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // The language switcher changes on select; its button stays for keyboard and no-JS use.
    document.querySelectorAll(".js-language-form select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Warn before leaving while an autosave is still pending.
    var form = document.getElementById("draft-form");
    if (form) {
      var dirty = false;
      form.addEventListener("input", function () { dirty = true; });
      document.body.addEventListener("htmx:afterRequest", function (event) {
        if (event.detail.elt === form && event.detail.successful) { dirty = false; }
      });
      form.addEventListener("submit", function () { dirty = false; });
      window.addEventListener("beforeunload", function (event) {
        if (dirty) { event.preventDefault(); event.returnValue = ""; }
      });
    }
  });
})();
