// First run, right after creating an account: choose the currency (nothing is silently in dollars),
// pick starter categories if wanted, and invite someone to a shared ledger. Everything but the
// currency is optional; Skip leaves the account as it is.
// Emits "user-changed" {user} once something changed (the dashboard reads the ledgers again).

import { api } from "../api.js";
import { currencyOptions } from "../currency.js";
import { formDialog } from "../dialog.js";
import { el, emit, uid } from "../dom.js";
import { field, formErrorLine, say, showSaveError } from "../forms.js";
import { copyOnClick } from "./invitations.js";
import { toast } from "./toast.js";
import { USER_CHANGED } from "../events.js";

export const STARTERS = ["Groceries", "Eating out", "Rent", "Transport", "Bills", "Health", "Fun"];
const STARTERS_KEY = "expense-tracker.starter-categories";

// The currency of the country the browser's language names, when it names one.
const BY_REGION = {
  US: "USD", GB: "GBP", IE: "EUR", DE: "EUR", FR: "EUR", ES: "EUR", IT: "EUR", NL: "EUR", BE: "EUR",
  AT: "EUR", PT: "EUR", FI: "EUR", GR: "EUR", LU: "EUR", SK: "EUR", SI: "EUR", EE: "EUR", LV: "EUR",
  LT: "EUR", HR: "EUR", CH: "CHF", JP: "JPY", CA: "CAD", AU: "AUD", NZ: "NZD", IN: "INR", CN: "CNY",
  SE: "SEK", NO: "NOK", DK: "DKK", PL: "PLN", CZ: "CZK", HU: "HUF", BR: "BRL", MX: "MXN", ZA: "ZAR",
  SG: "SGD", HK: "HKD", KR: "KRW",
};

function guessCurrency(fallback) {
  try {
    const region = new Intl.Locale(navigator.language).maximize().region;
    return BY_REGION[region] ?? fallback;
  } catch {
    return fallback;
  }
}

/** The starter categories chosen at first run, offered as suggestions until used. */
export function starterCategories() {
  try {
    const stored = JSON.parse(localStorage.getItem(STARTERS_KEY) ?? "[]");
    return Array.isArray(stored) ? stored.filter((c) => STARTERS.includes(c)) : [];
  } catch {
    return [];
  }
}

/** The ledger's categories, then the starters it does not have yet: the suggestions' names. */
export function withStarters(categories) {
  const names = categories.map((c) => c.category);
  const have = new Set(names.map((n) => n.toLowerCase()));
  return [...names, ...starterCategories().filter((s) => !have.has(s.toLowerCase()))];
}

export function openWelcome(anchor, { user }) {
  const currency = field(
    "Currency",
    { name: "currency" },
    { tag: "select", hint: "What your own expenses are counted in. Settings can change it while you have none." },
  );
  currency.input.append(...currencyOptions(guessCurrency(user.currency)));

  const boxes = STARTERS.map((name) => {
    const box = el("input", { type: "checkbox", id: uid("starter"), value: name });
    return { box, row: el("div", { class: "check" }, box, el("label", { for: box.id }, name)) };
  });
  const starters = el(
    "fieldset",
    { class: "field starter-categories" },
    el("legend", {}, "Starter categories (optional)"),
    el("p", { class: "field-hint" }, "Offered as you type a category. You can always type your own."),
    el("div", { class: "starter-grid" }, boxes.map((b) => b.row)),
  );

  // Invite someone: a shared ledger in the chosen currency, and a one-time link to send.
  const inviteButton = el("button", { type: "button", class: "secondary" }, "Invite someone");
  const ledgerName = field("Shared ledger name", { type: "text", name: "name", maxlength: 60, autocomplete: "off", value: "Household" });
  const createLink = el("button", { type: "button", class: "secondary" }, "Create invitation link");
  const link = field("Invitation link", { type: "text", readonly: true, name: "link" }, { hint: "Send it to them: it works once." });
  const copy = el("button", { type: "button", class: "small" }, "Copy link");
  const inviteError = formErrorLine();
  const inviteBox = el("div", { class: "invite-step", hidden: true }, ledgerName.wrap, createLink, inviteError);
  const linkBox = el("div", { class: "invite-step", hidden: true }, link.wrap, copy);
  const invite = el(
    "fieldset",
    { class: "field" },
    el("legend", {}, "Share with someone (optional)"),
    el("p", { class: "field-hint" }, "A shared ledger, apart from your own, where both of you add expenses and see who owes whom."),
    inviteButton,
    inviteBox,
    linkBox,
  );
  let shared = null;

  inviteButton.addEventListener("click", () => {
    inviteButton.hidden = true;
    inviteBox.hidden = false;
    ledgerName.input.focus();
  });
  createLink.addEventListener("click", async () => {
    say(inviteError, "");
    ledgerName.setError("");
    createLink.disabled = true;
    try {
      shared ??= await api.createLedger({ name: ledgerName.input.value, currency: currency.input.value });
      const invitation = await api.inviteToLedger(shared.id, { role: "editor" });
      link.input.value = invitation.url;
      inviteBox.hidden = true;
      linkBox.hidden = false;
      link.input.focus();
      link.input.select();
    } catch (error) {
      showSaveError({ name: ledgerName }, error, { formError: inviteError });
    } finally {
      createLink.disabled = false;
    }
  });
  copyOnClick(copy, link.input);

  const formError = formErrorLine();
  let updated = user;
  let chosen = [];
  const { dialog, close } = formDialog(
    anchor,
    {
      title: "Welcome to Expense Tracker",
      submitLabel: "Start",
      cancelLabel: "Skip",
      className: "welcome-dialog",
      focus: currency.input,
      onSubmit: async () => {
        say(formError, "");
        try {
          if (currency.input.value !== user.currency) updated = await api.updateMe({ currency: currency.input.value });
        } catch (error) {
          showSaveError({ currency }, error, { formError });
          return;
        }
        chosen = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
        try {
          localStorage.setItem(STARTERS_KEY, JSON.stringify(chosen));
        } catch {
          /* private mode: no starters remembered */
        }
        close();
        toast(shared ? `${shared.name} is in the Ledger selector.` : "All set. Add your first expense.");
      },
    },
    el("p", { class: "card-sub" }, "Three quick choices; only the currency matters now."),
    currency.wrap,
    starters,
    invite,
    formError,
  );
  // However it closes (Skip too), a new currency, shared ledger or starters reach the dashboard.
  dialog.addEventListener("close", () => {
    if (updated !== user || shared || chosen.length) emit(anchor, USER_CHANGED, { user: updated });
  });
  return close;
}
