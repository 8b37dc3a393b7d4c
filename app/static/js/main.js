// Wires the views together: who is logged in, which period and screen are shown, and what to reload
// when something changes. Views render from what they are given and report upward with events.

import { ApiError, SESSION_EXPIRED, api, isUnreachable, scope, session } from "./api.js";
import { offlineView, watchConnection } from "./connection.js";
import { download, el, uid } from "./dom.js";
import {
  ACCOUNT_DELETED,
  ADD_CLOSE,
  BALANCES_CHANGED,
  BUDGETS_CHANGED,
  EXPENSES_CHANGED,
  EXPORT,
  IMPORT,
  LEDGER_CHANGE,
  LEDGER_CREATED,
  LEDGER_LEFT,
  LEDGER_NEW,
  LEDGER_SETTINGS,
  LEDGER_UPDATED,
  LOAD_MORE,
  PERIOD_CHANGE,
  SEARCH,
  SIGNED_IN,
  USER_CHANGED,
} from "./events.js";
import { setCurrency } from "./format.js";
import { CATEGORY_LIST_ID, withStarters } from "./forms.js";
import { flush, forgetAll, ownedBy } from "./queue.js";
import { budgetMonth, contains, currentPeriod, describePeriod, fromHash, hashFor, ledgerAddress, ledgerFromHash, weekOf } from "./period.js";
import { HOME, phoneLayout, screenFromHash, screensOf, withScreen } from "./screens.js";
import { THEME_CHANGE, themeToggle } from "./theme.js";
import { authView, openRelogin } from "./views/auth.js";
import { loadOrSay, toast } from "./views/toast.js";
import { prepareIntl, savedLanguage, setLanguage, t } from "./i18n.js";
// The dashboard's views (js/dashboard.js, js/dashboard-more.js) are loaded once logged in, and the
// dialogs when first opened (import()), each from the same version of the files as this module: the
// log-in page needs none of them.

const app = document.getElementById("app");
const state = {
  user: null,
  persistent: false, // "Keep me signed in" was chosen: a new log-in keeps its token the same way
  relogging: false, // the "Log in again" dialog is open
  ledgers: [],
  ledger: null,
  period: null,
  screen: HOME, // the phone's screen (screens.js); the desktop shows them all
  addFrom: false, // the add sheet was opened from another screen of this page: closing it is Back
  q: "",
  category: null, // the list narrowed to one category (the "Needs review" filter)
  allTime: false, // the search looks beyond the period, until the period changes
  listSeq: 0,
  dataSeq: 0,
  dashboardSeq: 0, // a dashboard whose modules are still loading is shown only if still the latest
  balancesSeq: 0,
  // The ledger settings last closed, until their changes are saved and the dashboard is built again
  // after them (rebuilt): settings opened meanwhile would be taken away with the old dashboard.
  settling: Promise.resolve(),
  rebuilt: Promise.resolve(),
};
let views = null; // the dashboard's views while it is shown, null on the log-in screen

const ADMIN_HASH = "#/admin";
const INVITE_HASH = /^#\/invite\/([A-Za-z0-9_-]{1,128})$/;
const RESET_HASH = /^#\/reset\/([A-Za-z0-9_-]{1,128})$/;
const JOIN_HASH = /^#\/join\/([A-Za-z0-9_-]{1,128})$/;
/** The address of a period in the ledger and on the screen shown. */
const addressOf = (period, ledger = state.ledger, screen = state.screen) => withScreen(ledgerAddress(period, ledger), screen);

/**
 * What a refresh reads, each once, for every view whose entry takes it (null: nothing to read).
 * The expense list and the balances have loaders of their own (pages, and a ledger's members).
 */
const SOURCES = {
  stats: ({ period }) => api.stats(period.start, period.end, "day"),
  dayWeek: ({ period }) => (period.kind === "day" ? api.stats(weekOf(period).start, weekOf(period).end, "day") : null),
  summary: ({ period }) => api.summary(budgetMonth(period)),
  recurring: () => api.recurring(),
  categories: () => api.categories(),
};

