// The complaint form's character counter and the posters page's copy buttons. Both pages
// work without it; the CSP allows only the app's own scripts, hence a file of its own.
(function () {
  "use strict";

  // The words come from the page, in its language (data-count-text, data-left-text: "{n}"
  // and the like are filled in here), and the numbers are written as that language does.
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }

  function count(area) {
    var out = document.getElementById(area.getAttribute("data-count"));
    if (!out) return;
    var lang = document.documentElement.lang || "en";
    var max = parseInt(area.getAttribute("maxlength"), 10);
    var left = max - area.value.length;
    var num = function (n) { return n.toLocaleString(lang); };
    var text = fill(area.getAttribute("data-count-text") || "{n} of {max} characters",
      { n: num(area.value.length), max: num(max) });
    if (left < 100) {
      text += " " + fill(area.getAttribute("data-left-text") || "({left} left)", { left: num(left) });
    }
    out.textContent = text;
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
