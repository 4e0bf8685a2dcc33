/* Baromètre's service worker (DESIGN.md §3.11). Version {{ version }}.
 *
 * It caches GET requests only: the app shell (cache first, versioned: a new version installs
 * a new shell cache and drops the old ones) and the investigator's pages (network first, the
 * cached copy when offline). It never handles another method: writes go through the page
 * script's queue in IndexedDB, which no cache clean-up here can touch, so an update never
 * drops a stored draft. */
"use strict";

const VERSION = {{ version | tojson }};
const SHELL_CACHE = "barometre-shell-" + VERSION;
const PAGES_CACHE = "barometre-pages";
const SHELL = {{ shell | tojson }};
/* Pages worth keeping for offline use: the agenda and each mission's page. */
const PAGE_PATH = /^\/missions(\/\d+)?\/?$/;
const NETWORK_TIMEOUT_MS = 6000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names
          .filter((name) => name.startsWith("barometre-shell-") && name !== SHELL_CACHE)
          .map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

function isCacheablePage(response) {
  /* A redirect (to the login page, once the session expired) is never kept as the page. */
  return response.ok && !response.redirected && response.type === "basic";
}

async function keep(request, response) {
  if (isCacheablePage(response)) {
    const cache = await caches.open(PAGES_CACHE);
    await cache.put(request.url, response.clone());
  }
  return response;
}

async function page(event) {
  /* Network first. With a kept copy, a network slower than NETWORK_TIMEOUT_MS gives the copy
   * (the fresh page still replaces it when it arrives); with none, the network is awaited as
   * long as it takes, and only a failure gives the offline notice. */
  const request = event.request;
  const fresh = fetch(request).then((response) => keep(request, response));
  const kept = await caches.match(request.url, { cacheName: PAGES_CACHE });
  if (!kept) return fresh.catch(offlineNotice);
  event.waitUntil(fresh.catch(() => null));
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve(kept), NETWORK_TIMEOUT_MS); });
  try {
    return await Promise.race([fresh, late]);
  } catch (error) {
    return kept;
  } finally {
    clearTimeout(timer);
  }
}

function offlineNotice() {
  return new Response(
    "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\"><meta name=\"viewport\" " +
    "content=\"width=device-width, initial-scale=1\"><title>Hors connexion · Baromètre</title>" +
    "<main><h1>Hors connexion</h1><p>Cette page n’a pas encore été ouverte sur ce téléphone : " +
    "elle s’affichera dès que le réseau reviendra. Vos rapports enregistrés sont conservés." +
    "</p><p><a href=\"/missions\">Mes missions</a></p></main></html>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
  );
}

async function shellFile(request) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(SHELL_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; /* never: writes are the page's, over the network */
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (SHELL.includes(url.pathname)) {
    event.respondWith(shellFile(request));
  } else if (PAGE_PATH.test(url.pathname) && !url.search) {
    event.respondWith(page(event));
  }
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "version") {
    event.ports[0] && event.ports[0].postMessage({ version: VERSION });
  } else if (message.type === "keep-pages") {
    /* The agenda asks to keep each mission's page for offline use. */
    /* One page at a time, so that a slow line keeps room for the page the investigator opens;
     * pages already kept are refreshed when opened (network first), not fetched again here. */
    const urls = (message.urls || []).filter((path) => PAGE_PATH.test(path));
    event.waitUntil((async () => {
      const cache = await caches.open(PAGES_CACHE);
      for (const path of urls) {
        const url = new URL(path, self.location.origin).href;
        if (await cache.match(url)) continue;
        const request = new Request(url, { credentials: "same-origin" });
        await fetch(request).then((response) => keep(request, response)).catch(() => null);
      }
    })());
  } else if (message.type === "forget-pages") {
    /* Signing out: another person's pages must not be shown on this phone. */
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});