/**
 * The dashboard's views, one entry each: the phone screens that show it (none: always there), where
 * it sits on the desktop (`top`, or the `main` and `side` columns), what it takes from a refresh
 * (`take[source](view, data)`, sources as in SOURCES), how it says one could not be read
 * (`failed(view, source, message)`) and what it does when its phone screen is shown
 * (`shown(view)`). `make` builds the view from js/dashboard.js, or from js/dashboard-more.js for a
 * view marked `more` (any not on the list screen, which the phone shows first: there such a view is
 * built when its screen is first shown), where a new view's module is added. A new screen is a line
 * in screens.js and its views here.
 */
function dashboardViews(context) {
  const shared = context.ledger.members.length > 1;
  return [
    { name: "period", make: (m) => m.periodView(), screens: ["expenses", "budgets", "charts"], place: "top" },
    {
      name: "totals",
      make: (m) => m.totalsView(),
      screens: ["expenses"],
      place: "top",
      take: { stats: (v, stats) => v.showStats(stats), summary: (v, summary) => v.showSummary(summary) },
      failed: (v, source) => (source === "stats" || source === "summary") && v.showError(source),
    },
    { name: "add", more: true, make: (m) => m.addView(context), screens: ["add"], place: "main", shown: (v) => v.focus() },
    {
      name: "expenses",
      make: (m) => m.expensesView(context),
      screens: ["expenses"],
      place: "main",
      take: { categories: (v, list) => v.knowCategories(list) }, // it offers the "Needs review" filter
    },
    shared
      ? { name: "balances", more: true, make: (m) => m.balancesView(), screens: ["balances"], place: "side" }
      : null,
    {
      name: "budgets",
      more: true,
      make: (m) => m.budgetsView(),
      screens: ["budgets"],
      place: "side",
      take: { summary: (v, summary) => v.show(summary) },
      failed: (v, source, message) => source === "summary" && v.showError(message),
    },
    {
      name: "recurring",
      more: true,
      make: (m) => m.recurringView(context),
      screens: ["budgets"],
      place: "side",
      take: { recurring: (v, rules) => v.show(rules) },
      failed: (v, source, message) => source === "recurring" && v.showError(message),
    },
    {
      name: "charts",
      more: true,
      make: (m) => m.chartsView(), // which loads Chart.js once a chart is on screen
      screens: ["charts"],
      place: "side",
      take: {
        stats: (v, stats) => {
          v.showCategories(stats, describePeriod(state.period));
          if (state.period.kind !== "day") v.showTrend(stats, { kind: state.period.kind });
        },
        dayWeek: (v, stats) => v.showTrend(stats, { kind: "week", highlight: state.period.start }),
        summary: (v, summary) => v.showBudgets(summary),
      },
      shown: (v) => v.resize(),
    },
    {
      name: "categories", // the suggestions of every Category field
      make: () => ({ root: el("datalist", { id: CATEGORY_LIST_ID }) }),
      place: "top",
      take: { categories: (v, list) => v.root.replaceChildren(...withStarters(list).map((name) => el("option", { value: name }))) },
    },
  ].filter(Boolean);
}

function showAuth(message = "") {
  leaveDashboard();
  state.user = null;
  document.title = `${t("auth.logIn")} · ${t("app.name")}`;
  const invitation = INVITE_HASH.exec(location.hash)?.[1] ?? null;
  const joining = !message && JOIN_HASH.test(location.hash);
  app.replaceChildren(authView({ message: joining ? t("auth.logInToJoin") : message, invitation }));
}

/** No dashboard (the log-in page, a reset link's page, the offline page); one being built is not shown. */
function leaveDashboard() {
  views?.charts?.destroy();
  views = null;
  state.dashboardSeq++;
}

/** A reset link's page, whoever is logged in here: the link is the proof. */
async function showReset(token) {
  leaveDashboard();
  state.user = null;
  const seq = state.dashboardSeq;
  const { resetView } = await loadOrSay(import("./views/admin.js"));
  if (seq !== state.dashboardSeq) return; // another page meanwhile
  document.title = `${t("auth.newPassword")} · ${t("app.name")}`;
  app.replaceChildren(
    resetView(
      token,
      () => {
        session.clear();
        history.replaceState(null, "", location.pathname);
        showAuth(t("auth.passwordSet"));
      },
      () => {
        history.replaceState(null, "", location.pathname);
        start();
      },
    ),
  );
}

