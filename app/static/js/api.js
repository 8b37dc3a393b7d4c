// The only module that talks to the server. Adds the token, parses JSON, turns failures into
// ApiError (carrying the server's `detail`), and reports an expired session exactly once per 401.

import { localized } from "./api-messages.js";
import { firstDayOfWeek, t } from "./i18n.js";

const TOKEN_KEY = "expense-tracker.token";
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]; // Intl's 1 to 7

export class ApiError extends Error {
  constructor(status, detail) {
    super(describe(detail, status));
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }

  /** Field name -> message, from a 422 `detail` list ({type, loc, msg}). */
  get fieldErrors() {
    const errors = {};
    if (!Array.isArray(this.detail)) return errors;
    for (const item of this.detail) {
      const loc = Array.isArray(item?.loc) ? item.loc : [];
      const name = loc.length > 1 ? String(loc[loc.length - 1]) : null;
      if (name && !(name in errors)) errors[name] = friendly(item.msg);
    }
    return errors;
  }
}

function capitalised(message) {
  const text = String(message ?? "This value is not valid").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A field's message, capitalised, in the page's language when it is one the page knows. */
function friendly(message) {
  return localized(capitalised(message));
}

function describe(detail, status) {
  if (typeof detail === "string" && detail) return localized(detail);
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((item) => {
        const loc = Array.isArray(item?.loc) ? item.loc.filter((p) => p !== "body" && p !== "query") : [];
        if (!loc.length) return friendly(item?.msg);
        const said = friendly(item.msg); // a message the page knows, in its language; else as the API wrote it
        return `${loc.join(".")}: ${said === capitalised(item.msg) ? item.msg : said}`;
      })
      .join("; ");
  }
  if (status === 0) return t("error.unreachable");
  if (status >= 500) return t("error.server");
  return t("error.status", { status: String(status) });
}

const KEEP_KEY = "expense-tracker.keep";
const RENEWED_KEY = "expense-tracker.renewed";
// A session is renewed at most this often while the page is used: each renewal gives it its whole
// lifetime again (30 days, 90 with "Keep me signed in"; the server decides).
const RENEW_EVERY_MS = 60 * 60 * 1000;

/**
 * Where the token lives: localStorage, so every tab of the page shares one session (and a renewal in
 * one is the token of all). "Keep me signed in" is the server's business (a longer session); it is
 * kept here only so a new log-in asks for the same.
 */
export const session = {
  get token() {
    // sessionStorage: a tab opened before sessions were shared.
    return localStorage.getItem(TOKEN_KEY) ?? sessionStorage.getItem(TOKEN_KEY);
  },
  get persistent() {
    return localStorage.getItem(KEEP_KEY) === "true";
  },
  save(token, persist) {
    this.clear();
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(KEEP_KEY, String(Boolean(persist)));
    localStorage.setItem(RENEWED_KEY, String(Date.now()));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    for (const key of [TOKEN_KEY, KEEP_KEY, RENEWED_KEY]) localStorage.removeItem(key);
  },
};

let renewing = null;

/** Renew the session if the last renewal (in any tab) is over RENEW_EVERY_MS old. */
function renewIfDue() {
  const last = Number(localStorage.getItem(RENEWED_KEY));
  if (renewing || !session.token || Date.now() - last < RENEW_EVERY_MS) return;
  const token = session.token;
  localStorage.setItem(RENEWED_KEY, String(Date.now())); // other tabs need not try too
  renewing = json("POST", "/api/auth/renew", { expire: false, saving: false })
    .then((renewed) => {
      // Not if this tab or another logged out or in meanwhile: that token is not ours to replace.
      if (session.token === token) localStorage.setItem(TOKEN_KEY, renewed.access_token);
    })
    .catch(() => {
      /* a session that ended says so on the next request; an outage leaves the token as it was */
    })
    .finally(() => {
      renewing = null;
    });
}

