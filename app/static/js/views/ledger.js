// Shared ledgers on the page: the Ledger selector, the ledger's settings (members, roles,
// invitations, Leave), New ledger, and who paid an expense and how it is split.

import { api } from "../api.js";
import { formDialog } from "../dialog.js";
import { currencyOptions, digitsOf } from "../currency.js";
import { el, emit, uid } from "../dom.js";
import { amountInput, amountText, errorMessage, field, formErrorLine, say, showSaveError } from "../forms.js";
import { money, percent } from "../format.js";
import { copyOnClick, invitationList } from "./invitations.js";
import { toast } from "./toast.js";
import { LEDGER_CHANGE, LEDGER_CREATED, LEDGER_LEFT, LEDGER_NEW, LEDGER_SETTINGS, LEDGER_UPDATED } from "../events.js";
import { t } from "../i18n.js";

const ROLES = ["owner", "editor", "viewer"];

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

/** A ledger's Currency: a select of every ISO 4217 code the browser knows. */
function currencySelect(current, { disabled = false } = {}) {
  const currency = field(t("field.currency"), { name: "currency", disabled }, { tag: "select" });
  currency.input.append(...currencyOptions(current));
  return currency;
}

/** New ledger: a name and a currency; emits "ledger-created" {ledger}. */
export function openNewLedger(anchor, currency) {
  const fields = {
    name: field(t("ledger.name"), { type: "text", name: "name", required: true, maxlength: 60, autocomplete: "off" }),
    currency: currencySelect(currency),
  };
  const formError = formErrorLine();
  const { close } = formDialog(
    anchor,
    {
      title: t("ledger.new"),
      submitLabel: t("ledger.create"),
      focus: fields.name.input,
      onSubmit: async () => {
        say(formError, "");
        fields.name.setError("");
        fields.currency.setError("");
        try {
          const ledger = await api.createLedger({
            name: fields.name.input.value,
            currency: fields.currency.input.value,
          });
          close();
          emit(anchor, LEDGER_CREATED, { ledger });
        } catch (error) {
          showSaveError(fields, error, { formError });
        }
      },
    },
    fields.name.wrap,
    fields.currency.wrap,
    formError,
  );
}

/**
 * The ledger's settings. Owners change name, currency, roles, invite and remove; everyone may
 * leave (except the personal ledger's owner). Emits "ledger-updated" {ledger}, "ledger-left" and
 * "ledger-new". Returns a promise, settled once the dialog has closed and its changes are saved.
 */