/** A pause for the browser between the parts of a long job: input and painting go first. */
const nextTask = () => globalThis.scheduler?.yield?.() ?? new Promise((resolve) => setTimeout(resolve, 0));

// The dashboard's two modules: the list screen's views, and the others' (`more` in dashboardViews).
const PARTS = {
  first: { meta: "dashboard-modules", load: () => import("./dashboard.js") },
  more: { meta: "dashboard-more-modules", load: () => import("./dashboard-more.js") },
};
const preloaded = new Set();

/** One of the dashboard's modules, its files asked for at once: the page lists them (app/assets.py). */
function loadPart(name) {
  const { meta, load } = PARTS[name];
  if (!preloaded.has(name)) {
    preloaded.add(name);
    const files = document.querySelector(`meta[name="${meta}"]`)?.content.split(" ").filter(Boolean) ?? [];
    document.head.append(...files.map((href) => el("link", { rel: "modulepreload", href })));
  }
  return load();
}

/**
 * Whether the other screens' views wait until their screen is first shown (buildLater): on the
 * phone's list screen, which shows none of them, neither the first paint nor the time after it waits
 * for their files, their code or their building. (After the first visit the files come from the
 * service worker's copy, sw.js.)
 */
const moreLater = () => phoneLayout.matches && screenFromHash(ledgerFromHash(location.hash).rest).screen === HOME;

/** Start loading what the dashboard shows first while the session is checked, not after (showDashboard says it if it fails). */
function preloadDashboard() {
  loadPart("first").catch(() => {});
  if (!moreLater()) loadPart("more").catch(() => {});
}

