// Touchstone service worker: the shopper's pages and the static files open without signal.
// Pages are network-first (fresh when there is signal, the last copy when there is none);
// answers are never handled here: the page's own queue (touchstone-queue.js) keeps them.
"use strict";

var STATIC = "touchstone-static-v1";
var PAGES = "touchstone-pages-v1";
var STATIC_FILES = [
  "/static/touchstone.css",
  "/static/touchstone.js",
  "/static/touchstone-queue.js",
  "/static/__HTMX__",
  "/static/favicon.svg"
];
var WAIT_MS = 4000;  // on a weak signal, show the saved copy rather than a spinner

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(STATIC_FILES); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
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
