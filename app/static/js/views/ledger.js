// Shared ledgers on the page: the Ledger selector, and who paid an expense and how it is split.
// The ledger's settings and New ledger, which are dialogs, are in ledger-settings.js (loaded when
// first opened).

import { digitsOf } from "../currency.js";
import { el, emit, uid } from "../dom.js";
import { amountInput, amountText, field } from "../forms.js";
import { money, percent } from "../format.js";
import { LEDGER_CHANGE, LEDGER_NEW, LEDGER_SETTINGS } from "../events.js";
import { t } from "../i18n.js";

/** A ledger's name as shown: the personal ledger keeps the server's "Personal" until renamed, said in the page's language. */
export function ledgerLabel(ledger) {
  return ledger.personal && ledger.name === "Personal" ? t("ledger.personal") : ledger.name;
}

/** A role in words: "Owner", "Eigentümer". */
export function roleName(role) {
  return { owner: t("role.owner"), editor: t("role.editor"), viewer: t("role.viewer") }[role] ?? role;
}

/** How a member is shown: the display name, else the e-mail; never an id. */
export function memberName(ledger, userId, fallback = t("ledger.formerMember")) {
  const member = ledger.members.find((m) => m.user_id === userId);
  return member ? member.display_name || member.email : fallback;
}

/**
 * Who paid an expense and, when it is not split the default way (equal among the owners and
 * editors), how: "Ann paid", "Ann paid · Ann 60%, Bob 40%", "Ann paid · Ann €10.00, Bob €20.00".
 * Every number names its member, so three members and exact amounts read as plainly as two.
 * A recurring rule says "pays" (`verb`); its split is null when it is the default.
 */
export function describeSharing(ledger, expense, verb = "paid") {
  const name = memberName(ledger, expense.paid_by);
  const paid = verb === "pays" ? t("sharing.pays", { name }) : t("sharing.paid", { name });
  const split = expense.split ?? [];
  const bearers = ledger.members.filter((m) => m.role !== "viewer").map((m) => m.user_id);
  const equal =
    split.length === bearers.length &&
    split.every((s) => s.shares !== null && s.shares === split[0].shares && bearers.includes(s.user_id));
  if (!split.length || equal) return paid;
  const total = split.reduce((sum, s) => sum + (s.shares ?? 0), 0);
  const parts = split.map((s) =>
    s.shares === null
      ? `${memberName(ledger, s.user_id)} ${money(s.amount, expense.currency ?? undefined)}`
      : `${memberName(ledger, s.user_id)} ${percent(Math.round((100 * s.shares) / total))}`,
  );
  return `${paid} · ${parts.join(", ")}`;
}

const NEW_LEDGER = "new";
// The keys that move a closed select's choice (letters too: they jump to a name).
const MOVES = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"];

/**
 * Emits "ledger-change" {id}, "ledger-settings" and "ledger-new" (its last option, "New ledger…").
 * It switches on a choice, not on each arrow key: a closed select changes its value as the arrows
 * move through it, and each change would rebuild the whole dashboard. What the keys reach is
 * chosen with Enter or on leaving the selector; Escape goes back to the ledger shown.
 */
export function ledgerPicker(ledgers, current) {
  const id = uid("ledger");
  const select = el(
    "select",
    { id, class: "ledger-select" },
    ledgers.map((l) => el("option", { value: String(l.id), selected: l.id === current.id }, ledgerLabel(l))),
    el("option", { value: NEW_LEDGER }, t("ledger.newEllipsis")),
  );
  const settings = el("button", { type: "button", class: "ghost" }, t("ledger.manage"));
  const root = el("div", { class: "ledger-picker" }, el("label", { for: id }, t("ledger.label")), select, settings);
  let browsing = false; // keys are moving through the options of the closed select
  const choose = () => {
    browsing = false;
    if (select.value === String(current.id)) return;
    if (select.value === NEW_LEDGER) {
      select.value = String(current.id);
      emit(root, LEDGER_NEW);
    } else emit(root, LEDGER_CHANGE, { id: Number(select.value) });
  };
  select.addEventListener("keydown", (event) => {
    if (event.key === "Enter") choose();
    else if (event.key === "Escape" && browsing) {
      browsing = false;
      select.value = String(current.id);
    } else if (!event.altKey && (MOVES.includes(event.key) || /^\S$/u.test(event.key))) {
      browsing = true; // (Alt+Down and Space open the list instead: a pick there is a choice)
    }
  });
  select.addEventListener("pointerdown", () => (browsing = false));
  // A pick from the open list (mouse, touch, or Enter in it) is a choice; a key's move is not yet.
  select.addEventListener("change", () => browsing || choose());
  select.addEventListener("blur", () => browsing && choose());
  settings.addEventListener("click", () => emit(root, LEDGER_SETTINGS));
  return root;
}