/** The dashboard of one ledger; switching ledgers builds it again for the other one. */
async function showDashboard(user, ledgers, ledger) {
  const seq = ++state.dashboardSeq;
  const context = { ledger, me: user };
  const entries = dashboardViews(context);
  const later = moreLater() ? entries.filter((entry) => entry.more) : [];
  const [dashboard, more] = await loadOrSay(Promise.all([loadPart("first"), later.length ? null : loadPart("more")]));
  // Each view built in a task of its own, so that the page answers and paints in between (one task
  // that built them all blocked a phone for half a second); the shown dashboard stays whole meanwhile.
  const list = [];
  for (const entry of entries) {
    if (seq !== state.dashboardSeq) return; // another dashboard, or the log-in page, meanwhile
    if (later.includes(entry)) continue;
    list.push({ ...entry, view: entry.make(entry.more ? more : dashboard) });
    await nextTask();
  }
  if (seq !== state.dashboardSeq) return;
  views?.charts?.destroy();
  state.user = user;
  state.ledgers = ledgers;
  state.ledger = ledger;
  Object.assign(state, { q: "", category: null, allTime: false });
  scope.ledger = ledger.personal ? null : ledger.id;
  setCurrency(ledger.currency);
  const who = el("span", { class: "who" }, user.display_name || user.email);
  const settingsButton = el("button", { type: "button", class: "ghost" }, t("settings.title"));
  const logout = el("button", { type: "button", class: "ghost" }, t("auth.logOut"));
  const adminLink = user.is_admin ? el("a", { href: ADMIN_HASH, class: "button ghost" }, t("admin.title")) : null;
  views = {
    list,
    main: null,
    admin: null,
    who,
    nav: dashboard.bottomNav(screensOf(ledger)),
    shownPeriod: null,
    takes: new Set(entries.flatMap((entry) => Object.keys(entry.take ?? {}))), // the sources refresh() reads
    read: new Map(), // each source's last answer, for a view built after it came (buildLater)
    unread: new Map(), // or why it could not be read
    later, // the views not built yet (moreLater), each built when its screen is first shown
    places: new Map(later.map((entry) => [entry.name, document.createComment(entry.name)])), // where each goes
  };
  for (const entry of list) views[entry.name] = entry.view;
  // On the phone the header is the ledger's name and Menu; the desktop shows the menu's content in
  // the header itself (display: contents), as before.
  const menuButton = el("button", { type: "button", class: "menu-button", "aria-expanded": "false" }, t("header.menu"));
  const menu = el(
    "div",
    { class: "topbar-menu", id: uid("menu") },
    el("nav", { class: "topbar-actions", "aria-label": t("header.account") }, who, adminLink, settingsButton, themeToggle(), logout),
    dashboard.ledgerPicker(ledgers, ledger),
  );
  menuButton.setAttribute("aria-controls", menu.id);
  const header = el(
    "header",
    { class: "topbar" },
    el(
      "p",
      { class: "brand" },
      el("img", { src: new URL("../favicon.svg", import.meta.url).href, alt: "", width: 24, height: 24 }),
      el("span", { class: "brand-name" }, t("app.name")),
    ),
    el("p", { class: "ledger-name" }, el("span", { class: "visually-hidden" }, t("header.ledger")), dashboard.ledgerLabel(ledger)),
    menuButton,
    menu,
  );
  const at = (place) => entries.filter((e) => e.place === place).map((e) => views.places.get(e.name) ?? views[e.name].root);
  const main = el(
    "main",
    // A viewer's dashboard has no control that changes data: the "write" ones are hidden.
    { id: "main", class: ledger.role === "viewer" ? "dashboard readonly" : "dashboard", tabindex: "-1" },
    el("h1", { class: "visually-hidden" }, t("header.dashboard")),
    ...at("top"),
    el("div", { class: "columns" }, el("div", { class: "col-main" }, ...at("main")), el("div", { class: "col-side" }, ...at("side"))),
    views.nav.root,
  );
  views.main = main;
  app.replaceChildren(header, main);
  views.header = header;
  views.closeMenu = wireMenu(header, menuButton, menu);

  const ledgerDialogs = () => loadOrSay(import("./views/ledger-settings.js"));
  settingsButton.addEventListener("click", async () => (await loadOrSay(import("./views/settings.js"))).openSettings(main, state.user));
  header.addEventListener(LEDGER_CHANGE, (event) => {
    const chosen = state.ledgers.find((l) => l.id === event.detail.id);
    location.hash = addressOf(state.period ?? currentPeriod("month"), chosen);
  });
  header.addEventListener(LEDGER_NEW, async () => (await ledgerDialogs()).openNewLedger(main, state.ledger.currency));
  header.addEventListener(LEDGER_SETTINGS, async () => {
    const { openLedgerSettings } = await ledgerDialogs();
    await state.settling;
    if (!views) return; // logged out meanwhile
    const closed = openLedgerSettings(views.main, state.ledger, state.user);
    state.settling = closed.then(() => state.rebuilt);
  });
  main.addEventListener(LEDGER_NEW, async () => (await ledgerDialogs()).openNewLedger(main, state.ledger.currency));
  main.addEventListener(LEDGER_CREATED, (event) => (state.rebuilt = reloadLedgers(event.detail.ledger.id)));
  main.addEventListener(LEDGER_UPDATED, (event) => (state.rebuilt = reloadLedgers(event.detail.ledger.id)));
  main.addEventListener(LEDGER_LEFT, () => (state.rebuilt = reloadLedgers(null)));
  main.addEventListener(BALANCES_CHANGED, () => loadBalances());
  logout.addEventListener("click", async () => {
    logout.disabled = true;
    await api.logout();
    await forgetAll(); // a shared device shows nothing of this user to the next
    showAuth(t("auth.loggedOut"));
  });
  main.addEventListener(PERIOD_CHANGE, (event) => {
    location.hash = addressOf(event.detail.period);
  });
  main.addEventListener(SEARCH, (event) => {
    const { q, category = null, allTime = false } = event.detail;
    if (q === state.q && category === state.category && allTime === state.allTime) return;
    Object.assign(state, { q, category, allTime });
    loadList();
  });
  main.addEventListener(LOAD_MORE, (event) => loadList(event.detail.offset, event.detail.cursor));
  main.addEventListener(EXPORT, exportCsv);
  main.addEventListener(IMPORT, async () => (await loadOrSay(import("./views/import.js"))).openImport(main, context));
  main.addEventListener(EXPENSES_CHANGED, (event) => {
    const added = event.detail.expense;
    const outside = added && !contains(state.period, added.date);
    if (outside) toast(t("expenses.addedOutside", { day: describePeriod({ kind: "day", start: added.date }) }));
    // The phone's add sheet closes on a save, back to the list that shows it.
    if (added && state.screen === "add" && phoneLayout.matches) {
      if (!outside) toast(t("expenses.added"));
      closeAdd();
    }
    refresh();
  });
  main.addEventListener(ADD_CLOSE, closeAdd);
  main.addEventListener(BUDGETS_CHANGED, () => refresh({ list: false }));
  main.addEventListener(USER_CHANGED, async (event) => {
    state.user = event.detail.user;
    views.who.textContent = state.user.display_name || state.user.email;
    await speak(state.user.language); // the dashboard is built again below, in it
    reloadLedgers(state.ledger.id); // the personal ledger's currency follows the account's
  });
  main.addEventListener(ACCOUNT_DELETED, () => {
    session.clear();
    forgetAll();
    showAuth(t("auth.accountDeleted"));
  });
  route();
}

