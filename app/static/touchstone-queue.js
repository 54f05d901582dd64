// Touchstone offline queue for the shopper's fill pages. Every answer is written to
// localStorage FIRST, then sent; it leaves the queue only when the server acknowledged it:
// a JSON answer that names the item (its kind, the phone's id, the question). A redirect
// (a login page), an HTML page or a bare 200 is no acknowledgement: the item stays.
// An ended login stops the sending and keeps everything; a refusal the shopper can act on
// (shop handed in, question gone, a bad value) is kept as a note next to the question.
// docs/reliability.md says what the queue promises.
// Without signal, answers wait and go out in order on `online`, `pageshow` and a retry with
// backoff. The ids are made here, on the phone, so a resend is an update, never a duplicate.
// Photos are too big for localStorage: they wait in IndexedDB and go out after the answers.
// Each answer carries the time it was given here (`given_at`); the server keeps the newest
// by that time, so an older copy from this phone gives way to a newer one from another
// device, with a note next to the question.
(function () {
  "use strict";

  // One outbox per user: every key names the logged-in user (the body's data-user), so a
  // shared phone never shows or sends one person's answers under another's login.
  var USER = document.body.getAttribute("data-user") || "";
  if (!USER) return;  // no login: nothing to keep or send

  // What this script says, in the page's language (touchstone.js reads the page's words).
  var t = window.touchstoneT || function (text) { return text; };
  var tn = window.touchstoneTn || function (one, many, n) { return n === 1 ? one : many; };
  var QUEUE = "touchstone:queue:v1:" + USER;
  var root = document.getElementById("fill");
  var shop = root ? root.getAttribute("data-shop") : null;
  function shopKey(kind, shopId) { return "touchstone:" + kind + ":" + USER + ":" + shopId; }
  // What this phone answered: {qid: {id, value, na, comment, given_at, revision}}.
  var GIVEN = shopKey("given", shop);
  var IDS = shopKey("ids", shop);      // the answer id per question, reused on every re-answer
  var VISIT = shopKey("visit", shop);  // visit fields and section comments typed here
  // Text typed and not yet taken as an answer, written on every keystroke: {"q<qid>":
  // {input, comment}, "s<tp>": text, "visit": {field: text}}. Restored (and sent) on reopening.
  var DRAFTS = shopKey("drafts", shop);
  // What the server acknowledged of this shop, for the receipt (a page from the offline copy
  // may be older than that): {at: ms since the epoch, ids: [question ids]}.
  var LAST_ACK = shopKey("acked", shop);
  // Photos the shopper took off this shop here: hidden at once, also on a saved copy of the
  // page that still shows them, until the shop is handed in. [photo ids]
  var REMOVED = shopKey("removed", shop);
  // Photos this phone sent, {photo id: {question, url}}: a saved copy of the page older than
  // the send (opened without signal, or on a slow one) still shows them.
  var SENT_PHOTOS = shopKey("photos", shop);
  // Expense claims made or changed here (audits/expenses), shown also on a saved copy of the
  // page older than them: {expense id: {amount, currency, what_for, receipt, removed}}.
  var EXPENSES = shopKey("expenses", shop);
  // Notes kept next to a question until it is given again: a refusal, or an answer replaced
  // by a newer one from another device. {item key: {shop, question|stateKey, message, kind}}
  var REFUSED = "touchstone:refused:v1:" + USER;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var sending = false;
  var retryDelay = 0;
  var retryTimer = null;
  // Why the queue cannot send until the shopper logs in again: "" (it can), "login" (the
  // login ended: password changed elsewhere, expired) or the server's own words on a 403.
  var stopped = "";

  function load(key, fallback) {
    try {
      var value = JSON.parse(window.localStorage.getItem(key));
      return value === null || value === undefined ? fallback : value;
    } catch (e) {
      return fallback;
    }
  }

  function store(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (e) {
      status(t("This phone's storage is full: answers cannot be kept offline. Stay on this page until they are sent."), true);
      return false;
    }
  }

  // Items kept before the outbox was per user (unkeyed) belong to whoever logs in first on
  // this phone afterwards: they were made under a login on this phone, and the server still
  // checks each one against the login that sends it (a shop not assigned to this user is
  // refused, never stored under them). Moved once; the unkeyed keys are then gone.
  function adoptUnkeyed() {
    var old = load("touchstone:queue:v1", null);
    if (old) {
      var mine = load(QUEUE, []);
      var keys = {};
      mine.forEach(function (item) { keys[item.key] = true; });
      store(QUEUE, old.filter(function (item) { return !keys[item.key]; }).concat(mine));
      window.localStorage.removeItem("touchstone:queue:v1");
    }
    var notes = load("touchstone:refused:v1", null);
    if (notes) {
      var kept = load(REFUSED, {});
      Object.keys(notes).forEach(function (k) { if (!kept[k]) kept[k] = notes[k]; });
      store(REFUSED, kept);
      window.localStorage.removeItem("touchstone:refused:v1");
    }
    var moves = [];
    for (var i = 0; i < window.localStorage.length; i++) {
      var m = /^touchstone:(given|ids|visit):(\d+|null)$/.exec(window.localStorage.key(i) || "");
      if (m) moves.push(m);
    }
    moves.forEach(function (m) {
      var target = shopKey(m[1], m[2]);
      if (window.localStorage.getItem(target) === null) {
        window.localStorage.setItem(target, window.localStorage.getItem(m[0]));
      }
      window.localStorage.removeItem(m[0]);
    });
  }
  adoptUnkeyed();

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- status on the page ------------------------------------------------------------------

  function status(text, isError, link) {
    var box = document.getElementById("queue-status");
    if (!box) return;
    box.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.className = "btn queue-login";
      a.href = link.href;
      a.textContent = link.text;
      box.appendChild(document.createTextNode(" "));
      box.appendChild(a);
    }
    box.hidden = !text;
    box.classList.toggle("queue-error", !!isError);
  }

  // The login page, coming back here afterwards (the queue then sends what it keeps).
  function loginLink() {
    var here = window.location.pathname + window.location.search;
    return { href: "/login?next=" + encodeURIComponent(here), text: t("Log in again") };
  }

  function stoppedText(pics) {
    var here = keptHere(pics);
    var kept = load(QUEUE, []).length || pics
      ? tn("{kept} is kept on this phone and go out once you are back.",
        "{kept} are kept on this phone and go out once you are back.", here.total, { kept: here.text })
      : t("Log in again to go on.");
    if (stopped === "login") return t("Your login has ended: {rest}", { rest: kept });
    return t(stopped) + " " + kept;
  }

  // {text: "2 answers and 1 photo", total: 3}; text "nothing" when nothing waits. The
  // wording is touchstone.js's (its logout warning counts the same way).
  function keptHere(pics) {
    return window.touchstoneKeptWords(load(QUEUE, []), pics);
  }

  // --- storage the browser does not clear -------------------------------------------------

  // Opening a shop asks the browser to keep this site's storage (it may otherwise clear it
  // when space runs low); the shopper's page says whether it did and what is kept here.
  function askPersist() {
    if (!navigator.storage || !navigator.storage.persist) return Promise.resolve(null);
    return navigator.storage.persisted().then(function (yes) {
      return yes || navigator.storage.persist();
    }).catch(function () { return null; });
  }

  function storageLine() {
    var box = document.getElementById("storage-line");
    if (!box) return;
    var asked = navigator.storage && navigator.storage.persisted
      ? navigator.storage.persisted().catch(function () { return null; })
      : Promise.resolve(null);
    asked.then(function (kept) {
      var words = kept === true ? t("kept until sent")
        : t("the browser may clear it if space runs low");
      box.textContent = t("Kept on this phone: {kept}. Storage: {storage}.",
        { kept: keptHere(photoWaiting).text, storage: words });
      box.hidden = false;
    });
  }

  // Set when a hand-in was held back for want of signal: until the queue is empty the status
  // keeps saying that the shop is not handed in (the plain "waiting" line would suggest the
  // hand-in will happen by itself once the signal returns; it will not).
  var handInHeld = false;

  function handInHeldText(pics) {
    // Exact about what happens by itself: the waiting items go out when the signal returns;
    // the hand-in does not, the shopper presses it again.
    var here = keptHere(pics);
    return tn("No connection: the shop is not handed in. {kept} is" +
      " still on this phone and go out by themselves when the signal returns. " +
      "The hand-in does not: press “Hand in the shop” again then.",
      "No connection: the shop is not handed in. {kept} are" +
      " still on this phone and go out by themselves when the signal returns. " +
      "The hand-in does not: press “Hand in the shop” again then.", here.total, { kept: here.text });
  }

  // The sync receipt on the check screen: the answers the server holds (the page's, plus
  // those it acknowledged since) and those still waiting on this phone.
  function receipt() {
    var box = document.getElementById("sync-receipt");
    if (!box || !root) return;
    var given = {};
    var acked = load(LAST_ACK, {});
    JSON.parse(root.getAttribute("data-answered-ids") || "[]").concat(acked.ids || []).forEach(function (id) {
      given[String(id)] = true;
    });
    var waiting = 0;
    load(QUEUE, []).forEach(function (item) {
      if (!item.question || String(item.shop) !== String(shop)) return;
      waiting += 1;
      given[String(item.question)] = true;
    });
    var total = Object.keys(given).length;
    if (!total) {
      box.textContent = t("No answers are on the server yet.");
    } else if (waiting) {
      box.textContent = waiting === 1
        ? tn("{waiting} of {n} answer is still on this phone.", "{waiting} of {n} answers is still on this phone.", total, { waiting: waiting })
        : tn("{waiting} of {n} answer are still on this phone.", "{waiting} of {n} answers are still on this phone.", total, { waiting: waiting });
    } else {
      var last = Math.max(acked.at || 0, time(root.getAttribute("data-last-saved")) || 0);
      var at = "";
      if (last) {
        var lastAt = new Date(last);
        var two = function (n) { return (n < 10 ? "0" : "") + n; };
        at = two(lastAt.getHours()) + ":" + two(lastAt.getMinutes());
      }
      box.textContent = at
        ? tn("Your {n} answer is on the server, last at {at}.", "All {n} answers are on the server, last at {at}.", total, { at: at })
        : tn("Your {n} answer is on the server.", "All {n} answers are on the server.", total);
    }
  }

  function showQueue() {
    receipt();
    storageLine();
    showCopy();
    var waiting = load(QUEUE, []).length;
    if (!waiting && !photoWaiting) handInHeld = false;
    if (stopped) {
      status(stoppedText(photoWaiting), true, loginLink());
    } else if (handInHeld) {
      status(handInHeldText(photoWaiting), true);
    } else if (waiting || photoWaiting) {
      var here = keptHere(photoWaiting);
      status(tn("{kept} is waiting to send. It is kept on this phone and goes out when the signal returns.",
        "{kept} are waiting to send. They are kept on this phone and go out when the signal returns.",
        here.total, { kept: here.text }), false);
    } else {
      status("", false);
    }
  }

  function stateBox(key) {
    return root ? root.querySelector('[data-state="' + key + '"]') : null;
  }

  function mark(key, text, kind) {
    var box = stateBox(key);
    if (!box) return;
    box.textContent = text;
    box.className = "q-state" + (kind ? " q-state-" + kind : "");
    var block = box.closest(".q");
    if (block) {
      block.classList.toggle("q-error", kind === "error");
      var input = block.querySelector("[data-input]");
      if (input) input.setAttribute("aria-invalid", kind === "error" ? "true" : "false");
    }
  }

  function pendingKeys() {
    var keys = {};
    load(QUEUE, []).forEach(function (item) { keys[item.key] = true; });
    return keys;
  }

  // --- progress ----------------------------------------------------------------------------

  function progress() {
    if (!root) return;
    var ids = {};
    var server = JSON.parse(root.getAttribute("data-answered-ids") || "[]");
    server.forEach(function (id) { ids[String(id)] = true; });
    var given = load(GIVEN, {});
    Object.keys(given).forEach(function (id) {
      if (given[id].value !== null || given[id].na) ids[id] = true;
    });
    // Questions hidden by their show-when rule are not asked: out of both counts. On this
    // screen as the phone judges now; on the others as the server judged.
    var hidden = {};
    JSON.parse(root.getAttribute("data-hidden-ids") || "[]").forEach(function (id) { hidden[String(id)] = true; });
    root.querySelectorAll(".q[data-question]").forEach(function (block) {
      var qid = block.getAttribute("data-question");
      if (block.hidden) hidden[qid] = true;
      else delete hidden[qid];
    });
    Object.keys(hidden).forEach(function (id) { delete ids[id]; });
    var total = (parseInt(root.getAttribute("data-total"), 10) || 0) - Object.keys(hidden).length;
    var count = Math.min(Object.keys(ids).length, total);
    var label = root.querySelector("[data-answered]");
    if (label) label.textContent = count;
    var shownTotal = root.querySelector("[data-total-shown]");
    if (shownTotal) shownTotal.textContent = total;
    var bar = document.getElementById("progress-bar");
    if (bar) { bar.max = total || 1; bar.value = count; }
  }

  // --- conditional questions: shown only while earlier answers meet their rule -------------
  // The rule language is touchstone-conditions.js (the server's touchpoints/conditions.py,
  // the same vectors): judged here at every answer, so a follow-up appears and disappears at
  // once, without signal. A hidden question's answer stays on the phone and is still sent:
  // it is kept, and only not counted (docs/definitions.md).
  function applyConditions() {
    var rules = window.TouchstoneConditions;
    if (!root || !rules) return;
    var blocks = Array.prototype.slice.call(root.querySelectorAll(".q[data-question]"));
    if (!blocks.some(function (b) { return b.hasAttribute("data-show-if"); })) return;
    var answers = {};
    var questions = blocks.map(function (block) {
      var kind = block.getAttribute("data-kind");
      var lineage = block.getAttribute("data-lineage");
      var state = currentOf(block);
      answers[lineage] = { value: state.na ? null : rules.stored(kind, state.value), na: !!state.na };
      return {
        lineage: lineage, kind: kind,
        config: JSON.parse(block.getAttribute("data-config") || "{}"),
        show_if: JSON.parse(block.getAttribute("data-show-if") || "null")
      };
    });
    var shown = rules.visible(questions, answers);
    blocks.forEach(function (block) {
      var hide = !shown[block.getAttribute("data-lineage")];
      if (block.hidden !== hide) block.hidden = hide;
    });
    progress();
  }

  // Evidence: a question that asks for a comment when its answer fails says so at once (the
  // server's rule: earning under half its points; hand-in checks it again).
  function fails(block, state) {
    var rules = window.TouchstoneConditions;
    if (!rules || state.na) return false;
    var kind = block.getAttribute("data-kind");
    var value = rules.stored(kind, state.value);
    if (value === null) return false;
    var config = JSON.parse(block.getAttribute("data-config") || "{}");
    if (kind === "yes_no") return value === false;
    if (kind === "scale") return (value - 1) / 4 < 0.5;
    if (kind === "number") return rules.numberPasses(config, value) === false;
    if (kind === "choice") {
      var points = (config.points || []).map(Number);
      var best = Math.max.apply(null, points.concat([0]));
      return best > 0 && (points[value] || 0) / best < 0.5;
    }
    return false;
  }

  function evidenceNotes() {
    if (!root) return;
    root.querySelectorAll(".q[data-comment-on-fail]").forEach(function (block) {
      var note = block.querySelector("[data-fail-note]");
      if (!note) return;
      var state = currentOf(block);
      var comment = block.querySelector("[data-comment]");
      var typed = comment ? comment.value : state.comment || "";
      var needed = fails(block, state) && !typed.trim();
      note.hidden = !needed;
      var more = block.querySelector("details.q-more");
      if (needed && more) more.open = true;
    });
  }

  // --- the queue ---------------------------------------------------------------------------

  function enqueue(item) {
    item.at = Date.now() + Math.random();
    item.shop = shop;
    // A newer edit of the same thing replaces the older one: the server only needs the last.
    var queue = load(QUEUE, []).filter(function (old) { return old.key !== item.key; });
    queue.push(item);
    store(QUEUE, queue);
    forgetRefusal(item.key);  // given again: the earlier refusal no longer stands
    showQueue();
    flush();
  }

  function drop(item) {
    var queue = load(QUEUE, []).filter(function (old) { return old.at !== item.at; });
    store(QUEUE, queue);
  }

  function later() {
    if (retryTimer) return;
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, 60000);
    retryTimer = window.setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
  }

  function flush() {
    if (stopped) return Promise.resolve(load(QUEUE, []).length === 0 && photoWaiting === 0);
    if (sending) {
      // Another send is under way: wait for it rather than report a full queue.
      return new Promise(function (resolve) { window.setTimeout(resolve, 250); }).then(flush);
    }
    var queue = load(QUEUE, []);
    if (!queue.length) {
      // Every answer is on the server now, so the photos that belong to them can follow.
      return flushPhotos().then(function (done) {
        showQueue();
        return done;
      });
    }
    if (!navigator.onLine) {
      // The phone says it has no network: a send could only fail. `online` starts the
      // queue again at once, and the retry timer looks again meanwhile.
      later();
      showQueue();
      return Promise.resolve(false);
    }
    var item = queue[0];
    sending = true;
    return window.fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",  // a redirect (to the login page) must never look like an answer
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      return reply(response).then(function (data) {
        sending = false;
        var verdict = judge(response, data);
        if (verdict === "kept" && acknowledges(item, data)) {
          drop(item);
          retryDelay = 0;
          acknowledged(item, data);
          return flush();
        }
        if (verdict === "login") {
          stop(response, data);
          return false;
        }
        if (verdict === "refused") {
          // Refused for a reason the shopper can act on: out of the queue (sending it again
          // cannot help), and the reason stays next to the question.
          drop(item);
          refused(item, refusalText(data, t("This could not be saved.")));
          return flush();
        }
        // No word from the server that it kept this item (a server error, an answer that is
        // not an acknowledgement of it): keep it and try again later.
        later();
        showQueue();
        return false;
      });
    }, function () {
      sending = false;  // no network: keep it, try again later
      later();
      showQueue();
      return false;
    });
  }

  // The response's JSON, or null when it is not JSON (a page, a redirect, nothing).
  function reply(response) {
    var type = response.headers.get("Content-Type") || "";
    if (response.type === "opaqueredirect" || type.indexOf("application/json") !== 0) {
      return Promise.resolve(null);
    }
    return response.json().catch(function () { return null; });
  }

  // "kept" (a 2xx in JSON: still to be matched to the item), "login" (the login ended or no
  // longer admits this shop), "refused" (the server's reason, in JSON), or "later".
  function judge(response, data) {
    if (response.type === "opaqueredirect") return "login";  // only a lost login redirects
    if (response.status === 401 || response.status === 403) return "login";
    if (!data) return "later";
    if (response.status >= 200 && response.status < 300) return "kept";
    if ([400, 404, 409, 410, 413, 422].indexOf(response.status) >= 0 && data.detail) return "refused";
    return "later";
  }

  function refusalText(data, fallback) {
    return data && typeof data.detail === "string" ? t(data.detail) : fallback;
  }

  function stop(response, data) {
    var detail = response.status === 403 && data && typeof data.detail === "string" ? data.detail : "";
    stopped = detail || "login";
    showQueue();
  }

  function same(a, b) {
    return a !== null && a !== undefined && String(a).toLowerCase() === String(b).toLowerCase();
  }

  // Whether the server's acknowledgement names this item: its kind, its shop and its own ids.
  function acknowledges(item, data) {
    if (!data || data.ok !== true || !same(data.shop_id, item.shop)) return false;
    if (item.photo) return data.ack === "photo-removed" && same(data.photo_id, item.photo);
    if (item.expense) {
      return data.ack === (item.remove ? "expense-removed" : "expense") && same(data.expense_id, item.expense);
    }
    if (item.question) {
      return data.ack === "answer" && same(data.sent_id, item.body.id) && same(data.question_id, item.question);
    }
    if (/\/visit-start$/.test(item.url)) return data.ack === "visit-start";
    if (/\/visit$/.test(item.url)) {
      var fields = data.fields || [];
      return data.ack === "visit" &&
        Object.keys(item.body).every(function (k) { return fields.indexOf(k) >= 0; });
    }
    return data.ack === "section-comment" && same(data.touchpoint_id, item.body.touchpoint_id);
  }

  function acknowledged(item, data) {
    if (item.photo) {
      if (item.shop === shop) sayPhoto(item.photoQuestion, t("Photo removed."), "ok");
      return showQueue();
    }
    if (item.question) settle(item, data);
    var acked = load(shopKey("acked", item.shop), {});
    acked.at = Date.now();
    acked.ids = acked.ids || [];
    if (item.question && acked.ids.indexOf(String(item.question)) < 0) acked.ids.push(String(item.question));
    store(shopKey("acked", item.shop), acked);
    if (item.shop !== shop) return showQueue();  // sent from another page of the app
    if (item.question) {
      var pending = pendingKeys()[item.key];
      var older = data.applied === false;  // the server keeps a newer answer
      if (!pending && older) {
        var shown = blockOf(item.question);
        if (shown) paint(shown, serverCopy(data));
        mark(item.question, changedText(data.given_at), "changed");
      } else if (!pending) {
        mark(item.question, t("Saved"), "ok");
      }
      var ids = JSON.parse(root ? root.getAttribute("data-answered-ids") || "[]" : "[]");
      if (root && ids.indexOf(Number(item.question)) < 0) {
        ids.push(Number(item.question));
        root.setAttribute("data-answered-ids", JSON.stringify(ids));
      }
      var block = root && root.querySelector('[data-question="' + item.question + '"]');
      if (block) block.setAttribute("data-answer-id", data.id || item.body.id);
      if (data.id && data.id !== item.body.id) {
        // The server already held this question's answer under another id: use that one.
        var known = load(IDS, {});
        known[item.question] = data.id;
        store(IDS, known);
      }
    } else if (item.stateKey) {
      if (item.stateKey === "start") startKept(item.shop);
      if (!pendingKeys()[item.key]) mark(item.stateKey, t("Saved"), "ok");
    }
    progress();
    showQueue();
  }

  // --- two devices, one answer: the newest by the shopper's time is kept ------------------

  // A value as the page shows it: yes/no as the buttons say it, numbers as text.
  function shownValue(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === "boolean") return value ? "yes" : "no";
    return String(value);
  }

  // The server's answer (an acknowledgement) as this phone keeps its own.
  function serverCopy(data) {
    return {
      id: data.id, value: data.not_applicable ? null : shownValue(data.value),
      na: !!data.not_applicable, comment: data.comment || "",
      given_at: data.given_at, revision: data.revision
    };
  }

  function time(iso) {
    var ms = Date.parse(iso || "");
    return isNaN(ms) ? NaN : ms;
  }

  function changedText(iso) {
    var when = new Date(time(iso));
    if (isNaN(when.getTime())) return t("Changed on another device; this is the newer answer.");
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return t("Changed on another device at {at}; this is the newer answer.",
      { at: two(when.getHours()) + ":" + two(when.getMinutes()) });
  }

  function sameAnswer(a, b) {
    return shownValue(a.value) === shownValue(b.value) && !!a.na === !!b.na &&
      (a.comment || "") === (b.comment || "");
  }

  function keepNote(key, shopId, qid, message) {
    var notes = load(REFUSED, {});
    notes[key] = { shop: shopId, question: qid, stateKey: null, message: message, kind: "changed" };
    store(REFUSED, notes);
  }

  // The phone's copy after the server acknowledged an answer: the time and revision it is
  // kept under or, when the server holds an answer given later on another device, that
  // answer (this phone's older one is not sent again) and a note saying so.
  function settle(item, data) {
    if (pendingKeys()[item.key]) return;  // a newer edit of it is still to go out
    var key = shopKey("given", item.shop);
    var given = load(key, {});
    var mine = given[item.question];
    if (data.applied === false) {
      if (!mine || !sameAnswer(mine, serverCopy(data))) {
        keepNote(item.key, item.shop, item.question, changedText(data.given_at));
      }
      given[item.question] = serverCopy(data);
    } else if (mine) {
      mine.given_at = data.given_at;
      mine.revision = data.revision;
    } else {
      return;
    }
    store(key, given);
  }

  // Opening a shop: where the page (the server) holds a newer answer than this phone's copy,
  // the server's is taken; a queued answer older than it is dropped with a note. A queued
  // answer as new or newer goes out as usual (on a tie the later arrival wins).
  // Returns "taken", "merge" (only a comment was typed here, never sent, and the server's
  // answer has none: the comment is to go out with the server's answer) or "".
  function takeNewer(block, given, pending) {
    var qid = block.getAttribute("data-question");
    var server = JSON.parse(block.getAttribute("data-server") || "null");
    var mine = given[qid];
    if (!server || !mine || !server.given_at) return "";
    var key = "a:" + shop + ":" + qid;
    var theirs = time(server.given_at);
    var ours = time(mine.given_at);
    var commentOnly = !pending[key] && mine.value === null && !mine.na;
    if (!commentOnly && (pending[key] ? !(theirs > ours) : theirs < ours)) return "";
    var copy = {
      id: block.getAttribute("data-answer-id"), value: server.na ? null : shownValue(server.value),
      na: !!server.na, comment: server.comment || "", given_at: server.given_at, revision: server.revision
    };
    var merge = commentOnly && !!mine.comment && !copy.comment;
    var lost = commentOnly ? !!mine.comment : !sameAnswer(mine, copy);  // something of ours gave way
    if (!merge && lost) keepNote(key, shop, qid, changedText(server.given_at));
    if (pending[key]) {
      store(QUEUE, load(QUEUE, []).filter(function (item) { return item.key !== key; }));
      delete pending[key];
    }
    given[qid] = copy;
    var known = load(IDS, {});
    if (copy.id) {
      known[qid] = copy.id;
      store(IDS, known);
    }
    if (merge) copy.comment = mine.comment;
    return merge ? "merge" : "taken";
  }

  function refused(item, message) {
    var notes = load(REFUSED, {});
    notes[item.key] = { shop: item.shop, question: item.question || null, stateKey: item.stateKey || null, message: message };
    store(REFUSED, notes);
    if (item.question) {
      var key = shopKey("given", item.shop);
      var given = load(key, {});
      delete given[item.question];  // not kept by the server, so not shown as given
      store(key, given);
      if (item.shop !== shop) return showQueue();
      mark(item.question, message, "error");
      progress();
    } else if (item.stateKey) {
      if (item.stateKey === "start") startRefused(item.shop);
      mark(item.stateKey, message, "error");
    } else if (item.photo && item.shop === shop) {
      sayPhoto(item.photoQuestion, message, "error");
    }
    showQueue();
  }

  function forgetRefusal(key) {
    var notes = load(REFUSED, {});
    if (!notes[key]) return;
    delete notes[key];
    store(REFUSED, notes);
  }

  function forgetRefusals(shopId) {
    var notes = load(REFUSED, {});
    Object.keys(notes).forEach(function (key) {
      if (String(notes[key].shop) === String(shopId)) delete notes[key];
    });
    store(REFUSED, notes);
  }

  // --- answers -----------------------------------------------------------------------------

  function answerId(block) {
    var qid = block.getAttribute("data-question");
    var ids = load(IDS, {});
    if (!ids[qid]) {
      ids[qid] = block.getAttribute("data-answer-id") || uuid();
      store(IDS, ids);
    }
    return ids[qid];
  }

  function currentOf(block) {
    var qid = block.getAttribute("data-question");
    var given = load(GIVEN, {});
    if (given[qid]) return given[qid];
    var server = JSON.parse(block.getAttribute("data-server") || "null");
    return server || { value: null, na: false, comment: "" };
  }

  function give(block, change) {
    var qid = block.getAttribute("data-question");
    var state = currentOf(block);
    var next = { value: state.value, na: state.na, comment: state.comment || "" };
    Object.keys(change).forEach(function (k) { next[k] = change[k]; });
    next.id = answerId(block);
    next.given_at = new Date().toISOString();  // when the shopper gave it, by this phone's clock
    next.revision = state.revision || 0;
    var given = load(GIVEN, {});
    given[qid] = next;
    store(GIVEN, given);  // kept on the phone before anything is sent
    paint(block, next);
    applyConditions();
    evidenceNotes();
    progress();
    if (next.value === null && !next.na) {
      mark(qid, t("Your comment is kept here and sent with your answer."), "wait");
      return;
    }
    mark(qid, t("Waiting to send…"), "wait");
    var value = next.value;
    var kind = block.getAttribute("data-kind");
    if ((kind === "scale" || kind === "choice") && value !== null) value = Number(value);
    enqueue({
      key: "a:" + shop + ":" + qid,
      question: qid,
      url: "/shops/" + shop + "/answers",
      body: {
        id: next.id, question_id: Number(qid), value: next.na ? null : value,
        not_applicable: !!next.na, comment: next.comment, given_at: next.given_at
      }
    });
  }

  function paint(block, state) {
    block.querySelectorAll("[data-value]").forEach(function (button) {
      var on = !state.na && state.value !== null && String(state.value) === button.getAttribute("data-value");
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    var na = block.querySelector("[data-na]");
    if (na) na.setAttribute("aria-pressed", state.na ? "true" : "false");
    var input = block.querySelector("[data-input]");
    if (input && document.activeElement !== input) input.value = state.na || state.value === null ? "" : state.value;
    var comment = block.querySelector("[data-comment]");
    if (comment && document.activeElement !== comment) comment.value = state.comment || "";
  }

  var typing = {};
  function debounce(key, fn, ms) {
    window.clearTimeout(typing[key]);
    typing[key] = window.setTimeout(fn, ms);
  }

  function wireQuestions() {
    root.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-photo-remove]");
      var photoItem = remove && remove.closest("[data-photo-id]");
      if (photoItem) return removePhoto(remove.closest(".q"), photoItem);
      var button = event.target.closest("[data-value], [data-na]");
      if (!button) return;
      var block = button.closest(".q");
      if (!block) return;
      if (button.hasAttribute("data-na")) {
        // N/A is undone by choosing an answer, so the server is never left with nothing.
        if (button.getAttribute("aria-pressed") !== "true") give(block, { na: true, value: null });
      } else {
        give(block, { value: button.getAttribute("data-value"), na: false });
      }
    });
    root.addEventListener("input", function (event) {
      var el = event.target;
      var block = el.closest(".q");
      if (block && (el.hasAttribute("data-input") || el.hasAttribute("data-comment"))) {
        var qid = block.getAttribute("data-question");
        // Kept on the phone at every keystroke; only the sending waits for a pause.
        var input = block.querySelector("[data-input]");
        var comment = block.querySelector("[data-comment]");
        draft("q" + qid, { input: input ? input.value : null, comment: comment ? comment.value : null });
        mark(qid, t("Typing… kept on this phone, sent when you pause."), "wait");
        debounce(qid, function () { takeTyped(block); }, 800);
      } else if (el.hasAttribute("data-section-comment")) {
        draft("s" + el.getAttribute("data-section-comment"), el.value);
        debounce("s" + el.getAttribute("data-section-comment"), function () { sectionComment(el); }, 800);
      } else if (el.hasAttribute("data-visit-field")) {
        var fields = {};
        root.querySelectorAll("[data-visit-field]").forEach(function (f) {
          fields[f.getAttribute("data-visit-field")] = f.value;
        });
        draft("visit", fields);
        debounce("visit", visit, 800);
      }
    });
    root.addEventListener("change", function (event) {
      var el = event.target;
      var block = el.closest(".q");
      if (el.hasAttribute("data-photo-input")) return photo(el);
      if (block && (el.hasAttribute("data-input") || el.hasAttribute("data-comment"))) {
        window.clearTimeout(typing[block.getAttribute("data-question")]);
        takeTyped(block);
      } else if (el.hasAttribute("data-section-comment")) {
        sectionComment(el);
      } else if (el.hasAttribute("data-visit-field")) {
        visit();
      }
    });
  }

  // Text typed and not taken yet: written at once, so a tab killed a moment after the last
  // keystroke loses nothing (the page takes it, and sends it, when it is opened again).
  function draft(key, value) {
    var drafts = load(DRAFTS, {});
    if (value === undefined) delete drafts[key];
    else drafts[key] = value;
    store(DRAFTS, drafts);
  }

  function takeDrafts() {
    var drafts = load(DRAFTS, {});
    Object.keys(drafts).forEach(function (key) {
      var value = drafts[key];
      if (key === "visit") {
        // Visit fields live on two screens: taken where they are (the draft waits otherwise).
        var here = root.querySelectorAll("[data-visit-field]");
        var all = Object.keys(value).every(function (f) {
          return root.querySelector('[data-visit-field="' + f + '"]');
        });
        if (!here.length || !all) return;
        here.forEach(function (el) {
          var field = el.getAttribute("data-visit-field");
          if (value[field] !== undefined) el.value = value[field];
        });
        return visit();
      }
      if (key.charAt(0) === "s") {
        var box = root.querySelector('[data-section-comment="' + key.slice(1) + '"]');
        if (!box) return;
        box.value = value;
        return sectionComment(box);
      }
      var block = blockOf(key.slice(1));
      if (!block) return;
      var input = block.querySelector("[data-input]");
      var comment = block.querySelector("[data-comment]");
      if (input && value.input !== null) input.value = value.input;
      if (comment && value.comment !== null) comment.value = value.comment;
      takeTyped(block);
    });
  }

  function takeTyped(block) {
    draft("q" + block.getAttribute("data-question"), undefined);
    var change = {};
    var input = block.querySelector("[data-input]");
    var comment = block.querySelector("[data-comment]");
    var state = currentOf(block);
    if (input) {
      var text = input.value.trim();
      if (text === "" && state.value === null) {
        change.value = null;
      } else if (text !== "") {
        change.value = input.value;
        change.na = false;
      }
    }
    if (comment) change.comment = comment.value;
    var same = (change.value === undefined || String(change.value) === String(state.value)) &&
      (change.comment === undefined || change.comment === (state.comment || "")) && load(GIVEN, {})[block.getAttribute("data-question")];
    if (same && !pendingKeys()["a:" + shop + ":" + block.getAttribute("data-question")]) {
      mark(block.getAttribute("data-question"), t("Saved"), "ok");
      return;
    }
    give(block, change);
  }

  // --- visit, section comments -------------------------------------------------------------

  function visit() {
    draft("visit", undefined);
    var body = {};
    var saved = load(VISIT, {});
    root.querySelectorAll("[data-visit-field]").forEach(function (el) {
      body[el.getAttribute("data-visit-field")] = el.value;
      saved[el.getAttribute("data-visit-field")] = el.value;
    });
    store(VISIT, saved);
    mark("visit", t("Waiting to send…"), "wait");
    var key = body.comment !== undefined ? "v:" + shop + ":comment" : "v:" + shop;
    enqueue({ key: key, stateKey: "visit", url: "/shops/" + shop + "/visit", body: body });
  }

  function sectionComment(el) {
    var tp = el.getAttribute("data-section-comment");
    draft("s" + tp, undefined);
    var saved = load(VISIT, {});
    saved["s" + tp] = el.value;
    store(VISIT, saved);
    mark("s" + tp, t("Waiting to send…"), "wait");
    enqueue({
      key: "s:" + shop + ":" + tp, stateKey: "s" + tp, url: "/shops/" + shop + "/section-comment",
      body: { touchpoint_id: Number(tp), comment: el.value }
    });
  }

  // --- proof of visit: "Start the visit", with the location check when asked --------------
  // The phone's time of the press goes out through the queue like an answer (offline too).
  // When the page asks for a location check (the organization's setting, the location has
  // coordinates), the shopper is asked first; only with a yes is the position read, once,
  // and sent with the start: the server turns it into a distance and keeps only that. A
  // no, or a phone that gives no position, starts the visit all the same.

  var START = shopKey("start", shop);  // {at: ISO time} once pressed on this phone

  function startBox() { return root ? root.querySelector("[data-visit-start]") : null; }

  function showStarted(iso) {
    var box = startBox();
    if (!box) return;
    var at = new Date(iso);
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    var text = box.querySelector("[data-started-text]");
    text.textContent = t("Visit started at {time}.", { time: two(at.getHours()) + ":" + two(at.getMinutes()) });
    text.hidden = false;
    box.querySelector("[data-start-ask]").hidden = true;
    var consent = box.querySelector("[data-start-consent]");
    if (consent) consent.hidden = true;
  }

  function visitStart(check) {
    var at = new Date().toISOString();
    var body = { started_at: at };
    if (check) body.location_check = check;
    store(START, { at: at });
    showStarted(at);
    mark("start", t("Waiting to send…"), "wait");
    enqueue({ key: "start:" + shop, stateKey: "start", url: "/shops/" + shop + "/visit-start", body: body });
    // The visit's time, where the shopper has not typed one: the server fills it in too.
    var field = root.querySelector('[data-visit-field="visited_at"]');
    if (field && !field.value) {
      var d = new Date(at);
      var two = function (n) { return (n < 10 ? "0" : "") + n; };
      field.value = d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) +
        "T" + two(d.getHours()) + ":" + two(d.getMinutes());
    }
  }

  // The position, once: {consent, latitude, longitude, accuracy}, or {consent: true} alone
  // when the phone gives none (permission refused, no fix in time). Never blocks the start.
  function locate() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve({ consent: true });
      navigator.geolocation.getCurrentPosition(function (pos) {
        resolve({
          consent: true, latitude: pos.coords.latitude, longitude: pos.coords.longitude,
          accuracy: pos.coords.accuracy
        });
      }, function () {
        resolve({ consent: true });
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
  }

  // The server kept the start: this phone shows it as done, also on a saved page older
  // than the start.
  function startKept(shopId) {
    var key = shopKey("start", shopId);
    var kept = load(key, null);
    if (kept) { kept.acked = true; store(key, kept); }
  }

  // The server refused the start (the shop is handed in, or its window is closed): the
  // phone forgets it, and the button comes back beside the reason.
  function startRefused(shopId) {
    window.localStorage.removeItem(shopKey("start", shopId));
    var box = String(shopId) === String(shop) ? startBox() : null;
    if (!box || box.getAttribute("data-start-at")) return;
    box.querySelector("[data-started-text]").hidden = true;
    box.querySelector("[data-start-ask]").hidden = false;
    var consent = box.querySelector("[data-start-consent]");
    if (consent) {
      consent.hidden = true;
      consent.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    }
  }

  function wireStart() {
    var box = startBox();
    if (!box) return;
    var kept = load(START, null);
    // Started here: kept by the server, or still waiting in the queue (a refused start is
    // forgotten, so the button shows again).
    var here = kept && (kept.acked || pendingKeys()["start:" + shop]) ? kept.at : "";
    // The server's start is written into the page in the organization's time zone.
    if (here && !box.getAttribute("data-start-at")) showStarted(here);
    var consent = box.querySelector("[data-start-consent]");
    box.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("button") : null;
      if (!target) return;
      if (target.hasAttribute("data-start-visit")) {
        if (!consent) return visitStart(null);
        box.querySelector("[data-start-ask]").hidden = true;
        consent.hidden = false;
        consent.querySelector('[data-consent="yes"]').focus();
      } else if (target.getAttribute("data-consent") === "no") {
        visitStart({ consent: false });
      } else if (target.getAttribute("data-consent") === "yes") {
        consent.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        mark("start", t("Checking where you are…"), "wait");
        locate().then(visitStart);
      }
    });
  }

  // --- restore what this phone gave (tab closed, page from the offline cache) --------------

  function restore() {
    var given = load(GIVEN, {});
    var pending = pendingKeys();
    var taken = false;
    var merged = [];
    root.querySelectorAll(".q[data-question]").forEach(function (block) {
      var took = takeNewer(block, given, pending);
      if (took) taken = true;
      if (took === "merge") merged.push(block);
    });
    if (taken) store(GIVEN, given);
    root.querySelectorAll(".q[data-question]").forEach(function (block) {
      var qid = block.getAttribute("data-question");
      if (given[qid]) {
        paint(block, given[qid]);
        if (pending["a:" + shop + ":" + qid]) mark(qid, t("Waiting to send…"), "wait");
        else if (given[qid].value !== null || given[qid].na) mark(qid, t("Saved"), "ok");
      }
    });
    // A comment typed here on a question answered on another device goes out with that answer.
    merged.forEach(function (block) {
      give(block, { comment: given[block.getAttribute("data-question")].comment });
      pending["a:" + shop + ":" + block.getAttribute("data-question")] = true;
    });
    restorePhotos();
    var saved = load(VISIT, {});
    root.querySelectorAll("[data-visit-field]").forEach(function (el) {
      var field = el.getAttribute("data-visit-field");
      if (saved[field] !== undefined) el.value = saved[field];
    });
    root.querySelectorAll("[data-section-comment]").forEach(function (el) {
      var tp = el.getAttribute("data-section-comment");
      if (saved["s" + tp] !== undefined) el.value = saved["s" + tp];
      if (pending["s:" + shop + ":" + tp]) mark("s" + tp, t("Waiting to send…"), "wait");
    });
    if (pending["v:" + shop] || pending["v:" + shop + ":comment"]) mark("visit", t("Waiting to send…"), "wait");
    // What the server refused, with its reason, until the shopper gives it again.
    var notes = load(REFUSED, {});
    Object.keys(notes).forEach(function (key) {
      var note = notes[key];
      if (String(note.shop) !== String(shop) || pending[key]) return;
      mark(note.question || note.stateKey, note.message, note.kind || "error");
    });
    applyConditions();
    evidenceNotes();
    progress();
  }

  // --- photos: kept in IndexedDB (blobs do not fit localStorage) until the server has them ---

  var PHOTO_DB = "touchstone-photos";
  var PHOTO_TOO_LARGE = t("That photo is too large: the limit is 10 MB.");
  var photoWaiting = 0;     // photos kept on this phone, every shop: counted in the status line
  var photoSending = null;  // the send under way; a second caller waits for it
  var opening = null;

  function photoDb() {
    if (!window.indexedDB) return Promise.reject(new Error("This browser has no IndexedDB."));
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = window.indexedDB.open(PHOTO_DB, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("photos", { keyPath: "id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
      opening.catch(function () { opening = null; });  // try again next time
    }
    return opening;
  }

  // One transaction on the photo store; resolves with the request's result once it is written.
  function photoStore(mode, work) {
    return photoDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("photos", mode);
        var request = work(tx.objectStore("photos"));
        tx.oncomplete = function () { resolve(request.result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function queuedPhotos() {
    return photoStore("readonly", function (store) { return store.getAll(); }).then(function (all) {
      // Only this user's photos; one kept before photos named their user is taken by the
      // first user seen here (as the answers are: see adoptUnkeyed).
      var unowned = all.filter(function (rec) { return !rec.user; });
      unowned.forEach(function (rec) { rec.user = USER; });
      var claim = unowned.length
        ? photoStore("readwrite", function (store) {
          var last = null;
          unowned.forEach(function (rec) { last = store.put(rec); });
          return last;
        }).catch(function () {})
        : Promise.resolve();
      return claim.then(function () {
        return all.filter(function (rec) { return rec.user === USER; });
      });
    }).then(function (list) {
      list.sort(function (a, b) { return a.at - b.at; });
      photoWaiting = list.length;
      return list;
    }, function () {
      photoWaiting = 0;
      return [];
    });
  }

  function blockOf(qid) {
    return root ? root.querySelector('.q[data-question="' + qid + '"]') : null;
  }

  function sayPhoto(qid, text, kind) {
    var block = blockOf(qid);
    var box = block && block.querySelector("[data-photo-state]");
    if (!box) return;
    box.textContent = text;
    box.className = "q-state" + (kind ? " q-state-" + kind : "");
  }

  // Only on this shop's page: the same question can be part of another shop's queue.
  function sayFor(rec, text, kind) {
    if (rec.shop !== shop) return;
    if (rec.expense) mark("e" + rec.expense, text.replace("photo", "receipt"), kind);
    else sayPhoto(rec.question, text, kind);
  }

  function updatePhotoButton(block) {
    var add = block.querySelector(".photo-add");
    var list = block.querySelector("[data-photo-list]");
    if (add && list) add.hidden = list.children.length >= 3;
  }

  // A queued photo is shown at once from the phone's own copy, marked as not sent yet.
  function showWaiting(block, rec) {
    var list = block.querySelector("[data-photo-list]");
    if (!list || list.querySelector('[data-photo-id="' + rec.id + '"]')) return;
    var item = document.createElement("li");
    item.className = "photo-waiting";
    item.setAttribute("data-photo-id", rec.id);
    var img = document.createElement("img");
    img.src = window.URL.createObjectURL(rec.blob);
    img.width = 96;
    img.height = 96;
    img.alt = t("Photo {n} for this question, waiting to send", { n: list.children.length + 1 });
    img.setAttribute("data-n", String(list.children.length + 1));
    var note = document.createElement("span");
    note.className = "q-state q-state-wait";
    note.textContent = t("Waiting to send");
    item.appendChild(img);
    item.appendChild(note);
    item.appendChild(removeButton(list.children.length + 1));
    list.appendChild(item);
    var more = block.querySelector("details.q-more");
    if (more) more.open = true;
    updatePhotoButton(block);
  }

  function restorePhotos() {
    // A saved copy of the page may still show a photo taken off since.
    var removed = load(REMOVED, []);
    removed.forEach(function (id) {
      var gone = root.querySelector('[data-photo-id="' + id + '"]');
      if (gone) gone.parentNode.removeChild(gone);
    });
    // ...and one sent since it was saved is shown from what this phone knows of it.
    var sent = load(SENT_PHOTOS, {});
    Object.keys(sent).forEach(function (id) {
      var block = blockOf(sent[id].question);
      var list = block && block.querySelector("[data-photo-list]");
      if (!list || removed.indexOf(id) >= 0 || list.querySelector('[data-photo-id="' + id + '"]')) return;
      var item = document.createElement("li");
      item.setAttribute("data-photo-id", id);
      var img = document.createElement("img");
      img.src = sent[id].url;
      img.width = 96;
      img.height = 96;
      img.alt = t("Photo {n} for this question", { n: list.children.length + 1 });
      item.appendChild(img);
      item.appendChild(removeButton(list.children.length + 1));
      list.appendChild(item);
      var more = block.querySelector("details.q-more");
      if (more) more.open = true;  // as the server opens it for a question with photos
    });
    queuedPhotos().then(function (list) {
      list.forEach(function (rec) {
        var block = rec.shop === shop ? blockOf(rec.question) : null;
        if (!block) return;
        showWaiting(block, rec);
        sayFor(rec, t("Photo waiting to send: it is kept on this phone."), "wait");
      });
      root.querySelectorAll(".q[data-question]").forEach(updatePhotoButton);
      showQueue();
    });
  }

  function photoSent(rec, body) {
    var sent = load(shopKey("photos", rec.shop), {});
    sent[rec.id] = { question: rec.question, url: body.url };
    store(shopKey("photos", rec.shop), sent);
    var block = rec.shop === shop ? blockOf(rec.question) : null;
    var item = block && block.querySelector('[data-photo-id="' + rec.id + '"]');
    if (item) {
      var img = item.querySelector("img");
      var local = img.src;
      img.src = body.url;
      img.alt = t("Photo {n} for this question", { n: img.getAttribute("data-n") || "" });
      window.URL.revokeObjectURL(local);
      item.className = "";
      item.removeChild(item.querySelector(".q-state"));
    }
    sayFor(rec, t("Photo saved."), "ok");
  }

  function photoRefused(rec, message) {
    var block = rec.shop === shop ? blockOf(rec.question) : null;
    var item = block && block.querySelector('[data-photo-id="' + rec.id + '"]');
    if (item) {
      window.URL.revokeObjectURL(item.querySelector("img").src);
      item.parentNode.removeChild(item);
      updatePhotoButton(block);
    }
    sayFor(rec, message, "error");
  }

  // Sends one photo. Resolves true to go on with the next one, false to stop for now.
  function sendPhoto(rec) {
    if (load(shopKey("removed", rec.shop), []).indexOf(rec.id) >= 0) {
      return dropPhoto(rec).then(function () { return true; });  // taken off before it went
    }
    // The answer may have been stored under another id than the one the photo was queued
    // with (the server already held one for the question): the queue's latest word wins.
    var answer = load(shopKey("ids", rec.shop), {})[rec.question] || rec.answer;
    var data = new FormData();
    data.append("id", rec.id);  // the same id on every try: a resend finds the stored photo
    data.append("photo", rec.blob, "photo.jpg");
    sayFor(rec, t("Sending the photo…"), "wait");
    // An expense's receipt goes to its claim (sent before it: photos follow the queue).
    var url = rec.expense
      ? "/shops/" + rec.shop + "/expenses/" + rec.expense + "/receipt"
      : "/shops/" + rec.shop + "/answers/" + answer + "/photos";
    return window.fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }, body: data
    }).then(function (response) {
      return reply(response).then(function (body) {
        var verdict = judge(response, body);
        var mine = rec.expense
          ? body && body.ack === "receipt" && same(body.receipt_id, rec.id)
          : body && body.ack === "photo" && same(body.id, rec.id);
        if (verdict === "kept" && mine) {
          return dropPhoto(rec).then(function () {
            if (rec.expense) receiptSent(rec, body);
            else photoSent(rec, body);
            return true;
          });
        }
        if (verdict === "login") {
          stop(response, body);
          sayFor(rec, t("Photo waiting to send: it is kept on this phone."), "wait");
          return false;
        }
        if (verdict === "refused") {
          // Refused for good (not a photo, too large, no such answer): trying again cannot help.
          return dropPhoto(rec).then(function () {
            var why = refusalText(body, t("The photo could not be saved."));
            if (rec.expense) receiptRefused(rec, why);
            else photoRefused(rec, why);
            return true;
          });
        }
        later();
        return false;
      });
    }, function () {
      later();
      sayFor(rec, t("No connection: the photo is kept on this phone and goes out when the signal returns."), "wait");
      return false;
    });
  }

  function dropPhoto(rec) {
    return photoStore("readwrite", function (store) { return store.delete(rec.id); });
  }

  function removeButton(n) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-small photo-remove";
    button.setAttribute("data-photo-remove", "");
    button.setAttribute("aria-label", t("Remove photo {n}", { n: n }));
    button.textContent = t("Remove");
    return button;
  }

  // A photo added by mistake. Gone from the page at once; a photo still on this phone is
  // simply forgotten, one the server has is taken off through the queue (so it works without
  // signal, and survives closing the page like an answer does).
  function removePhoto(block, item) {
    var id = item.getAttribute("data-photo-id");
    var qid = block.getAttribute("data-question");
    var removed = load(REMOVED, []);
    if (removed.indexOf(id) < 0) removed.push(id);
    store(REMOVED, removed);  // first: a send starting now leaves this photo alone
    var sent = load(SENT_PHOTOS, {});
    delete sent[id];
    store(SENT_PHOTOS, sent);
    var img = item.querySelector("img");
    if (img && img.src.indexOf("blob:") === 0) window.URL.revokeObjectURL(img.src);
    item.parentNode.removeChild(item);
    updatePhotoButton(block);
    sayPhoto(qid, t("Photo removed."), "ok");
    // A send under way may be delivering this very photo: wait for it, then look again.
    var before = photoSending || Promise.resolve(true);
    return before.then(function () {
      return photoStore("readonly", function (store) { return store.get(id); }).catch(function () { return null; });
    }).then(function (rec) {
      if (rec) {
        return dropPhoto(rec).then(function () { return queuedPhotos(); }).then(showQueue);
      }
      enqueue({
        key: "p:" + shop + ":" + id, url: "/shops/" + shop + "/photos/" + id + "/remove",
        body: {}, photo: id, photoQuestion: qid
      });
    });
  }

  function sendPhotos() {
    return queuedPhotos().then(function (list) {
      showQueue();
      if (!list.length) return true;
      if (stopped || !navigator.onLine) return false;  // `online` starts the queue again
      return sendPhoto(list[0]).then(function (goOn) { return goOn ? sendPhotos() : false; });
    });
  }

  // Resolves true when no photo is left waiting.
  function flushPhotos() {
    if (!window.indexedDB) return Promise.resolve(true);
    if (!photoSending) {
      // Two open tabs must not send the same photo at once: one sender per phone.
      var run = navigator.locks
        ? navigator.locks.request("touchstone-photos", sendPhotos)
        : sendPhotos();
      photoSending = run.then(function (done) {
        photoSending = null;
        return done;
      }, function () {
        photoSending = null;
        later();
        return false;
      });
    }
    return photoSending;
  }

  // A phone photo is often 4–12 MB; on a weak signal send at most 1600 px (the server keeps
  // no more than that anyway). Anything the browser cannot decode goes as it is, for the
  // server to judge.
  function shrink(file) {
    if (!window.createImageBitmap || !/^image\//.test(file.type)) return Promise.resolve(file);
    return window.createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size < 2 * 1024 * 1024) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      });
    }, function () { return file; });
  }

  function answered(block) {
    var given = load(GIVEN, {})[block.getAttribute("data-question")];
    if (given) return given.value !== null || !!given.na;
    return block.getAttribute("data-server") !== "null";
  }

  function photo(input) {
    var block = input.closest(".q");
    var file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    var qid = block.getAttribute("data-question");
    // The answer only has to be given (it may still be queued): the photo waits for it.
    if (!answered(block)) {
      return sayPhoto(qid, t("Answer the question first; photos can be added once the answer is saved."), "error");
    }
    var list = block.querySelector("[data-photo-list]");
    if (list && list.children.length >= 3) return sayPhoto(qid, t("A question can have at most 3 photos."), "error");
    sayPhoto(qid, t("Keeping the photo on this phone…"), "wait");
    shrink(file).then(function (blob) {
      if (blob.size > 10 * 1024 * 1024) return sayPhoto(qid, PHOTO_TOO_LARGE, "error");
      var rec = { id: uuid(), user: USER, shop: shop, question: qid, answer: answerId(block), blob: blob, at: Date.now() };
      return photoStore("readwrite", function (store) { return store.put(rec); }).then(function () {
        showWaiting(block, rec);
        photoWaiting += 1;
        showQueue();
        sayPhoto(qid, t("Photo waiting to send: it is kept on this phone."), "wait");
        flush();
      }, function () {
        sayPhoto(qid, t("This phone has no room to keep the photo. Free some space and add it again."), "error");
      });
    });
  }

  // --- expenses: claims with a receipt photo (audits/expenses), kept like answers ---------
  // The claim goes through the queue (key "e:<shop>:<id>", id made here, so a resend is an
  // update); its receipt waits with the photos and follows once the claim is acknowledged.

  var expenseBox = root ? root.querySelector("[data-expenses]") : null;
  var editing = null;  // the id of the claim whose change the form holds

  function expenseRow(id) {
    return expenseBox ? expenseBox.querySelector('[data-expense-id="' + id + '"]') : null;
  }

  function fieldOf(name) {
    return expenseBox.querySelector('[data-expense-field="' + name + '"]');
  }

  function fieldError(name, text) {
    var box = expenseBox.querySelector('[data-expense-error="' + name + '"]');
    var input = fieldOf(name);
    if (box) { box.textContent = text || ""; box.hidden = !text; }
    if (input) input.setAttribute("aria-invalid", text ? "true" : "false");
  }

  // "EUR 4.50" from "4,50" as the server writes it (until the page comes from the server).
  function money(amount, currency) {
    var parts = String(amount).replace(",", ".").split(".");
    var cents = parts.length > 1 ? "." + (parts[1] + "00").slice(0, 2) : "";
    return currency + " " + parts[0] + cents;
  }

  // The row of a claim as the page draws it (templates/audits/_fill_expenses.html).
  function drawExpense(id, claim) {
    var row = expenseRow(id);
    if (!row) {
      row = document.createElement("li");
      row.className = "expense";
      row.id = "expense-" + id;
      row.setAttribute("data-expense-id", id);
      row.setAttribute("data-status", "claimed");
      row.innerHTML = '<div class="expense-head"><span class="expense-what"></span> <strong class="expense-amount"></strong></div>' +
        '<ul class="photo-list" data-receipt-list></ul><p class="q-state" aria-live="polite"></p>' +
        '<div class="form-actions"><label class="btn btn-small"><input type="file" accept="image/jpeg,image/png,image/webp" class="sr-only" data-receipt-input></label> ' +
        '<button type="button" class="btn btn-small" data-expense-edit></button> ' +
        '<button type="button" class="btn btn-small" data-expense-remove></button></div>';
      row.querySelector(".q-state").setAttribute("data-state", "e" + id);
      // The words go in as text (a translation is never read as markup).
      var label = row.querySelector("label.btn");
      label.insertBefore(document.createTextNode(t("Change receipt")), label.firstChild);
      row.querySelector("[data-expense-edit]").textContent = t("Edit");
      row.querySelector("[data-expense-remove]").textContent = t("Remove");
      expenseBox.querySelector("[data-expense-list]").appendChild(row);
    }
    row.setAttribute("data-claim", JSON.stringify(claim));
    row.querySelector(".expense-what").textContent = claim.what_for;
    row.querySelector(".expense-amount").textContent = money(claim.amount, claim.currency);
    var missing = row.querySelector("[data-receipt-missing]");
    if (missing && claim.receipt) missing.hidden = true;
    return row;
  }

  function showReceipt(row, src, waiting) {
    var list = row.querySelector("[data-receipt-list]");
    if (!list) return;
    list.innerHTML = "";
    var item = document.createElement("li");
    if (waiting) item.className = "photo-waiting";
    var img = document.createElement("img");
    img.src = src;
    img.width = 96;
    img.height = 96;
    img.alt = waiting ? t("Receipt, waiting to send") : t("Receipt");
    item.appendChild(img);
    list.appendChild(item);
    var missing = row.querySelector("[data-receipt-missing]");
    if (missing) missing.hidden = true;
  }

  function keepClaim(id, change) {
    var all = load(EXPENSES, {});
    all[id] = Object.assign(all[id] || {}, change);
    store(EXPENSES, all);
    return all[id];
  }

  function queueReceipt(id, file) {
    return shrink(file).then(function (blob) {
      if (blob.size > 10 * 1024 * 1024) {
        mark("e" + id, PHOTO_TOO_LARGE, "error");
        return false;
      }
      var rec = { id: uuid(), user: USER, shop: shop, expense: id, blob: blob, at: Date.now() };
      // One receipt per claim: an earlier one still waiting is replaced by this one.
      return queuedPhotos().then(function (list) {
        return Promise.all(list.filter(function (old) { return old.expense === id; }).map(dropPhoto));
      }).then(function () {
        return photoStore("readwrite", function (s) { return s.put(rec); });
      }).then(function () {
        keepClaim(id, { receipt: true });
        var row = expenseRow(id);
        if (row) showReceipt(row, window.URL.createObjectURL(blob), true);
        mark("e" + id, t("Receipt waiting to send: it is kept on this phone."), "wait");
        return queuedPhotos().then(function () { showQueue(); flush(); return true; });
      }, function () {
        mark("e" + id, t("This phone has no room to keep the photo. Free some space and add it again."), "error");
        return false;
      });
    });
  }

  function receiptSent(rec, body) {
    if (rec.shop !== shop) return;
    var row = expenseRow(rec.expense);
    if (row && body.url) showReceipt(row, body.url, false);
    mark("e" + rec.expense, t("Receipt saved."), "ok");
  }

  function receiptRefused(rec, message) {
    if (rec.shop !== shop) return;
    keepClaim(rec.expense, { receipt: false });
    var row = expenseRow(rec.expense);
    if (row) {
      var list = row.querySelector("[data-receipt-list]");
      if (list) list.innerHTML = "";
    }
    mark("e" + rec.expense, message, "error");
  }

  // Checked here as the server checks (audits/expenses/services.py), so a mistake is said
  // next to its field at once, also without signal.
  function readForm() {
    var amount = fieldOf("amount").value.trim().replace(/\s/g, "");
    var currency = fieldOf("currency").value.trim().toUpperCase();
    var whatFor = fieldOf("what_for").value.replace(/\s+/g, " ").trim();
    var file = fieldOf("receipt").files && fieldOf("receipt").files[0];
    var ok = true;
    ["amount", "currency", "what_for", "receipt"].forEach(function (n) { fieldError(n, ""); });
    var digits = /^\d{1,9}([.,]\d{1,2})?$/.test(amount);
    if (!digits || !/[1-9]/.test(amount)) {
      fieldError("amount", t("Give the amount as more than 0, such as 12.40."));
      ok = false;
    }
    if (!/^[A-Z]{3}$/.test(currency)) {
      fieldError("currency", t("Give a currency by its three-letter ISO 4217 code, such as EUR or USD."));
      ok = false;
    }
    if (!whatFor) {
      fieldError("what_for", t("Say what the expense was for, such as “Coffee and cake (required purchase)”."));
      ok = false;
    }
    var had = editing && load(EXPENSES, {})[editing];
    var hadReceipt = editing && ((had && had.receipt) ||
      JSON.parse(expenseRow(editing).getAttribute("data-claim") || "{}").receipt);
    if (!file && !hadReceipt && expenseBox.getAttribute("data-receipt-required") === "true") {
      fieldError("receipt", t("Add a photo of the receipt: this organization asks for one with each expense."));
      ok = false;
    }
    return ok ? { amount: amount, currency: currency, what_for: whatFor, file: file } : null;
  }

  function resetForm() {
    editing = null;
    ["amount", "what_for", "receipt"].forEach(function (n) { fieldOf(n).value = ""; });
    fieldOf("currency").value = expenseBox.getAttribute("data-currency") || fieldOf("currency").value;
    expenseBox.querySelector("[data-expense-form-title]").textContent = t("Add an expense");
    expenseBox.querySelector("[data-expense-add]").textContent = t("Add the expense");
    expenseBox.querySelector("[data-expense-cancel]").hidden = true;
  }

  function sendClaim(id, claim) {
    mark("e" + id, t("Waiting to send…"), "wait");
    enqueue({
      key: "e:" + shop + ":" + id, expense: id, stateKey: "e" + id,
      url: "/shops/" + shop + "/expenses/" + id,
      body: { amount: claim.amount, currency: claim.currency, what_for: claim.what_for }
    });
  }

  function addExpense() {
    var form = readForm();
    if (!form) return;
    var id = editing || uuid();
    var before = expenseRow(id) ? JSON.parse(expenseRow(id).getAttribute("data-claim") || "{}") : {};
    var claim = keepClaim(id, {
      amount: form.amount, currency: form.currency, what_for: form.what_for,
      receipt: !!(form.file || before.receipt), removed: false
    });
    drawExpense(id, claim);
    sendClaim(id, claim);
    if (form.file) queueReceipt(id, form.file);
    mark("expense-form", editing ? t("Change kept on this phone.") : t("Expense kept on this phone."), "ok");
    resetForm();
  }

  function removeExpense(row) {
    var id = row.getAttribute("data-expense-id");
    keepClaim(id, { removed: true });
    row.parentNode.removeChild(row);
    if (editing === id) resetForm();
    // A receipt still on the phone for it is forgotten; the claim goes off through the queue.
    queuedPhotos().then(function (list) {
      return Promise.all(list.filter(function (rec) { return rec.expense === id; }).map(dropPhoto));
    }).then(function () { return queuedPhotos(); }).then(function () {
      enqueue({
        key: "e:" + shop + ":" + id, expense: id, remove: true, stateKey: "e" + id,
        url: "/shops/" + shop + "/expenses/" + id + "/remove", body: {}
      });
      mark("expense-form", t("Expense removed."), "ok");
    });
  }

  function editExpense(row) {
    var claim = JSON.parse(row.getAttribute("data-claim") || "{}");
    editing = row.getAttribute("data-expense-id");
    fieldOf("amount").value = claim.amount || "";
    fieldOf("currency").value = claim.currency || "";
    fieldOf("what_for").value = claim.what_for || "";
    fieldOf("receipt").value = "";
    expenseBox.querySelector("[data-expense-form-title]").textContent = t("Change the expense");
    expenseBox.querySelector("[data-expense-add]").textContent = t("Save the change");
    expenseBox.querySelector("[data-expense-cancel]").hidden = false;
    fieldOf("amount").focus();
  }

  function restoreExpenses() {
    var all = load(EXPENSES, {});
    Object.keys(all).forEach(function (id) {
      var row = expenseRow(id);
      if (all[id].removed) {
        if (row) row.parentNode.removeChild(row);
        return;
      }
      if (row && row.getAttribute("data-status") !== "claimed") return;  // decided: the server's word
      drawExpense(id, all[id]);
    });
    var pending = pendingKeys();
    Object.keys(pending).forEach(function (key) {
      var m = /^e:[^:]+:(.+)$/.exec(key);
      if (m && key.indexOf("e:" + shop + ":") === 0) mark("e" + m[1], t("Waiting to send…"), "wait");
    });
    queuedPhotos().then(function (list) {
      list.forEach(function (rec) {
        if (!rec.expense || rec.shop !== shop) return;
        var row = expenseRow(rec.expense);
        if (row) showReceipt(row, window.URL.createObjectURL(rec.blob), true);
        mark("e" + rec.expense, t("Receipt waiting to send: it is kept on this phone."), "wait");
      });
    });
  }

  function wireExpenses() {
    if (!expenseBox) return;
    expenseBox.addEventListener("click", function (event) {
      var t = event.target;
      if (t.closest("[data-expense-add]")) return addExpense();
      if (t.closest("[data-expense-cancel]")) return resetForm();
      var row = t.closest("[data-expense-id]");
      if (row && t.closest("[data-expense-remove]")) return removeExpense(row);
      if (row && t.closest("[data-expense-edit]")) return editExpense(row);
    });
    expenseBox.addEventListener("change", function (event) {
      var input = event.target;
      if (!input.hasAttribute("data-receipt-input")) return;
      var row = input.closest("[data-expense-id]");
      var file = input.files && input.files[0];
      input.value = "";
      if (row && file) queueReceipt(row.getAttribute("data-expense-id"), file);
    });
    restoreExpenses();
  }

  // --- the file fallback: a copy of this shop's waiting items the shopper can hand over ----
  // (docs/reliability.md, "A file when there is no signal"; imported on the owner's shop page)

  function shopItems() {
    return load(QUEUE, []).filter(function (item) { return String(item.shop) === String(shop); });
  }

  function showCopy() {
    var box = document.querySelector("[data-phone-copy]");
    if (box) box.hidden = !shopItems().length;
  }

  function saveCopy() {
    // Expense claims stay on the phone (their receipts cannot go in a file either).
    var items = shopItems().filter(function (item) { return !item.expense; }).map(function (item) {
      var kind = /\/answers$/.test(item.url) ? "answer"
        : /\/visit$/.test(item.url) ? "visit"
        : /\/visit-start$/.test(item.url) ? "visit-start" : "section-comment";
      // The start's time only: a position never goes into a file someone else handles.
      if (kind === "visit-start") return { kind: kind, started_at: item.body.started_at };
      return Object.assign({ kind: kind }, item.body);
    });
    var now = new Date();
    var copy = {
      format: "touchstone-phone-copy", version: 1, shop_id: Number(shop), user_id: USER,
      written_at: now.toISOString(), photos_left_out: photoWaiting || 0,
      note: t("Photos are not in this file: they stay on the phone until it has signal."),
      items: items
    };
    var blob = new Blob([JSON.stringify(copy, null, 1)], { type: "application/json" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "touchstone-shop-" + shop + "-" + now.toISOString().slice(0, 10) + ".json";
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-save-copy]")) saveCopy();
  });

  // --- hand in: only once every waiting answer and photo has been sent ---------------------

  function wireSubmit() {
    var form = document.querySelector("form[data-submit]");
    if (!form) return;
    var going = false;
    form.addEventListener("submit", function (event) {
      if (going) return;  // the queue is empty and the form is on its way
      event.preventDefault();
      if (!navigator.onLine) {
        var held = load(QUEUE, []).length;
        handInHeld = !!(held || photoWaiting);
        status(handInHeld ? handInHeldText(photoWaiting)
          : t("No connection: the shop is not handed in. Press “Hand in the shop” again once you have signal."), true);
        return;
      }
      var button = document.querySelector("[data-submit-button]");
      if (button) button.disabled = true;
      status(photoWaiting ? t("Sending your last answers and photos…") : t("Sending your last answers…"), false);
      flush().then(function (empty) {
        // Count again: a photo may have been added while the last ones were going out.
        return queuedPhotos().then(function () { return empty; });
      }).then(function (empty) {
        var waiting = load(QUEUE, []).length;
        if (empty && waiting === 0 && photoWaiting === 0) {
          going = true;
          clearShop();
          form.submit();
        } else {
          if (button) button.disabled = false;
          handInHeld = !!(waiting || photoWaiting);
          if (stopped) return showQueue();
          status(handInHeld
            ? handInHeldText(photoWaiting)
            : t("Some answers were refused; see the messages above."), true);
        }
      });
    });
  }

  function clearShop() {
    // The server holds everything now; keep nothing of this shop on the phone.
    [GIVEN, IDS, VISIT, DRAFTS, LAST_ACK, REMOVED, SENT_PHOTOS, EXPENSES, START].forEach(function (key) { window.localStorage.removeItem(key); });
    forgetRefusals(shop);
  }

  // --- service worker: lets a reload without signal still open the fill pages --------------

  function precache() {
    if (!root || !("caches" in window) || !navigator.onLine) return;
    var urls = JSON.parse(root.getAttribute("data-precache") || "[]");
    // The checklist's language (the shopper can pick another): screens saved in the one
    // before are fetched again, so a reload without signal shows them in the new one.
    var langKey = "touchstone-fill-lang-" + shop;
    var lang = root.getAttribute("lang") || "";
    var stale = window.localStorage.getItem(langKey) !== lang;
    window.caches.open("touchstone-pages-v1").then(function (cache) {
      var fetched = urls.map(function (url) {
        return cache.match(url).then(function (hit) {
          if (hit && !(stale && url !== window.location.pathname + window.location.search)) return true;
          return window.fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (!response.ok || response.redirected) return false;
            return cache.put(url, response).then(function () { return true; });
          }, function () { return false; });
        });
      });
      Promise.all(fetched).then(function (done) {
        if (done.every(Boolean)) window.localStorage.setItem(langKey, lang);
      });
    });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      precache();
    }, function () {});
  }

  // Logging out on a shared phone: drop the saved copies of pages (waiting answers stay,
  // and go out after the next login).
  document.addEventListener("submit", function (event) {
    // Not while the logout waits for the shopper's word (answers still on the phone).
    if (event.defaultPrevented) return;
    if (event.target.getAttribute("action") === "/logout" && "caches" in window) {
      window.caches.delete("touchstone-pages-v1");
    }
  });

  var done = document.querySelector("[data-shop-done]");
  if (done) {
    shop = done.getAttribute("data-shop-done");
    [shopKey("given", shop), shopKey("ids", shop), shopKey("visit", shop), shopKey("drafts", shop),
      shopKey("acked", shop), shopKey("removed", shop), shopKey("photos", shop),
      shopKey("expenses", shop), shopKey("start", shop)].forEach(function (key) { window.localStorage.removeItem(key); });
    forgetRefusals(shop);
  }

  if (root) {
    wireQuestions();
    wireExpenses();
    wireStart();
    wireSubmit();
    restore();
    takeDrafts();
    askPersist();
    var missing = root.querySelector(".q-missing");
    if (missing) missing.scrollIntoView({ block: "start" });
  }
  // The logout warning (touchstone.js) sends through this. Resolves true once nothing waits.
  window.touchstoneQueue = {
    send: function () { stopped = ""; retryDelay = 0; return flush(); }
  };
  showQueue();
  if (document.getElementById("storage-line")) queuedPhotos().then(showQueue);
  window.addEventListener("online", function () { retryDelay = 0; flush(); });
  // Back on the page (the shopper may have logged in again in another tab): try again; a
  // login still ended stops the queue again at its first item.
  window.addEventListener("pageshow", function () { stopped = ""; flush(); });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { stopped = ""; flush(); }
  });
  flush();
})();
