// Touchstone page helpers. The CSP allows only this app's own scripts, so behaviour that
// htmx does not cover lives here, small and without dependencies.
(function () {
  "use strict";

  var MESSAGES = {
    403: "That was refused: your role may not allow it, or the page is out of date. Reload the page and try again.",
    404: "That item no longer exists. Reload the page to see the current state.",
    409: "Someone changed this in the meantime. Reload the page and try again.",
    413: "That was too large to send.",
    429: "Too many attempts. Wait a little, then try again."
  };

  function banner(text) {
    var box = document.getElementById("request-problem");
    if (!box) return;
    box.querySelector("[data-text]").textContent = text;
    box.hidden = false;
    box.focus();
  }

  // htmx does not swap error responses into the page (except 400/422 form answers), so
  // without this the user would see nothing at all when a change did not go through.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    banner(MESSAGES[status] || "Something went wrong on our side (error " + status + "). Your change was not saved; please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    banner("No connection to the server. Your change was not saved; try again when you are back online.");
  });
  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-dismiss]");
    if (close) close.parentElement.hidden = true;
  });
})();