/**
 * The views left for later (moreLater) that `screen` shows (null: all of them, for the desktop),
 * built now, each in a task of its own, put in its place and given what was read meanwhile.
 */
async function buildLater(screen = null) {
  const entries = views.later.filter((entry) => screen === null || entry.screens.includes(screen));
  if (!entries.length) return;
  views.later = views.later.filter((entry) => !entries.includes(entry));
  const seq = state.dashboardSeq;
  let more;
  try {
    more = await loadOrSay(loadPart("more"));
  } catch {
    if (seq === state.dashboardSeq) views.later.push(...entries); // said; tried again on the next showing
    return;
  }
  for (const entry of entries) {
    if (seq !== state.dashboardSeq) return; // another dashboard, or the log-in page, meanwhile
    const built = { ...entry, view: entry.make(more) };
    views.places.get(entry.name).replaceWith(built.view.root);
    views.list.push(built);
    views[entry.name] = built.view;
    for (const [source, data] of views.read) built.take?.[source]?.(built.view, data);
    for (const [source, message] of views.unread) built.failed?.(built.view, source, message);
    placeOnScreen(built, state.screen, null);
    await nextTask();
  }
  if (seq === state.dashboardSeq) loadBalances();
}

/** Read the ledgers again and show `id` (or the personal ledger) at the period shown. */
async function reloadLedgers(id) {
  try {
    const ledgers = await api.ledgers();
    const ledger = ledgers.find((l) => l.id === id) ?? ledgers[0];
    const period = state.period ?? currentPeriod("month");
    history.replaceState(null, "", addressOf(period, ledger));
    await showDashboard(state.user, ledgers, ledger); // state.rebuilt waits for it
  } catch (error) {
    const message = failed(error);
    if (message) toast(message, { error: true });
  }
}

/** The Balances panel, with the settlements, in a ledger with several members. */
function loadBalances() {
  const { ledger } = state;
  if (!views?.balances || ledger.members.length < 2) return; // no panel, or not yet (buildLater)
  const seq = ++state.balancesSeq; // a slower, older answer must not replace a newer one
  const current = () => seq === state.balancesSeq && views !== null && state.ledger === ledger;
  return Promise.all([api.balances(ledger.id), api.settlements(ledger.id)]).then(
    ([balances, settlements]) =>
      current() && views.balances.show(ledger, balances, settlements, { canWrite: ledger.role !== "viewer" }),
    (error) => {
      const message = failed(error);
      if (message && current()) views.balances.showError(message);
    },
  );
}

/**
 * #/join/<token> once logged in: the dashboard stays at the ledger shown, and a dialog says what the
 * link joins and asks first; joining shows the joined ledger.
 */
async function join(token) {
  history.replaceState(null, "", addressOf(state.period ?? currentPeriod("month")));
  route();
  const { askToJoin } = await loadOrSay(import("./views/invitations.js"));
  if (!views) return; // logged out meanwhile
  askToJoin(views.main, token, {
    ledgers: state.ledgers,
    open: (id) => {
      const period = state.period ?? currentPeriod("month");
      const known = state.ledgers.find((l) => l.id === id);
      if (known) location.hash = addressOf(period, known);
      else reloadLedgers(id);
    },
  });
}

