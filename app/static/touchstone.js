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

  // A form sent the ordinary way takes its page with it. A request from inside it still
  // waiting on its delay (the password meter's 300 ms) would otherwise go out after the
  // answer has changed the session, be refused with the old CSRF token, and flash an error
  // banner on a page that is leaving. htmx forms cancel the event themselves, so they
  // are never marked. Coming back to the page (back button) unmarks it.
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) event.target.setAttribute("data-submitted", "");
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("form[data-submitted]")) event.preventDefault();
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      form.removeAttribute("data-submitted");
    });
  });

  // A "Show" button beside every password field (OWASP ASVS 2.1.12), so a long passphrase
  // can be checked before it is sent. It is added here, not in the templates, because it
  // only works with this script. Its name says which field it shows; aria-pressed its state.
  function passwordToggles(root) {
    var fields = root.querySelectorAll ? root.querySelectorAll('input[type="password"]') : [];
    Array.prototype.forEach.call(fields, function (input) {
      if (input.dataset.toggle) return;
      input.dataset.toggle = "1";
      var label = input.id && document.querySelector('label[for="' + input.id + '"]');
      var name = label ? label.childNodes[0].textContent.trim() : "password";
      var row = document.createElement("div");
      row.className = "password-row";
      input.parentNode.insertBefore(row, input);
      row.appendChild(input);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn password-toggle";
      // Named by its text, "Show" plus the field's label for screen readers (not aria-label,
      // which would make the button a second match for the field's own label).
      button.textContent = "Show";
      var which = document.createElement("span");
      which.className = "sr-only";
      which.textContent = " " + name.charAt(0).toLowerCase() + name.slice(1);
      button.appendChild(which);
      button.setAttribute("aria-pressed", "false");
      if (input.id) button.setAttribute("aria-controls", input.id);
      button.addEventListener("click", function () {
        var show = input.type === "password";
        input.type = show ? "text" : "password";
        button.setAttribute("aria-pressed", show ? "true" : "false");
      });
      row.appendChild(button);
      // Send it as a password field again, so password managers recognise what they save.
      if (input.form) input.form.addEventListener("submit", function () {
        input.type = "password";
        button.setAttribute("aria-pressed", "false");
      });
    });
  }
  passwordToggles(document);
  document.addEventListener("htmx:load", function (event) { passwordToggles(event.detail.elt); });

  // A read-back of a field on the same page (the check screen's overall remark) follows
  // what is typed: <dd data-echo="field-id"> holds [data-echo-value] and [data-echo-empty].
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.id) return;
    var echoes = document.querySelectorAll('[data-echo="' + field.id + '"]');
    for (var i = 0; i < echoes.length; i++) {
      var text = field.value.trim();
      var value = echoes[i].querySelector("[data-echo-value]");
      var empty = echoes[i].querySelector("[data-echo-empty]");
      if (value) { value.textContent = text; value.hidden = !text; }
      if (empty) empty.hidden = !!text;
    }
  });

  // On a phone the main navigation is one row that scrolls sideways: bring the current
  // page's link into view, so "People" or "Locations" is not hidden off the edge.
  var nav = document.querySelector(".mainnav");
  var current = nav && nav.querySelector('[aria-current="page"]');
  if (current && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = current.offsetLeft - nav.offsetLeft - 24;
  }
})();
