// Touchstone page helpers. The CSP allows only this app's own scripts, so behaviour that
// htmx does not cover lives here, small and without dependencies.
(function () {
  "use strict";

  // The words the scripts say, in the page's language: a page not in English carries them
  // in <script type="application/json" id="ts-strings"> (templates/_js_strings.html, marked
  // there for translation). The English text is the key, and what is said without a match.
  // "{n}" and the like are filled in from `values`.
  var STRINGS = (function () {
    var el = document.getElementById("ts-strings");
    if (!el) return {};
    try { return JSON.parse(el.textContent) || {}; } catch (e) { return {}; }
  })();

  function t(text, values) {
    var out = STRINGS[text] || text;
    if (!values) return out;
    return out.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? String(values[key]) : all;
    });
  }

  // The singular or the plural sentence for `n` (English and Spanish both have two forms).
  function tn(one, many, n, values) {
    var v = values || {};
    v.n = n;
    return t(n === 1 ? one : many, v);
  }
  window.touchstoneT = t;
  window.touchstoneTn = tn;

  var MESSAGES = {
    403: t("That was refused: your role may not allow it, or the page is out of date. Reload the page and try again."),
    404: t("That item no longer exists. Reload the page to see the current state."),
    409: t("Someone changed this in the meantime. Reload the page and try again."),
    413: t("That was too large to send."),
    429: t("Too many attempts. Wait a little, then try again.")
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
    banner(MESSAGES[status] || t("Something went wrong on our side (error {status}). Your change was not saved; please try again.", { status: status }));
  });
  document.addEventListener("htmx:sendError", function () {
    banner(t("No connection to the server. Your change was not saved; try again when you are back online."));
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
      button.textContent = t("Show");
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

  // Logging out while answers are still on the phone (issue 13): the page says so and offers
  // to send them first, or to log out anyway (they stay on the phone, kept under this user,
  // and go out after this user's next login). Works on every page: the count is read from
  // the phone's storage; the sending needs the queue script (the shopper's pages).
  var PHOTO_DB = "touchstone-photos";

  function photosWaiting(user) {
    if (!window.indexedDB) return Promise.resolve(0);
    return new Promise(function (resolve) {
      var request;
      try { request = window.indexedDB.open(PHOTO_DB, 1); } catch (e) { return resolve(0); }
      request.onupgradeneeded = function () { request.result.createObjectStore("photos", { keyPath: "id" }); };
      request.onerror = function () { resolve(0); };
      request.onsuccess = function () {
        var db = request.result;
        try {
          var all = db.transaction("photos", "readonly").objectStore("photos").getAll();
          all.onsuccess = function () {
            // A photo kept before photos named their user counts for whoever is logged in.
            resolve(all.result.filter(function (rec) { return !rec.user || rec.user === user; }).length);
            db.close();
          };
          all.onerror = function () { resolve(0); db.close(); };
        } catch (e) { resolve(0); db.close(); }
      };
    });
  }

  function waitingText(user, pics) {
    var queue = [];
    try {
      queue = JSON.parse(window.localStorage.getItem("touchstone:queue:v1:" + user)) || [];
      queue = queue.concat(JSON.parse(window.localStorage.getItem("touchstone:queue:v1")) || []);
    } catch (e) { queue = []; }
    var kept = keptWords(queue, pics);
    return kept.total ? kept : null;
  }

  // What waits on the phone in words: {text: "2 answers and 1 photo", total: 3}, text
  // "nothing" when nothing waits. `queue` is the outbox's items, `pics` the photos kept.
  // The offline queue (touchstone-queue.js) says it the same way, through this.
  function keptWords(queue, pics) {
    var counts = { answer: 0, comment: 0, visit: 0, removal: 0, expense: 0 };
    queue.forEach(function (item) {
      if (item.question) counts.answer += 1;
      else if (item.photo) counts.removal += 1;
      else if (item.expense) counts.expense += 1;
      else if (/^s:|:comment$/.test(item.key)) counts.comment += 1;
      else counts.visit += 1;
    });
    var parts = [];
    function say(n, one, many) { if (n) parts.push(tn(one, many, n)); }
    say(counts.answer, "{n} answer", "{n} answers");
    say(counts.comment, "{n} comment", "{n} comments");
    say(counts.visit, "{n} visit detail", "{n} visit details");
    say(pics, "{n} photo", "{n} photos");
    say(counts.removal, "{n} photo removal", "{n} photo removals");
    say(counts.expense, "{n} expense", "{n} expenses");
    var total = counts.answer + counts.comment + counts.visit + pics + counts.removal + counts.expense;
    var last = parts.pop();
    if (!total) return { text: t("nothing"), total: 0 };
    var text = parts.length ? t("{list} and {last}", { list: parts.join(", "), last: last }) : last;
    return { text: text, total: total };
  }
  window.touchstoneKeptWords = keptWords;

  function logOut(form) {
    form.setAttribute("data-logout-confirmed", "");
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function logoutWarning(form, user, text) {
    var box = document.getElementById("logout-warning");
    if (!box) {
      box = document.createElement("div");
      box.id = "logout-warning";
      box.className = "logout-warning stack-sm";
      box.setAttribute("role", "alert");
      var words = document.createElement("p");
      words.setAttribute("data-text", "");
      var send = document.createElement("button");
      send.type = "button";
      send.className = "btn btn-small btn-primary";
      send.textContent = t("Send them first");
      var anyway = document.createElement("button");
      anyway.type = "button";
      anyway.className = "btn btn-small";
      anyway.textContent = t("Log out anyway");
      box.appendChild(words);
      box.appendChild(send);
      box.appendChild(document.createTextNode(" "));
      box.appendChild(anyway);
      form.parentNode.insertBefore(box, form.nextSibling);
      anyway.addEventListener("click", function () { logOut(form); });
      send.addEventListener("click", function () {
        if (!window.touchstoneQueue) {
          // This page has no outbox: the shopper's own page sends on opening.
          window.location.href = "/";
          return;
        }
        words.textContent = t("Sending…");
        send.disabled = true;
        window.touchstoneQueue.send().then(function () {
          return photosWaiting(user);
        }).then(function (pics) {
          send.disabled = false;
          var left = waitingText(user, pics);
          if (!left) return logOut(form);
          words.textContent = tn("Not sent: there is no connection, or the server did not take them. " +
            "{kept} is still on this phone. Send them when you have signal, or log out anyway and " +
            "they stay on this phone for your next login.",
            "Not sent: there is no connection, or the server did not take them. " +
            "{kept} are still on this phone. Send them when you have signal, or log out anyway and " +
            "they stay on this phone for your next login.", left.total, { kept: left.text });
        });
      });
    }
    box.querySelector("[data-text]").textContent = tn("{kept} is not on the server yet. Send them first " +
      "(needs signal) or log out anyway and they stay on this phone for your next login.",
      "{kept} are not on the server yet. Send them first " +
      "(needs signal) or log out anyway and they stay on this phone for your next login.",
      text.total, { kept: text.text });
    box.hidden = false;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("action") !== "/logout" || form.hasAttribute("data-logout-confirmed")) return;
    var user = document.body.getAttribute("data-user");
    if (!user) return;
    event.preventDefault();
    photosWaiting(user).then(function (pics) {
      var text = waitingText(user, pics);
      if (!text) return logOut(form);
      logoutWarning(form, user, text);
    });
  }, true);

  // On a phone the main navigation is one row that scrolls sideways: bring the current
  // page's link into view, so "People" or "Locations" is not hidden off the edge.
  var nav = document.querySelector(".mainnav");
  var current = nav && nav.querySelector('[aria-current="page"]');
  if (current && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = current.offsetLeft - nav.offsetLeft - 24;
  }

  // Recovery replies: copy the (possibly edited) message; where the clipboard is not
  // allowed, select the text so the owner can copy it by hand.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-reply]");
    if (!button) return;
    var id = button.getAttribute("data-copy-reply");
    var text = document.getElementById(id);
    var said = document.querySelector('[data-copied="' + id + '"]');
    function selected() {
      text.focus();
      text.select();
      if (said) said.textContent = "Selected: copy it with your keyboard or menu.";
    }
    if (!navigator.clipboard || !window.isSecureContext) return selected();
    navigator.clipboard.writeText(text.value).then(function () {
      if (said) said.textContent = "Copied.";
    }, selected);
  });
  // The journey map (owners): drag a stage by its heading, a touchpoint by its card, to a
  // new place; a card may go into another stage. The drop sends the new order and htmx
  // swaps in the board the server drew, so what is shown is what was saved; a stale order
  // (another owner changed the map) is refused with the usual banner. The arrow buttons
  // stay as the keyboard's and the phone's way.
  var dragged = null;

  function dropZone(target) {
    if (!dragged || !target.closest) return null;
    return dragged.kind === "card"
      ? target.closest("ol.cards[data-stage]")
      : target.closest("ol.journey[data-drag-stages]");
  }

  function idsInOrder(zone, selector, event) {
    // Where the pointer is among the other items: before the first whose middle it has
    // not passed. Stages side by side compare across, stacked ones (a phone) down.
    var items = Array.prototype.filter.call(zone.querySelectorAll(selector), function (el) {
      return el !== dragged.el && el.parentElement === zone;
    });
    var across = items.length > 1 &&
      Math.abs(items[0].getBoundingClientRect().top - items[1].getBoundingClientRect().top) < 4;
    var index = items.length;
    for (var i = 0; i < items.length; i++) {
      var box = items[i].getBoundingClientRect();
      var middle = across ? box.left + box.width / 2 : box.top + box.height / 2;
      if ((across ? event.clientX : event.clientY) < middle) { index = i; break; }
    }
    items.splice(index, 0, dragged.el);
    return items.map(function (el) { return el.id.split("-").pop(); });
  }

  document.addEventListener("dragstart", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var card = target.closest("[data-drag-card]");
    var head = target.closest("[data-drag-stage]");
    if (card) dragged = { kind: "card", el: card };
    else if (head) dragged = { kind: "stage", el: head.closest("li.stage") };
    else return;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.el.id);
    dragged.el.classList.add("is-dragging");
  });
  document.addEventListener("dragover", function (event) {
    var zone = dropZone(event.target);
    if (!zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-zone").forEach(function (el) {
      if (el !== zone) el.classList.remove("drop-zone");
    });
    zone.classList.add("drop-zone");
  });
  document.addEventListener("drop", function (event) {
    var zone = dropZone(event.target);
    if (!zone) return;
    event.preventDefault();
    var values, url;
    if (dragged.kind === "card") {
      values = { stage_id: zone.getAttribute("data-stage"), ids: idsInOrder(zone, "li.tp-card", event).join(",") };
      url = "/touchpoints/" + dragged.el.id.split("-").pop() + "/place";
    } else {
      values = { ids: idsInOrder(zone, "li.stage[id]", event).join(",") };
      url = "/journey/order";
    }
    htmx.ajax("POST", url, { source: zone, target: "#journey-board", swap: "outerHTML", values: values });
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.el.classList.remove("is-dragging");
    document.querySelectorAll(".drop-zone").forEach(function (el) { el.classList.remove("drop-zone"); });
    dragged = null;
  });
})();

