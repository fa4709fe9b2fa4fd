// The HuCares service worker: the app opens offline and shows what it last knew.
// Served at /sw.js so that its scope is the whole app; built by web.views.service_worker.
const VERSION = {{ version_json|safe }};
const PRECACHE = {{ precache_json|safe }};
const SHELL_CACHE = `hucares-shell-${VERSION}`;
// The last answers of the API's reads; the page empties it at sign-out.
const DATA_CACHE = "hucares-data";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("hucares-shell-") && key !== SHELL_CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

/**
 * Network first, so an online user always sees the server's present; the copy
 * is kept for when the network is gone.
 * @param {Request} request @param {string} cacheName @param {string} [fallbackKey]
 */
async function networkFirst(request, cacheName, fallbackKey) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(fallbackKey ?? request, response.clone());
    return response;
  } catch (error) {
    // Tokens change every few minutes: the saved answer is matched by address only.
    const saved = await cache.match(fallbackKey ?? request, { ignoreVary: true });
    if (saved) return saved;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Every screen of the app is the same page: one copy serves them all.
    event.respondWith(networkFirst(request, SHELL_CACHE, "/"));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(networkFirst(request, SHELL_CACHE));
  } else if (url.pathname.startsWith("/api/v1/") && !url.pathname.startsWith("/api/v1/events") && !url.pathname.startsWith("/api/v1/auth/")) {
    event.respondWith(networkFirst(request, DATA_CACHE));
  }
});
