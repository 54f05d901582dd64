// The complaint form's character counter and the posters page's copy buttons. Both pages
// work without it; the CSP allows only the app's own scripts, hence a file of its own.
(function () {
  "use strict";

  function count(area) {
    var out = document.getElementById(area.getAttribute("data-count"));
    if (!out) return;
    var max = parseInt(area.getAttribute("maxlength"), 10);
    var left = max - area.value.length;
    out.textContent = area.value.length.toLocaleString("en") + " of " + max.toLocaleString("en") +
      " characters" + (left < 100 ? " (" + left.toLocaleString("en") + " left)" : "");
  }

  document.querySelectorAll("textarea[data-count]").forEach(function (area) {
    count(area);
    area.addEventListener("input", function () { count(area); });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    var done = function () {
      var label = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", label);
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
    } else {
      field.select();
      if (document.execCommand("copy")) done();
    }
  });
})();
