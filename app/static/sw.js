// Keeps a copy of the page itself (its HTML, CSS and scripts; never data from /api/), so that a reload
// while the server is out of reach still opens the page, which then says so and retries
// (js/connection.js) instead of showing the browser's error. The server is always asked first: the
// copy is only for when it does not answer.

const CACHE = "expense-tracker-page";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// The page sends what it loaded before this worker was there to see it.
self.addEventListener("message", (event) => {
  const urls = (event.data?.keep ?? []).filter(isPage);
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(urls)).catch(() => {}));
});

self.addEventListener("fetch", (event) => {
  if (event.request.method === "GET" && isPage(event.request.url)) event.respondWith(askServer(event.request));
});

function isPage(address) {
  const url = new URL(address, self.location.origin);
  return url.origin === self.location.origin && !url.pathname.startsWith("/api/");
}

// A server that does not answer in this long (a network that drops packets) is as good as down.
const WAIT_MS = 4000;

async function askServer(request) {
  const cache = await caches.open(CACHE);
  const answer = fetch(request)
    .then((response) => {
      if (response.ok) cache.put(request, response.clone()).catch(() => {});
      return response;
    })
    .catch(() => null);
  const late = new Promise((resolve) => setTimeout(resolve, WAIT_MS, null));
  const response = await Promise.race([answer, late]);
  // A proxy's 502/503/504 while the app is down is no answer either.
  if (response && response.status < 500) return response;
  const copy = (await cache.match(request)) ?? (request.mode === "navigate" ? await cache.match("/") : undefined);
  return copy ?? (await answer) ?? Response.error();
}
