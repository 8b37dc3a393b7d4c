// What the page says while the server is slow or out of reach, so it never looks frozen: a save
// unanswered for a few seconds shows "Still saving..." (the form stays as it is), and no answer at all
// shows "Can't reach the server" until one comes back, checking by itself every few seconds. The
// notice goes away on the server's next answer; `onBack` then lets the page load what it missed.

import { api, network } from "./api.js";
import { el } from "./dom.js";
import { formatClock } from "./format.js";
import { t } from "./i18n.js";

const RETRY_MS = 3000;

const notice = el("p", { class: "connection-notice", role: "status", "aria-live": "polite", hidden: true });
let saving = 0; // saves past the slow mark, still unanswered
let down = false;
let saved = null; // the oldest copy shown since the server last answered (a Date)
let retry = null;
let back = () => {};

function show() {
  const text = saved
    ? t("connection.showingSaved", { time: formatClock(saved) })
    : down
      ? t("connection.unreachable")
      : saving > 0
        ? t("connection.stillSaving")
        : "";
  notice.textContent = text;
  notice.hidden = !text;
  notice.dataset.state = saved ? "saved" : down ? "down" : "slow";
}

/** Ask the server again in a moment; any answer (this one or another request's) ends the outage. */
function scheduleRetry() {
  clearTimeout(retry);
  retry = setTimeout(() => api.health().catch(scheduleRetry), RETRY_MS);
}

network.addEventListener("slow", () => {
  saving += 1;
  show();
});
network.addEventListener("settled", () => {
  saving = Math.max(0, saving - 1);
  show();
});
network.addEventListener("unreachable", () => {
  down = true;
  show();
  scheduleRetry();
});
// A copy of an earlier answer (sw.js) was shown in place of the server's.
network.addEventListener("copy", (event) => {
  if (!saved || event.detail < saved) saved = event.detail;
  down = true;
  show();
  scheduleRetry();
});
network.addEventListener("answered", () => {
  if (!down) return;
  down = false;
  saved = null;
  clearTimeout(retry);
  show();
  back();
});

/** Put the notice on the page; `onBack()` runs each time the server answers after an outage. */
export function watchConnection(onBack) {
  back = onBack;
  document.body.prepend(notice);
  keepPageCopy();
}

/**
 * A copy of the page, and of what it read, for a reload without the server (/sw.js): the worker of the
 * page's version of its files (app/assets.py), so a deploy brings a new one. Browsers allow it on https
 * and localhost.
 */
function keepPageCopy() {
  if (!navigator.serviceWorker) return;
  const version = document.querySelector('meta[name="static-version"]')?.content;
  navigator.serviceWorker.register(version ? `/sw.js?v=${encodeURIComponent(version)}` : "/sw.js").catch(() => {});
  if (version) return; // the worker keeps its version's files itself
  // What loaded before the worker could see it: the page, its styles, its modules.
  navigator.serviceWorker.ready.then((registration) => {
    const loaded = performance.getEntriesByType("resource").map((entry) => entry.name);
    registration.active?.postMessage({ keep: ["/", ...loaded] });
  });
}

/** The page at start-up when the server cannot be reached: never the log-in form, since the session
 * may be fine. The notice above retries; `onBack` (see watchConnection) starts the page again. */
export function offlineView() {
  return el(
    "section",
    { class: "offline card", "aria-labelledby": "offline-title" },
    el("h1", { id: "offline-title" }, t("connection.offlineTitle")),
    el("p", {}, t("connection.offlineText")),
    el("button", { type: "button", onclick: () => api.health().catch(() => {}) }, t("connection.tryNow")),
  );
}
