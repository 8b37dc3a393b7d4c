// The service worker: the page opens without a connection, and shows what it last read.
//
// The app shell. The page registers /sw.js?v=<version> (js/connection.js), the version of its static
// files (app/assets.py: every file is also at /s/<version>/..., immutable). A new deploy is a new
// version, so a new worker: it caches that version's shell (GET /s/<v>/shell.json lists it, "/" first)
// in a cache of its own, and on activate deletes every other version's. Versioned files come from the
// cache first (they never change); the page itself from the server first, else from the cache of the
// worker's own version, whose files are all there: never a mix of two versions.
//
// API reads. GET /api/ answers (JSON, with a session) are copied; the next read sends the copy's ETag
// in If-None-Match, and a 304 is answered from the copy. Without an answer (offline, a proxy's 5xx, no
// answer within WAIT_MS) the copy is sent with X-Saved-At, when it was last current, for the page to say
// so (js/api.js). Copies are the logged-in user's only: the page deletes them at log-out and at another
// user's log-in (js/queue.js), and a request without a session never gets one.
//
// Background Sync: the page asks for "send-queue" when it kept a write offline (js/queue.js); the
// worker cannot send it (the session's token is the page's), so it asks the open pages to.

const VERSION = new URL(self.location.href).searchParams.get("v"); // null: a page from before versions
const SHELL_PREFIX = "expense-tracker-shell-";
const SHELL = SHELL_PREFIX + (VERSION ?? "unversioned");
const API_CACHE = "expense-tracker-api";
const OLD_CACHES = ["expense-tracker-page"]; // the copy of the page before versions
const SAVED_AT = "X-Saved-At";
// A server that does not answer in this long (a network that drops packets) is as good as down.
const WAIT_MS = 4000;

self.addEventListener("install", (event) => event.waitUntil(VERSION ? keepShell().then(() => self.skipWaiting()) : self.skipWaiting()));

/** This version's shell, whole, or the install fails (and the browser tries again later). */
async function keepShell() {
  const listed = await fetch(`/s/${VERSION}/shell.json`, { cache: "no-cache" });
  if (!listed.ok) throw new Error(`shell.json: ${listed.status}`);
  const { version, files } = await listed.json();
  const cache = await caches.open(SHELL);
  await cache.addAll(files.map((url) => new Request(url, { cache: "no-cache" })));
  // The server may already have moved on to a newer version: this page would load that one's files.
  const page = await (await cache.match("/")).text();
  if (version !== VERSION || !page.includes(`content="${VERSION}"`)) {
    await caches.delete(SHELL);
    throw new Error(`The server is no longer at version ${VERSION}`);
  }
}

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => names.filter((name) => (name.startsWith(SHELL_PREFIX) && name !== SHELL) || OLD_CACHES.includes(name)))
      .then((old) => Promise.all(old.map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

// Unversioned: the page sends what it loaded before this worker was there to see it.
self.addEventListener("message", (event) => {
  if (VERSION) return;
  const urls = (event.data?.keep ?? []).filter((url) => kind(new URL(url, self.location.origin)) === "page");
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(urls)).catch(() => {}));
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "send-queue") return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((pages) => pages.forEach((page) => page.postMessage({ flush: true }))));
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const what = kind(url);
  if (what === "versioned") event.respondWith(versioned(request));
  else if (what === "api") event.respondWith(readApi(request, url));
  else if (what === "page") event.respondWith(page(request, url));
});

/** "versioned" (/s/<v>/...), "api" (a read to copy), "page" (the page and its other files), or null. */
function kind(url) {
  if (url.origin !== self.location.origin) return null;
  if (url.pathname.startsWith("/s/")) return "versioned";
  if (url.pathname.startsWith("/api/")) {
    // Not the log-in's, the health check's (it says whether the server answers) nor the downloads'.
    const skip = /^\/api\/(auth\/|health|.*export)/.test(url.pathname);
    return skip ? null : "api";
  }
  return url.pathname === "/sw.js" ? null : "page";
}

async function versioned(request) {
  return (await caches.match(request)) ?? fetch(request);
}

/** The server's answer within WAIT_MS (null for none, or for a proxy's 5xx while the app is down). */
async function answer(pending) {
  const late = new Promise((resolve) => setTimeout(resolve, WAIT_MS, null));
  const response = await Promise.race([pending, late]);
  return response && response.status < 500 ? response : null;
}

async function page(request, url) {
  const cache = await caches.open(SHELL);
  const asked = fetch(request)
    .then((response) => {
      if (!VERSION && response.ok) cache.put(request, response.clone()).catch(() => {});
      return response;
    })
    .catch(() => null);
  const response = await answer(asked);
  if (response) return response;
  // Offline: the page is the shell's "/" (its address is all in the hash); an old unversioned URL is
  // this version's file.
  const path = request.mode === "navigate" ? "/" : VERSION ? `/s/${VERSION}${url.pathname}` : url.pathname;
  return (await cache.match(path)) ?? (await asked) ?? Response.error();
}

async function readApi(request, url) {
  const signed = request.headers.has("Authorization");
  const cache = await caches.open(API_CACHE);
  const copy = signed ? await cache.match(request, { ignoreVary: true }) : undefined;
  const headers = new Headers(request.headers);
  const tag = copy?.headers.get("ETag");
  const conditional = Boolean(tag) && !headers.has("If-None-Match");
  if (conditional) headers.set("If-None-Match", tag);
  // With If-None-Match the browser's own cache stays out of it (the Fetch standard); without a copy
  // here, that cache revalidates what it holds itself.
  const asked = fetch(new Request(request, { headers }))
    .then(async (response) => {
      if (conditional && response.status === 304) {
        const current = await stamped(copy.clone(), response.headers);
        await cache.put(request, current.clone());
        return unstamped(current);
      }
      const json = (response.headers.get("Content-Type") ?? "").startsWith("application/json");
      if (signed && response.ok && json) await cache.put(request, await stamped(response.clone()));
      return response;
    })
    .catch(() => null);
  const response = await answer(asked);
  if (response) return response;
  if (copy) return copy; // with X-Saved-At: the page says how old it is
  return (await asked) ?? Response.error();
}

/** The response as kept: its headers (and `fresh` ones from a 304) with X-Saved-At, now. */
async function stamped(response, fresh = new Headers()) {
  const headers = new Headers(response.headers);
  for (const [name, value] of fresh) headers.set(name, value);
  // The body kept is the decoded one (the server may have sent it gzipped).
  for (const name of ["content-length", "content-encoding"]) headers.delete(name);
  headers.set(SAVED_AT, new Date().toISOString());
  return new Response(await response.blob(), { status: 200, statusText: "OK", headers });
}

function unstamped(response) {
  const headers = new Headers(response.headers);
  headers.delete(SAVED_AT);
  return new Response(response.body, { status: 200, statusText: "OK", headers });
}