/**
 * Who paid and how it is split: only where the ledger has more than one member. `amounts: false`
 * leaves out exact amounts (an import's split is for every row of a file).
 */
export function splitFields(ledger, me, { amounts = true } = {}) {
  const members = ledger.members;
  const paidBy = field(t("sharing.paidBy"), { name: "paid_by" }, { tag: "select" });
  paidBy.input.append(...members.map((m) => el("option", { value: String(m.user_id) }, memberName(ledger, m.user_id))));
  paidBy.input.value = String(me.id);
  const kind = el(
    "select",
    { name: "split_kind", id: uid("split") },
    el("option", { value: "equal" }, t("sharing.equal")),
    el("option", { value: "shares" }, t("sharing.byShares")),
    amounts ? el("option", { value: "amounts" }, t("sharing.byAmounts")) : null,
  );
  const parts = members.map((m) => {
    const input = el("input", { type: "text", inputmode: "decimal", enterkeyhint: "done", autocomplete: "off", id: uid("part"), size: 6 });
    const label = el("label", { for: input.id }, memberName(ledger, m.user_id));
    return { member: m, input, row: el("div", { class: "split-part" }, label, input) };
  });
  const partsBox = el("div", { class: "split-parts", hidden: true }, parts.map((p) => p.row));
  const error = el("p", { class: "field-error", id: uid("split-error"), hidden: true });
  kind.setAttribute("aria-describedby", error.id);
  const wrap = el(
    "fieldset",
    { class: "field split-field" },
    el("legend", {}, t("sharing.split")),
    el("label", { for: kind.id, class: "visually-hidden" }, t("sharing.how")),
    kind,
    partsBox,
    error,
  );
  kind.addEventListener("change", () => {
    partsBox.hidden = kind.value === "equal";
    for (const p of parts) {
      p.input.setAttribute("aria-label", kind.value === "shares" ? t("sharing.sharesOf", { name: memberName(ledger, p.member.user_id) }) : t("sharing.amountOf", { name: memberName(ledger, p.member.user_id) }));
      if (kind.value === "shares" && !p.input.value && p.member.role !== "viewer") p.input.value = "1";
    }
  });
  const split = {
    wrap,
    input: kind,
    setError(message) {
      error.textContent = message ?? "";
      error.hidden = !message;
    },
  };

  /** Put an expense's (or a recurring rule's) split back into the fields (the edit dialog). */
  function fill(expense) {
    paidBy.input.value = String(expense.paid_by ?? me.id);
    if (!expense.split) {
      // A rule without a split of its own: equal among the owners and editors of the day.
      kind.value = "equal";
      kind.dispatchEvent(new Event("change"));
      return;
    }
    const byShares = expense.split.every((s) => s.shares !== null);
    const digits = expense.currency ? digitsOf(expense.currency) : undefined; // parts are in the expense's currency
    kind.value = byShares ? "shares" : "amounts";
    for (const p of parts) {
      const part = expense.split.find((s) => s.user_id === p.member.user_id);
      p.input.value = part ? (byShares ? String(part.shares) : amountText(part.amount, digits)) : "";
    }
    kind.dispatchEvent(new Event("change"));
  }

  /** Back to the defaults, me and equal (after an add: a choice is never carried to the next one). */
  function reset() {
    paidBy.input.value = String(me.id);
    kind.value = "equal";
    for (const p of parts) p.input.value = "";
    split.setError("");
    kind.dispatchEvent(new Event("change"));
  }

  /** The body's paid_by and split, or null after saying what is wrong. */
  function read() {
    const body = { paid_by: Number(paidBy.input.value) };
    if (kind.value === "equal") return body;
    const named = parts.filter((p) => p.input.value.trim());
    if (!named.length) {
      split.setError(t("sharing.giveAPart"));
      return null;
    }
    const key = kind.value === "shares" ? "shares" : "amount";
    body.split = named.map((p) => {
      const text = key === "shares" ? p.input.value.trim() : amountInput(p.input.value);
      return { user_id: p.member.user_id, [key]: key === "shares" ? Number(text) : text };
    });
    return body;
  }

  return { fields: { paid_by: paidBy, split }, fill, read, reset };
}