// The touchpoint page's phone preview: tapping an answer judges the show-when rules with the
// phone's own rule language (touchstone-conditions.js, loaded on that page), so a follow-up
// fades in and out as it would on the phone.
(function () {
  "use strict";
  function judge(frame) {
    var rules = window.TouchstoneConditions;
    if (!rules || !frame) return;
    var blocks = Array.prototype.slice.call(frame.querySelectorAll(".pv-question"));
    var answers = {};
    var questions = blocks.map(function (block) {
      var lineage = block.getAttribute("data-lineage");
      var kind = block.getAttribute("data-kind");
      var on = block.querySelector('[data-pv-value][aria-pressed="true"]');
      if (on) {
        var value = on.getAttribute("data-pv-value");
        answers[lineage] = value === "na" ? { value: null, na: true } : { value: rules.stored(kind, value), na: false };
      }
      return {
        lineage: lineage, kind: kind, config: JSON.parse(block.getAttribute("data-config") || "{}"),
        show_if: JSON.parse(block.getAttribute("data-show-if") || "null")
      };
    });
    var shown = rules.visible(questions, answers);
    blocks.forEach(function (block) {
      block.setAttribute("data-hidden", shown[block.getAttribute("data-lineage")] ? "false" : "true");
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-pv-value]");
    if (!button) return;
    var block = button.closest(".pv-question");
    var was = button.getAttribute("aria-pressed") === "true";
    block.querySelectorAll("[data-pv-value]").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    button.setAttribute("aria-pressed", was ? "false" : "true");
    judge(button.closest("[data-pv-frame]"));
  });
})();
