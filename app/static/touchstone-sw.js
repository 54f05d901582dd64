// Touchstone service worker: the shopper's pages and the static files open without signal.
// Pages are network-first (fresh when there is signal, the last copy when there is none);
// answers are never handled here: the page's own queue (touchstone-queue.js) keeps them.
"use strict";

// The server writes in this release's name (a digest of the static files, or RELEASE): a
// new release is a new worker, which fetches the new static files before it takes over.
var RELEASE = "__RELEASE__";
var STATIC = "touchstone-static-" + RELEASE;
// The saved screens of open shops keep one name across releases: an update never drops the
// copy a shopper without signal needs (the answers themselves live in the page's outbox, in
// localStorage and IndexedDB, which no worker touches).
var PAGES = "touchstone-pages-v1";
var STATIC_FILES = __STATIC_FILES__;
var WAIT_MS = 4000;  // on a weak signal, show the saved copy rather than a spinner

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(STATIC_FILES); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  // Only the static files of earlier releases go; never the pages.
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("touchstone-static-") === 0 && name !== STATIC;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function isPage(url) {
  return url.pathname === "/" || /^\/shops\/\d+\/fill$/.test(url.pathname);
}

function networkFirst(request, cacheName, key) {
  return caches.open(cacheName).then(function (cache) {
    var network = fetch(request).then(function (response) {
      if (response.ok && !response.redirected) cache.put(key, response.clone());
      return response;
    });
    var fallback = new Promise(function (resolve) {
      setTimeout(function () { cache.match(key).then(function (hit) { if (hit) resolve(hit); }); }, WAIT_MS);
    });
    return Promise.race([
      network,
      fallback
    ]).catch(function () {
      return cache.match(key).then(function (hit) {
        return hit || new Response(
          "<!doctype html><title>Offline</title><p>No signal, and this page was not saved on the phone yet.</p>",
          { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
        );
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(networkFirst(request, STATIC, url.pathname));
  } else if (request.mode === "navigate" && isPage(url)) {
    event.respondWith(networkFirst(request, PAGES, url.pathname + url.search));
  }
});