/** The Admin page in place of the dashboard (which keeps its state, hidden). */
async function showAdmin() {
  const { adminView } = await loadOrSay(import("./views/admin.js"));
  if (!views || location.hash !== ADMIN_HASH) return; // gone elsewhere meanwhile
  if (views.admin) views.admin.root.remove();
  views.admin = adminView({ me: state.user, back: addressOf(state.period ?? currentPeriod("month")) });
  views.main.hidden = true;
  views.main.removeAttribute("id");
  views.main.after(views.admin.root);
  document.title = `${t("admin.title")} · ${t("app.name")}`;
  views.admin.load();
}

function hideAdmin() {
  if (!views.admin) return;
  views.admin.root.remove();
  views.admin = null;
  views.main.id = "main";
  views.main.hidden = false;
}

/** Show the period the hash names; a missing or bad hash becomes this month. */
function route() {
  const reset = RESET_HASH.exec(location.hash);
  if (reset) {
    showReset(reset[1]);
    return;
  }
  if (!views) {
    if (INVITE_HASH.test(location.hash)) showAuth(); // an invitation opened in this tab
    return;
  }
  if (location.hash === ADMIN_HASH && state.user.is_admin) {
    showAdmin();
    return;
  }
  const joining = JOIN_HASH.exec(location.hash);
  if (joining) {
    join(joining[1]);
    return;
  }
  hideAdmin();
  const address = ledgerFromHash(location.hash);
  const ledger = state.ledgers.find((l) => l.id === address.id) ?? state.ledgers[0];
  if (ledger !== state.ledger) {
    showDashboard(state.user, state.ledgers, ledger); // routes again, in that ledger
    return;
  }
  const named = screenFromHash(address.rest);
  const screen = screensOf(ledger).find((s) => s.id === named.screen) ?? screensOf(ledger)[0];
  let period = fromHash(named.rest);
  if (!period || address.id !== (ledger.personal ? null : ledger.id) || screen.id !== named.screen) {
    period = period ?? currentPeriod("month");
    history.replaceState(null, "", addressOf(period, ledger, screen.id));
  }
  state.period = period;
  state.allTime = false;
  showScreen(screen.id);
  document.title = [screen.id === HOME ? null : screen.label, describePeriod(period), ledger.personal ? null : ledger.name, t("app.name")]
    .filter(Boolean)
    .join(" · ");
  views.period.update(period, (p) => addressOf(p));
  // Another screen of the same period reads nothing again.
  if (views.shownPeriod !== hashFor(period)) {
    const first = views.shownPeriod === null;
    views.shownPeriod = hashFor(period);
    const filled = refresh();
    if (first) fillFirst(views.main, filled);
  }
}

/** Show one screen on the phone: its views, the bottom navigation's links for this period. */
function showScreen(screen) {
  const before = views.main.dataset.screen;
  state.addFrom = screen === "add" ? before !== undefined && before !== "add" : false;
  state.screen = screen;
  views.main.dataset.screen = screen;
  for (const entry of views.list) placeOnScreen(entry, screen, before);
  buildLater(screen);
  views.nav.update(screen, (id) => addressOf(state.period, state.ledger, id));
  if (screen !== "add" && before && before !== screen && phoneLayout.matches) window.scrollTo(0, 0);
}

/** A view shown if its phone screen is `screen` (`before`: the one shown until now). */
function placeOnScreen({ view, screens, shown }, screen, before) {
  if (!screens) return;
  view.root.classList.toggle("off-screen", !screens.includes(screen));
  if (screens.includes(screen) && screen !== before) shown?.(view);
}

/** Leave the add sheet: Back when it was opened here, else to Expenses (an address opened as is). */
function closeAdd() {
  if (state.screen !== "add") return;
  if (state.addFrom) history.back();
  else location.hash = addressOf(state.period, state.ledger, HOME);
}

