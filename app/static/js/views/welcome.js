// First run, right after creating an account: choose the currency (nothing is silently in dollars),
// pick starter categories if wanted, and invite someone to a shared ledger. Everything but the
// currency is optional; Skip leaves the account as it is.
// Emits "user-changed" {user} once something changed (the dashboard reads the ledgers again).

import { api } from "../api.js";
import { currencyOptions } from "../currency.js";
import { formDialog } from "../dialog.js";
import { el, emit, uid } from "../dom.js";
import { field, formErrorLine, rememberStarters, say, showSaveError } from "../forms.js";
import { copyOnClick } from "./invitations.js";
import { toast } from "./toast.js";
import { USER_CHANGED } from "../events.js";
import { t } from "../i18n.js";

/** The starter categories, in the page's language: the chosen ones are kept as they were offered. */
export const starterNames = () => [
  t("starter.groceries"),
  t("starter.eatingOut"),
  t("starter.rent"),
  t("starter.transport"),
  t("starter.bills"),
  t("starter.health"),
  t("starter.fun"),
];

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

export function openWelcome(anchor, { user }) {
  const currency = field(
    t("field.currency"),
    { name: "currency" },
    { tag: "select", hint: t("welcome.currencyHint") },
  );
  currency.input.append(...currencyOptions(guessCurrency(user.currency)));

  const boxes = starterNames().map((name) => {
    const box = el("input", { type: "checkbox", id: uid("starter"), value: name });
    return { box, row: el("div", { class: "check" }, box, el("label", { for: box.id }, name)) };
  });
  const starters = el(
    "fieldset",
    { class: "field starter-categories" },
    el("legend", {}, t("welcome.starters")),
    el("p", { class: "field-hint" }, t("welcome.startersHint")),
    el("div", { class: "starter-grid" }, boxes.map((b) => b.row)),
  );

  // Invite someone: a shared ledger in the chosen currency, and a one-time link to send.
  const inviteButton = el("button", { type: "button", class: "secondary" }, t("welcome.invite"));
  const ledgerName = field(t("welcome.ledgerName"), { type: "text", name: "name", maxlength: 60, autocomplete: "off", value: t("welcome.household") });
  const createLink = el("button", { type: "button", class: "secondary" }, t("ledger.createInvitation"));
  const link = field(t("ledger.invitationLink"), { type: "text", readonly: true, name: "link" }, { hint: t("welcome.linkHint") });
  const copy = el("button", { type: "button", class: "small" }, t("ledger.copyLink"));
  const inviteError = formErrorLine();
  const inviteBox = el("div", { class: "invite-step", hidden: true }, ledgerName.wrap, createLink, inviteError);
  const linkBox = el("div", { class: "invite-step", hidden: true }, link.wrap, copy);
  const invite = el(
    "fieldset",
    { class: "field" },
    el("legend", {}, t("welcome.share")),
    el("p", { class: "field-hint" }, t("welcome.shareHint")),
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
      title: t("welcome.title"),
      submitLabel: t("welcome.start"),
      cancelLabel: t("welcome.skip"),
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
        rememberStarters(chosen);
        close();
        toast(shared ? t("welcome.inSelector", { name: shared.name }) : t("welcome.allSet"));
      },
    },
    el("p", { class: "card-sub" }, t("welcome.lede")),
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
