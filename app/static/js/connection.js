// What the page says while the server is slow or out of reach, so it never looks frozen: a save
// unanswered for a few seconds shows "Still saving..." (the form stays as it is), and no answer at all
// shows "Can't reach the server" until one comes back, checking by itself every few seconds. The
// notice goes away on the server's next answer; `onBack` then lets the page load what it missed.

import { api, network } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

const RETRY_MS = 3000;

const notice = el("p", { class: "connection-notice", role: "status", "aria-live": "polite", hidden: true });
let saving = 0; // saves past the slow mark, still unanswered
let down = false;
let retry = null;
let back = () => {};

function show() {
  const text = down ? t("connection.unreachable") : saving > 0 ? t("connection.stillSaving") : "";
  notice.textContent = text;
  notice.hidden = !text;
  notice.dataset.state = down ? "down" : "slow";
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
network.addEventListener("answered", () => {
  if (!down) return;
  down = false;
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

/** A copy of the page for reloads during an outage (/sw.js). Browsers allow it on https and localhost. */
function keepPageCopy() {
  if (!navigator.serviceWorker) return;
  navigator.serviceWorker.register("/sw.js").catch(() => {});
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