/** The phone's header menu: Menu opens it; Escape, a choice or a tap elsewhere closes it. Returns close(). */
function wireMenu(header, button, menu) {
  const open = (value) => {
    header.classList.toggle("menu-open", value);
    button.setAttribute("aria-expanded", String(value));
  };
  button.addEventListener("click", () => open(button.getAttribute("aria-expanded") !== "true"));
  menu.addEventListener("click", (event) => event.target.closest("button, a") && open(false));
  menu.addEventListener("change", () => open(false)); // another ledger chosen
  header.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !header.classList.contains("menu-open")) return;
    open(false);
    button.focus();
  });
  return () => open(false);
}

function failed(error) {
  if (error instanceof ApiError && error.status === 401) return null; // already back at log-in
  if (!(error instanceof ApiError)) console.error(error); // a bug, not a server answer
  return error.message;
}

/** A first page, or the next one: by keyset cursor when the API gave one, else by offset. */
async function loadList(offset = 0, cursor = null) {
  const seq = ++state.listSeq;
  const { period, q, category, allTime } = state;
  views.expenses.loading(true);
  const position = cursor ? { cursor } : { offset };
  const dates = allTime ? {} : { start: period.start, end: period.end };
  try {
    const page = await api.listExpenses({ ...dates, q, category, limit: 50, ...position });
    if (seq !== state.listSeq || !views) return;
    if (offset === 0) views.expenses.show(page, { period, q, category, allTime });
    else views.expenses.append(page);
  } catch (error) {
    const message = failed(error);
    if (message && seq === state.listSeq && views) views.expenses.showError(message);
  }
}

// How long a new dashboard's side column may wait for its first answers before it is shown anyway.
const FILL_WAIT_MS = 1500;

/** A new dashboard's side column is shown when its first answers are in (app.css: .filling). */
function fillFirst(main, filled) {
  main.classList.add("filling");
  const show = () => main.classList.remove("filling");
  filled.then(show);
  setTimeout(show, FILL_WAIT_MS);
}

/**
 * Read what the views show again: each source once, handed to every view that takes it. Returns a
 * promise settled when every answer has been shown.
 */
function refresh({ list = true } = {}) {
  const answers = [list ? loadList() : null, loadBalances()];
  const seq = ++state.dataSeq;
  const current = () => seq === state.dataSeq && views !== null;
  // Each source a view takes, or will once built (buildLater), is read; its answer goes to the views
  // built by then, and is kept for the others.
  const takers = (source) => views.list.filter((entry) => entry.take?.[source]);
  for (const [source, read] of Object.entries(SOURCES)) {
    const request = views.takes.has(source) ? read(state) : null;
    const shown = request?.then(
      (data) => {
        if (!current()) return;
        views.read.set(source, data);
        views.unread.delete(source);
        takers(source).forEach((entry) => entry.take[source](entry.view, data));
      },
      (error) => {
        const message = failed(error);
        if (!message || !current()) return;
        views.unread.set(source, message);
        views.read.delete(source);
        takers(source).forEach((entry) => entry.failed?.(entry.view, source, message));
      },
    );
    answers.push(shown);
  }
  return Promise.allSettled(answers);
}

async function exportCsv() {
  const { period, q } = state;
  try {
    const { blob, filename } = await api.exportCsv({ start: period.start, end: period.end, q });
    download(blob, filename);
  } catch (error) {
    const message = failed(error);
    if (message) toast(t("expenses.exportFailed", { message }), { error: true });
  }
}

