// Offline quick add: an add or edit of an expense that gets no answer at all (offline, or the network
// dropped it; never a 4xx or 5xx, which are answers) is kept in IndexedDB and sent again later: on
// `online`, when the server answers again, on the next page open, and when the service worker's
// Background Sync says so (sw.js). Each write keeps the Idempotency-Key it was first tried with, so one
// that reached the server before its answer was lost is answered from the first (app/idempotency.py),
// never stored twice. A write the server later refuses stays, marked with the reason, until the person
// dismisses it. Log-out forgets the queue and the service worker's copies of API answers.

import { ApiError, keyedWrite, newKey, scope } from "./api.js";

const DB_NAME = "expense-tracker";
const STORE = "writes";
/** Fired on window when the queue changed (in this tab). */
export const QUEUE_CHANGED = "queue-changed";
// The service worker's copies of GET /api/ answers (sw.js names it so).
const API_CACHE = "expense-tracker-api";
const OWNER_KEY = "expense-tracker.owner"; // whose data this browser holds: the user id

let opened = null;
const tried = new Map(); // a save's method, path, query and body -> its key, while it failed with a 5xx

function database() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

/** Run `work(store)` in one transaction; resolves with the last request's result once it committed. */
async function inStore(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const request = work(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(request?.result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

const all = () => inStore("readonly", (store) => store.getAll());
const put = (write) => inStore("readwrite", (store) => store.put(write));
const drop = (id) => inStore("readwrite", (store) => store.delete(id));
const changed = () => window.dispatchEvent(new CustomEvent(QUEUE_CHANGED));

/** No answer came back: the server may or may not have it. A 502/503/504 from a proxy is an answer. */
const unanswered = (error) => error instanceof ApiError && error.status === 0;

function send(write) {
  return keyedWrite(write.method, write.path, { body: write.body, query: write.query, key: write.key });
}

/**
 * Save an expense: an add (`id` null) or an edit (`body` is the PATCH; `shown`, the whole expense as
 * edited, is what its row shows while kept). Returns {expense} when the server stored it, {queued}
 * when it was kept here to be sent later; throws the server's refusal.
 */
export async function saveExpense({ id = null, body, user, shown = body }) {
  const method = id === null ? "POST" : "PATCH";
  const path = id === null ? "/api/expenses" : `/api/expenses/${encodeURIComponent(id)}`;
  const query = scope.ledger === null ? {} : { ledger: scope.ledger };
  // The same save again after a 5xx (a proxy's 504 may hide a stored write) keeps its first key, as
  // api.js's creates do; a success, a refusal (4xx) or the queue ends that.
  const print = JSON.stringify([method, path, query, body]);
  const key = tried.get(print) ?? newKey();
  tried.set(print, key);
  const write = { user, ledger: scope.ledger, method, path, query, body, shown, key, expense: id, state: "pending", reason: null, at: Date.now() };
  try {
    const expense = await send(write);
    tried.delete(print);
    return { expense };
  } catch (error) {
    if (!unanswered(error)) {
      if (error instanceof ApiError && error.status < 500) tried.delete(print);
      throw error;
    }
  }
  tried.delete(print); // kept below with its key: the same input typed again is another expense
  await put(write);
  changed();
  askForSync();
  return { queued: write };
}

/** The writes kept for this user in this ledger (`ledger` as api.scope has it), oldest first. */
export async function keptWrites(user, ledger) {
  try {
    return (await all()).filter((w) => w.user === user && w.ledger === ledger);
  } catch {
    return []; // no IndexedDB (a private window of an old browser): nothing was kept either
  }
}

/** Forget a refused write the person has read. */
export async function dismiss(id) {
  await drop(id);
  changed();
}

let flushing = null;

/**
 * Send this user's pending writes, oldest first, each with its own key; resolves with how many the
 * server stored. One flush at a time, across tabs too where the browser has Web Locks.
 */
export function flush(user) {
  flushing ??= (navigator.locks ? navigator.locks.request("expense-tracker.queue", () => sendAll(user)) : sendAll(user)).finally(
    () => (flushing = null),
  );
  return flushing;
}

async function sendAll(user) {
  let sent = 0;
  let touched = false;
  let writes = [];
  try {
    writes = await all();
  } catch {
    return 0;
  }
  for (const write of writes) {
    if (write.user !== user || write.state !== "pending") continue;
    try {
      await send(write);
      await drop(write.id);
      sent += 1;
      touched = true;
    } catch (error) {
      // No answer, a server or proxy in trouble, too many requests, or a session to renew: later.
      const later = unanswered(error) || !(error instanceof ApiError) || error.status === 401 || error.status === 429 || error.status >= 500;
      if (later) break;
      // Refused (422, 403, 404, 409): kept with the reason, for the person to read and dismiss.
      await put({ ...write, state: "refused", reason: error.message });
      touched = true;
    }
  }
  if (touched) changed();
  return sent;
}

/** Where the browser has Background Sync, the service worker wakes an open page to flush (sw.js). */
function askForSync() {
  navigator.serviceWorker?.ready.then((registration) => registration.sync?.register("send-queue")).catch(() => {});
}

/** Forget everything this browser holds of the user: the queue and the copies of API answers. */
export async function forgetAll() {
  localStorage.removeItem(OWNER_KEY);
  await Promise.all([
    inStore("readwrite", (store) => store.clear()).catch(() => {}),
    globalThis.caches?.delete(API_CACHE).catch(() => {}),
  ]);
  changed();
}

/** At a log-in: another user's queue and copies are forgotten before anything of this one's is read. */
export async function ownedBy(user) {
  if (localStorage.getItem(OWNER_KEY) !== String(user)) await forgetAll();
  localStorage.setItem(OWNER_KEY, String(user));
}