/**
 * How the server is answering, for the page to tell the person: "unreachable" (no answer, or a proxy's
 * 502/503/504 while the app is down), "answered" (any other answer), and "slow" / "settled" around a
 * save that took longer than SLOW_MS.
 */
export const network = new EventTarget();
const SLOW_MS = 5000;
const GATEWAY_DOWN = new Set([502, 503, 504]);

/** True for a failure that says nothing about the session: the server could not be reached. */
export function isUnreachable(error) {
  return error instanceof ApiError && (error.status === 0 || GATEWAY_DOWN.has(error.status));
}

/** Fired on window when an authenticated call comes back 401: the UI returns to the log-in form. */
export const SESSION_EXPIRED = "session-expired";

function address(path, query) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  return url;
}

async function send(method, path, { body, form, query, auth = true, expire = true, key, saving = auth && method !== "GET" } = {}) {
  const url = address(path, query);
  const headers = { Accept: "application/json" };
  const token = session.token;
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  let response;
  // A save still unanswered after SLOW_MS is said to be slow, so the person waits instead of leaving.
  let slow = false;
  const timer = saving
    ? setTimeout(() => {
        slow = true;
        network.dispatchEvent(new Event("slow"));
      }, SLOW_MS)
    : null;
  try {
    response = await fetch(url, {
      method,
      headers,
      // FormData sets its own multipart Content-Type (with the boundary).
      body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
  } catch {
    network.dispatchEvent(new Event("unreachable"));
    throw new ApiError(0, null);
  } finally {
    clearTimeout(timer);
    if (slow) network.dispatchEvent(new Event("settled"));
  }
  // A copy the service worker kept (sw.js) stands in for the server's answer: the page says how old.
  const saved = response.headers.get("X-Saved-At");
  if (saved) network.dispatchEvent(new CustomEvent("copy", { detail: new Date(saved) }));
  else network.dispatchEvent(new Event(GATEWAY_DOWN.has(response.status) ? "unreachable" : "answered"));
  if (response.ok && auth && token && !saved) renewIfDue();
  if (response.ok) return response;
  let detail = null;
  try {
    detail = (await response.json()).detail ?? null;
  } catch {
    /* not JSON: keep the status-based message */
  }
  if (response.status === 429) {
    const wait = Number(response.headers.get("Retry-After"));
    const minutes = Math.max(1, Math.ceil(wait / 60));
    if (Number.isFinite(wait) && wait > 0) {
      detail = `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
    }
  }
  if (response.status === 401 && auth && expire) {
    session.clear();
    window.dispatchEvent(new CustomEvent(SESSION_EXPIRED));
  }
  throw new ApiError(response.status, detail);
}

async function json(method, path, options) {
  const response = await send(method, path, options);
  if (response.status === 204) return null;
  const text = await response.text(); // a 202 may come without a body
  return text ? JSON.parse(text) : null;
}

// Creates that failed, by what they sent -> the Idempotency-Key they were sent with. Sending the same
// again (Retry, or the same button pressed again) reuses that key, so a create whose answer was lost
// is answered from the first one instead of being stored twice; changed input is a new create with a
// new key. A key is forgotten after a success, and after a refusal (a 4xx), which wrote nothing.
const unanswered = new Map();
const files = new WeakMap(); // a chosen File -> a number: the same file chosen again is a new one
let fileCount = 0;

function fingerprint(path, { body, form, query }) {
  const parts = [String(address(path, query))];
  if (body !== undefined) parts.push(JSON.stringify(body));
  for (const [name, value] of form ?? []) {
    if (value instanceof Blob && !files.has(value)) files.set(value, ++fileCount);
    parts.push(name, value instanceof Blob ? `file:${files.get(value)}` : value);
  }
  return JSON.stringify(parts);
}

/** A fresh key: crypto.randomUUID where the page is a secure context (https, localhost), else 128 random bits. */
export function newKey() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A POST that creates something, with its Idempotency-Key (`once: false` sends none: a dry run). */
async function create(path, options, { once = true } = {}) {
  if (!once) return json("POST", path, options);
  const print = fingerprint(path, options);
  const key = unanswered.get(print) ?? newKey();
  unanswered.set(print, key);
  try {
    const result = await json("POST", path, { ...options, key });
    unanswered.delete(print);
    return result;
  } catch (error) {
    if (error instanceof ApiError && error.status >= 400 && error.status < 500) unanswered.delete(print);
    throw error;
  }
}

/** A write with the key its caller keeps (js/queue.js: a queued write is sent again with the key it was first tried with). */
export function keyedWrite(method, path, { body, query, key }) {
  return json(method, path, { body, query, key });
}

function filenameFrom(disposition, fallback) {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? "");
  return match ? decodeURIComponent(match[1]) : fallback;
}

/**
 * The ledger the dashboard works in: every ledger-data call sends `ledger=<id>`, so a view never
 * has to remember it. null means the personal ledger (the API's default, so no parameter).
 */
export const scope = { ledger: null };

function inLedger(query = {}) {
  return scope.ledger === null ? query : { ...query, ledger: scope.ledger };
}

const ledgerPath = (id, rest = "") => `/api/ledgers/${encodeURIComponent(id)}${rest}`;

export const api = {
  register: (body) => json("POST", "/api/auth/register", { body, auth: false }),
  login: (body) => json("POST", "/api/auth/login", { body, auth: false }),
  /** Whether the server answers at all (no session needed). */
  health: () => json("GET", "/api/health", { auth: false }),
  /** Ends this session on the server, then forgets the token here even if the server could not be told. */
  async logout() {
    try {
      // expire: false, since a token that already stopped working is no "session ended" surprise here.
      await json("POST", "/api/auth/logout", { expire: false });
    } catch {
      /* offline or already ended: forgetting the token is all that is left to do */
    } finally {
      session.clear();
    }
  },
  logoutEverywhere: () => json("POST", "/api/auth/logout-everywhere"),
  me: () => json("GET", "/api/me"),
  updateMe: (body) => json("PATCH", "/api/me", { body }),
  changePassword: (body) => json("POST", "/api/me/password", { body }),
  deleteAccount: (body) => json("DELETE", "/api/me", { body }),

  listExpenses: (query) => json("GET", "/api/expenses", { query: inLedger(query) }),
  createExpense: (body) => create("/api/expenses", { body, query: inLedger() }),
  updateExpense: (id, body) => json("PATCH", `/api/expenses/${encodeURIComponent(id)}`, { body, query: inLedger() }),
  /** The ECB rate of `from` in `to` on a day: {from, to, date, rate, rate_date, source}; 404 when none is known. */
  rate: (from, to, date) => json("GET", "/api/rates", { query: { from, to, date } }),
  deleteExpense: (id) => json("DELETE", `/api/expenses/${encodeURIComponent(id)}`, { query: inLedger() }),
  async exportCsv(query) {
    const response = await send("GET", "/api/expenses/export.csv", { query: inLedger(query) });
    const blob = await response.blob();
    return { blob, filename: filenameFrom(response.headers.get("Content-Disposition"), "expenses.csv") };
  },

  async exportAccount() {
    const response = await send("GET", "/api/me/export");
    const blob = await response.blob();
    return { blob, filename: filenameFrom(response.headers.get("Content-Disposition"), "expense-tracker.json") };
  },

  /** fields: {file, mapping (object), dry_run, default_category, keep_duplicates, paid_by, split (list)}. */
  importCsv(fields) {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined || value === null) continue;
      form.append(key, key === "mapping" || key === "split" ? JSON.stringify(value) : value);
    }
    // A dry run writes nothing, so it needs no key.
    return create("/api/expenses/import", { form, query: inLedger() }, { once: fields.dry_run !== "true" });
  },

  recurring: () => json("GET", "/api/recurring", { query: inLedger() }),
  createRecurring: (body) => create("/api/recurring", { body, query: inLedger() }),
  updateRecurring: (id, body) =>
    json("PATCH", `/api/recurring/${encodeURIComponent(id)}`, { body, query: inLedger() }),
  deleteRecurring: (id) => json("DELETE", `/api/recurring/${encodeURIComponent(id)}`, { query: inLedger() }),

  saveBudget: (body) => create("/api/budgets", { body, query: inLedger() }),
  updateBudget: (id, body) => json("PATCH", `/api/budgets/${encodeURIComponent(id)}`, { body, query: inLedger() }),
  deleteBudget: (id) => json("DELETE", `/api/budgets/${encodeURIComponent(id)}`, { query: inLedger() }),
  summary: (month) => json("GET", "/api/summary", { query: inLedger({ month }) }),
  // Week buckets start on the locale's first day of the week, as the Week view does.
  stats: (start, end, granularity) =>
    json("GET", "/api/stats", { query: inLedger({ start, end, granularity, week_start: granularity === "week" ? WEEKDAYS[firstDayOfWeek() - 1] : null }) }),
  categories: () => json("GET", "/api/categories", { query: inLedger() }),
  /** Rename a category, or merge it into one the ledger has: {category, count, budget, merged}. */
  renameCategory: (body) => json("POST", "/api/categories/rename", { body, query: inLedger() }),

  ledgers: () => json("GET", "/api/ledgers"),
  createLedger: (body) => create("/api/ledgers", { body }),
  updateLedger: (id, body) => json("PATCH", ledgerPath(id), { body }),
  deleteLedger: (id) => json("DELETE", ledgerPath(id)),
  inviteToLedger: (id, body) => create(ledgerPath(id, "/invitations"), { body }),
  /** The open invitation links of a ledger (owner): [{id, role, invited_by, created_at, expires_at}]. */
  ledgerInvitations: (id) => json("GET", ledgerPath(id, "/invitations")),
  revokeInvitation: (id, invitationId) => json("DELETE", ledgerPath(id, `/invitations/${encodeURIComponent(invitationId)}`)),
  /** What a link joins, without joining: {ledger_id, ledger_name, invited_by, role, expires_at}; 404 when spent. */
  invitation: (token) => json("GET", `/api/ledgers/invitations/${encodeURIComponent(token)}`),
  // Not a create, but the server keeps its answer too: a retry after a lost answer is not refused as a spent link.
  joinLedger: (token) => create("/api/ledgers/join", { body: { token } }),
  updateMember: (id, userId, body) => json("PATCH", ledgerPath(id, `/members/${encodeURIComponent(userId)}`), { body }),
  removeMember: (id, userId) => json("DELETE", ledgerPath(id, `/members/${encodeURIComponent(userId)}`)),
  balances: (id) => json("GET", ledgerPath(id, "/balances")),
  settle: (id, body) => create(ledgerPath(id, "/settlements"), { body }),
  settlements: (id) => json("GET", ledgerPath(id, "/settlements")),
  deleteSettlement: (id, settlementId) => json("DELETE", ledgerPath(id, `/settlements/${encodeURIComponent(settlementId)}`)),

  resetPassword: (body) => json("POST", "/api/auth/reset", { body, auth: false }),
  forgotPassword: (body) => json("POST", "/api/auth/forgot", { body, auth: false }),
  authOptions: () => json("GET", "/api/auth/options", { auth: false }),
  adminUsers: () => json("GET", "/api/admin/users"),
  adminUpdateUser: (id, body) => json("PATCH", `/api/admin/users/${encodeURIComponent(id)}`, { body }),
  adminDeleteUser: (id) => json("DELETE", `/api/admin/users/${encodeURIComponent(id)}`),
  adminResetLink: (id) => create(`/api/admin/users/${encodeURIComponent(id)}/reset-link`, {}),
  adminInvitation: (body) => create("/api/admin/invitations", { body }),
};