window.addEventListener(SESSION_EXPIRED, (event) => {
  if (!views) return;
  if (event.detail) {
    forgetAll();
    showAuth(event.detail); // logged out on purpose (everywhere)
    return;
  }
  // The token stopped working under an open dashboard: log in again over it, so nothing typed is lost.
  if (state.relogging) return;
  state.relogging = true;
  openRelogin(document.body, {
    email: state.user.email,
    persist: state.persistent,
    done: (user) => {
      state.relogging = false;
      if (user.id !== state.user.id) {
        enter(user); // another account: its own dashboard
        return;
      }
      toast(t("auth.loggedInAgain"));
      refresh();
    },
    gaveUp: () => {
      state.relogging = false;
      session.clear();
      forgetAll(); // logged out: what was kept or copied for this user goes too
      showAuth(t("auth.sessionEnded"));
    },
  });
});
window.addEventListener("hashchange", route);
document.addEventListener("click", (event) => views?.header.contains(event.target) === false && views.closeMenu());
// The skip link moves focus without touching the hash, which holds the period.
document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  const target = document.getElementById("main");
  target?.setAttribute("tabindex", "-1");
  target?.focus();
});
window.addEventListener(THEME_CHANGE, () => views?.charts?.retheme());
// A phone turned, or a window widened, to the desktop's layout, which shows every view.
phoneLayout.addEventListener("change", () => views && !phoneLayout.matches && buildLater());
// The phone's add sheet fills what the on-screen keyboard leaves of the screen (app.css reads these
// two), so its Save stays above the keyboard.
const viewport = window.visualViewport;
function fitSheet() {
  document.documentElement.style.setProperty("--vv-height", `${viewport.height}px`);
  document.documentElement.style.setProperty("--vv-top", `${viewport.offsetTop}px`);
}
if (viewport) {
  viewport.addEventListener("resize", fitSheet);
  viewport.addEventListener("scroll", fitSheet);
  fitSheet();
}
app.addEventListener(SIGNED_IN, (event) => enter(event.detail.user, event.detail.registered));

/**
 * `registered`: a new account, which first chooses its currency (unless it came to join a ledger).
 * `reading`: its ledgers, when they are being read already.
 */
async function enter(user, registered = false, reading = null) {
  state.persistent = session.persistent;
  try {
    await speak(user.language); // the account's language, chosen on another device too
    await ownedBy(user.id); // another user's kept writes and copies go first
    const ledgers = await (reading ?? api.ledgers());
    const joining = JOIN_HASH.test(location.hash); // its own dialog asks first
    state.ledger = null;
    await showDashboard(user, ledgers, ledgers.find((l) => l.id === ledgerFromHash(location.hash).id) ?? ledgers[0]);
    if (registered && views && !joining) (await loadOrSay(import("./views/welcome.js"))).openWelcome(views.main, { user });
    sendKept();
  } catch (error) {
    startFailed(error);
  }
}

/** Not started: the log-in form if the session ended, a page that retries if the server is out of reach. */
function startFailed(error) {
  if (!isUnreachable(error)) {
    showAuth(failed(error) ?? t("auth.sessionEnded"));
    return;
  }
  leaveDashboard();
  app.replaceChildren(offlineView());
}

async function start() {
  // The words before the first render: this device's choice, else the browser's languages (the
  // account's, once known); read beside the rest.
  const words = speak(savedLanguage());
  const reset = RESET_HASH.exec(location.hash);
  if (reset) {
    await words;
    showReset(reset[1]);
    return;
  }
  if (!session.token) {
    await words;
    showAuth();
    return;
  }
  // What the dashboard needs is asked for at once, beside the session check, not one after another.
  preloadDashboard();
  const ledgers = api.ledgers();
  ledgers.catch(() => {}); // a failure here is the session check's too, and said by it
  prepareIntl();
  try {
    await enter(await api.me(), false, ledgers);
  } catch (error) {
    await words;
    startFailed(error);
  }
}

/** Send the writes kept offline (js/queue.js); the dashboard reads again when the server stored some. */
function sendKept() {
  if (!views) return;
  flush(state.user.id).then((sent) => sent > 0 && views && refresh());
}

/** Speak the account's language (null: Automatic); a catalogue that cannot be read leaves the one spoken. */
async function speak(language) {
  try {
    await setLanguage(language ?? null);
  } catch (error) {
    console.error(error);
  }
  document.querySelector(".skip-link")?.replaceChildren(t("app.skip"));
}

// Back after an outage: the dashboard sends what it kept and reloads what it missed; the offline page starts again.
watchConnection(() => {
  if (!views) return app.querySelector(".offline") && start();
  sendKept();
  refresh();
});
window.addEventListener("online", sendKept);
navigator.serviceWorker?.addEventListener("message", (event) => event.data?.flush && sendKept()); // Background Sync (sw.js)
start();