export function openLedgerSettings(anchor, ledger, me) {
  const owner = ledger.role === "owner";
  // Role changes and removals take effect at once, but the dashboard is rebuilt only when the
  // dialog closes: rebuilding it now would take the open dialog with it. Closing waits for the
  // changes still on their way, so the rebuilt dashboard reads them.
  let membersChanged = false;
  const pending = [];
  const formError = formErrorLine();
  const fields = {
    name: field(t("ledger.name"), { type: "text", name: "name", value: ledger.name, maxlength: 60, disabled: !owner }),
    currency: currencySelect(ledger.currency, { disabled: !owner }),
  };
  const membersError = formErrorLine();
  const members = el("ul", { class: "member-list", "aria-label": t("ledger.members") });
  const inviteRole = field(t("ledger.inviteAs"), { name: "role" }, { tag: "select" });
  inviteRole.input.append(el("option", { value: "editor" }, t("role.editor")), el("option", { value: "viewer" }, t("role.viewer")));
  const inviteButton = el("button", { type: "button", class: "secondary" }, t("ledger.createInvitation"));
  const link = field(t("ledger.invitationLink"), { type: "text", name: "invitation", readonly: true }, {
    hint: t("ledger.invitationHint"),
  });
  link.wrap.hidden = true;
  const copy = el("button", { type: "button", class: "small", hidden: true }, t("ledger.copyLink"));
  const links = owner ? invitationList(ledger) : null;
  links?.load();
  const leave = el("button", { type: "button", class: "danger-text" }, t("ledger.leave"));
  const newLedger = el("button", { type: "button", class: "secondary" }, t("ledger.new"));

  function renderMembers() {
    members.replaceChildren(
      ...ledger.members.map((m) => {
        const name = memberName(ledger, m.user_id);
        const row = el("li", { class: "member" }, el("span", { class: "member-name" }, name));
        if (owner && m.user_id !== me.id) {
          const roleId = uid("role");
          const role = el(
            "select",
            { id: roleId, "aria-label": t("ledger.roleOf", { name }) },
            ROLES.map((r) => el("option", { value: r, selected: r === m.role }, roleName(r))),
          );
          async function changeRole() {
            say(membersError, "");
            try {
              await api.updateMember(ledger.id, m.user_id, { role: role.value });
              m.role = role.value;
              membersChanged = true;
              links?.load(); // an owner made editor or viewer loses the links they made
            } catch (error) {
              role.value = m.role;
              say(membersError, errorMessage(error));
            }
          }
          role.addEventListener("change", () => pending.push(changeRole()));
          const remove = el("button", { type: "button", class: "small danger-text", "aria-label": t("ledger.removeMember", { name }) }, t("budgets.remove"));
          async function removeMember() {
            say(membersError, "");
            try {
              await api.removeMember(ledger.id, m.user_id);
              ledger.members = ledger.members.filter((x) => x.user_id !== m.user_id);
              renderMembers();
              membersChanged = true;
              links?.load();
            } catch (error) {
              say(membersError, errorMessage(error));
            }
          }
          remove.addEventListener("click", () => pending.push(removeMember()));
          row.append(role, remove);
        } else {
          row.append(el("span", { class: "member-role" }, roleName(m.role)));
        }
        return row;
      }),
    );
  }
  renderMembers();

  inviteButton.addEventListener("click", async () => {
    say(membersError, "");
    inviteButton.disabled = true;
    try {
      const invitation = await api.inviteToLedger(ledger.id, { role: inviteRole.input.value });
      link.input.value = invitation.url;
      link.wrap.hidden = false;
      copy.hidden = false;
      link.input.select();
      links.load();
    } catch (error) {
      say(membersError, errorMessage(error), { error, retry: () => inviteButton.click() });
    } finally {
      inviteButton.disabled = false;
    }
  });
  copyOnClick(copy, link.input);
  leave.addEventListener("click", async () => {
    say(membersError, "");
    try {
      await api.removeMember(ledger.id, me.id);
      close();
      emit(anchor, LEDGER_LEFT, { ledger });
    } catch (error) {
      say(membersError, errorMessage(error));
    }
  });
  newLedger.addEventListener("click", () => {
    close();
    emit(anchor, LEDGER_NEW);
  });

  const { dialog, close } = formDialog(
    anchor,
    {
      title: t("ledger.settings"),
      submitLabel: owner ? t("common.save") : t("common.close"),
      className: "ledger-dialog",
      focus: owner ? fields.name.input : undefined,
      onSubmit: async () => {
        if (!owner) {
          close();
          return;
        }
        say(formError, "");
        fields.name.setError("");
        fields.currency.setError("");
        try {
          const updated = await api.updateLedger(ledger.id, {
            name: fields.name.input.value,
            currency: fields.currency.input.value,
          });
          close();
          emit(anchor, LEDGER_UPDATED, { ledger: updated });
          toast(t("ledger.saved"));
        } catch (error) {
          showSaveError(fields, error, { formError, at: { 409: "currency" } });
        }
      },
    },
    fields.name.wrap,
    fields.currency.wrap,
    formError,
    el("h3", {}, t("ledger.members")),
    members,
    membersError,
    owner ? el("div", { class: "invite-row" }, inviteRole.wrap, inviteButton) : null,
    owner ? el("div", { class: "invite-link" }, link.wrap, copy) : null,
    links?.root,
    el("div", { class: "ledger-actions" }, newLedger, ledger.personal ? null : leave),
  );
  return new Promise((resolve) => {
    dialog.addEventListener("close", async () => {
      await Promise.all(pending); // each change catches its own failure
      if (membersChanged) emit(anchor, LEDGER_UPDATED, { ledger });
      resolve();
    });
  });
}
