// Shared ledgers on the page: the Ledger selector, the ledger's settings (members, roles,
// invitations, Leave), New ledger, and the Balances panel with Settle up.

import { api } from "../api.js";
import { today } from "../dates.js";
import { formDialog } from "../dialog.js";
import { currencyOptions, digitsOf } from "../currency.js";
import { el, emit, uid } from "../dom.js";
import { amountValue, errorMessage, field, formErrorLine, say, showSaveError } from "../forms.js";
import { money } from "../format.js";
import { toast } from "./toast.js";

const ROLES = ["owner", "editor", "viewer"];

/** How a member is shown: the display name, else the e-mail; never an id. */
export function memberName(ledger, userId, fallback = "Former member") {
  const member = ledger.members.find((m) => m.user_id === userId);
  return member ? member.display_name || member.email : fallback;
}

/** Emits "ledger-change" {id}, "ledger-settings" and "ledger-new". */
export function ledgerPicker(ledgers, current) {
  const id = uid("ledger");
  const select = el(
    "select",
    { id, class: "ledger-select" },
    ledgers.map((l) => el("option", { value: String(l.id), selected: l.id === current.id }, l.name)),
  );
  const settings = el("button", { type: "button", class: "ghost" }, "Manage ledger");
  const root = el("div", { class: "ledger-picker" }, el("label", { for: id }, "Ledger"), select, settings);
  select.addEventListener("change", () => emit(root, "ledger-change", { id: Number(select.value) }));
  settings.addEventListener("click", () => emit(root, "ledger-settings"));
  return root;
}

/** Who paid and how it is split: only where the ledger has more than one member. */
export function splitFields(ledger, me) {
  const members = ledger.members;
  const paidBy = field("Paid by", { name: "paid_by" }, { tag: "select" });
  paidBy.input.append(...members.map((m) => el("option", { value: String(m.user_id) }, memberName(ledger, m.user_id))));
  paidBy.input.value = String(me.id);
  const kind = el(
    "select",
    { name: "split_kind", id: uid("split") },
    el("option", { value: "equal" }, "Equally among owners and editors"),
    el("option", { value: "shares" }, "By shares"),
    el("option", { value: "amounts" }, "By exact amounts"),
  );
  const parts = members.map((m) => {
    const input = el("input", { type: "text", inputmode: "decimal", autocomplete: "off", id: uid("part"), size: 6 });
    const label = el("label", { for: input.id }, memberName(ledger, m.user_id));
    return { member: m, input, row: el("div", { class: "split-part" }, label, input) };
  });
  const partsBox = el("div", { class: "split-parts", hidden: true }, parts.map((p) => p.row));
  const error = el("p", { class: "field-error", id: uid("split-error"), hidden: true });
  kind.setAttribute("aria-describedby", error.id);
  const wrap = el(
    "fieldset",
    { class: "field split-field" },
    el("legend", {}, "Split"),
    el("label", { for: kind.id, class: "visually-hidden" }, "How to split"),
    kind,
    partsBox,
    error,
  );
  kind.addEventListener("change", () => {
    partsBox.hidden = kind.value === "equal";
    for (const p of parts) {
      p.input.setAttribute("aria-label", `${memberName(ledger, p.member.user_id)}: ${kind.value === "shares" ? "shares" : "amount"}`);
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

  /** Put an expense's split back into the fields (the edit dialog). */
  function fill(expense) {
    paidBy.input.value = String(expense.paid_by ?? me.id);
    const byShares = expense.split.every((s) => s.shares !== null);
    const digits = expense.currency ? digitsOf(expense.currency) : undefined; // parts are in the expense's currency
    kind.value = byShares ? "shares" : "amounts";
    for (const p of parts) {
      const part = expense.split.find((s) => s.user_id === p.member.user_id);
      p.input.value = part ? (byShares ? String(part.shares) : amountValue(part.amount, digits)) : "";
    }
    kind.dispatchEvent(new Event("change"));
  }

  /** The body's paid_by and split, or null after saying what is wrong. */
  function read() {
    const body = { paid_by: Number(paidBy.input.value) };
    if (kind.value === "equal") return body;
    const named = parts.filter((p) => p.input.value.trim());
    if (!named.length) {
      split.setError("Give at least one member a part.");
      return null;
    }
    const key = kind.value === "shares" ? "shares" : "amount";
    body.split = named.map((p) => {
      const text = p.input.value.trim().replace(",", ".");
      return { user_id: p.member.user_id, [key]: key === "shares" ? Number(text) : text };
    });
    return body;
  }

  return { fields: { paid_by: paidBy, split }, fill, read };
}

/** The Balances panel: each member's balance and the suggested transfers with Settle up. */
export function balancesView() {
  const list = el("ul", { class: "balance-list", "aria-labelledby": "balances-title" });
  const transfers = el("ul", { class: "transfer-list", "aria-label": "Suggested transfers" });
  const settled = el("p", { class: "empty", hidden: true }, "Everyone is settled up.");
  const error = formErrorLine();
  const root = el(
    "section",
    { class: "card balances-card", "aria-labelledby": "balances-title", hidden: true },
    el("h2", { id: "balances-title" }, "Balances"),
    error,
    list,
    settled,
    transfers,
  );

  function show(ledger, balances, { canWrite }) {
    root.hidden = false;
    say(error, "");
    list.replaceChildren(
      ...balances.members.map((m) =>
        el(
          "li",
          { class: "balance" },
          el("span", {}, memberName(ledger, m.user_id, m.display_name)),
          el("span", { class: "balance-amount" }, money(m.balance)),
        ),
      ),
    );
    settled.hidden = balances.transfers.length > 0;
    transfers.replaceChildren(
      ...balances.transfers.map((t) => {
        const named = (id) => memberName(ledger, id, balances.members.find((m) => m.user_id === id)?.display_name);
        const from = named(t.from_user_id);
        const to = named(t.to_user_id);
        const button = el("button", { type: "button", class: "small write" }, "Settle up");
        button.setAttribute("aria-label", `Settle up: ${from} pays ${to} ${money(t.amount)}`);
        button.hidden = !canWrite;
        button.addEventListener("click", async () => {
          button.disabled = true;
          try {
            await api.settle(ledger.id, {
              from_user_id: t.from_user_id,
              to_user_id: t.to_user_id,
              amount: amountValue(t.amount),
              date: today(),
            });
            toast(`Recorded: ${from} paid ${to} ${money(t.amount)}.`);
            emit(root, "balances-changed");
          } catch (err) {
            button.disabled = false;
            say(error, `Could not settle up: ${errorMessage(err)}`);
          }
        });
        return el("li", { class: "transfer" }, el("span", {}, `${from} pays ${to} ${money(t.amount)}`), button);
      }),
    );
  }

  function hide() {
    root.hidden = true;
  }

  function showError(message) {
    root.hidden = false;
    say(error, `Could not load balances: ${message}`);
  }

  return { root, show, hide, showError };
}

/** A ledger's Currency: a select of every ISO 4217 code the browser knows. */
function currencySelect(current, { disabled = false } = {}) {
  const currency = field("Currency", { name: "currency", disabled }, { tag: "select" });
  currency.input.append(...currencyOptions(current));
  return currency;
}

/** New ledger: a name and a currency; emits "ledger-created" {ledger}. */
export function openNewLedger(anchor, currency) {
  const fields = {
    name: field("Name", { type: "text", name: "name", required: true, maxlength: 60, autocomplete: "off" }),
    currency: currencySelect(currency),
  };
  const formError = formErrorLine();
  const { close } = formDialog(
    anchor,
    {
      title: "New ledger",
      submitLabel: "Create ledger",
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
          emit(anchor, "ledger-created", { ledger });
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
 * "ledger-new".
 */
export function openLedgerSettings(anchor, ledger, me) {
  const owner = ledger.role === "owner";
  // Role changes and removals take effect at once, but the dashboard is rebuilt only when the
  // dialog closes: rebuilding it now would take the open dialog with it.
  let membersChanged = false;
  const formError = formErrorLine();
  const fields = {
    name: field("Name", { type: "text", name: "name", value: ledger.name, maxlength: 60, disabled: !owner }),
    currency: currencySelect(ledger.currency, { disabled: !owner }),
  };
  const membersError = formErrorLine();
  const members = el("ul", { class: "member-list", "aria-label": "Members" });
  const inviteRole = field("Invite as", { name: "role" }, { tag: "select" });
  inviteRole.input.append(el("option", { value: "editor" }, "Editor"), el("option", { value: "viewer" }, "Viewer"));
  const inviteButton = el("button", { type: "button", class: "secondary" }, "Create invitation link");
  const link = field("Invitation link", { type: "text", name: "invitation", readonly: true }, {
    hint: "Works once, for 7 days. Send it to the person you invite.",
  });
  link.wrap.hidden = true;
  const copy = el("button", { type: "button", class: "small", hidden: true }, "Copy link");
  const leave = el("button", { type: "button", class: "danger-text" }, "Leave ledger");
  const newLedger = el("button", { type: "button", class: "secondary" }, "New ledger");

  function renderMembers() {
    members.replaceChildren(
      ...ledger.members.map((m) => {
        const name = memberName(ledger, m.user_id);
        const row = el("li", { class: "member" }, el("span", { class: "member-name" }, name));
        if (owner && m.user_id !== me.id) {
          const roleId = uid("role");
          const role = el(
            "select",
            { id: roleId, "aria-label": `Role of ${name}` },
            ROLES.map((r) => el("option", { value: r, selected: r === m.role }, r)),
          );
          role.addEventListener("change", async () => {
            say(membersError, "");
            try {
              await api.updateMember(ledger.id, m.user_id, { role: role.value });
              m.role = role.value;
              membersChanged = true;
            } catch (error) {
              role.value = m.role;
              say(membersError, errorMessage(error));
            }
          });
          const remove = el("button", { type: "button", class: "small danger-text", "aria-label": `Remove ${name}` }, "Remove");
          remove.addEventListener("click", async () => {
            say(membersError, "");
            try {
              await api.removeMember(ledger.id, m.user_id);
              ledger.members = ledger.members.filter((x) => x.user_id !== m.user_id);
              renderMembers();
              membersChanged = true;
            } catch (error) {
              say(membersError, errorMessage(error));
            }
          });
          row.append(role, remove);
        } else {
          row.append(el("span", { class: "member-role" }, m.role));
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
    } catch (error) {
      say(membersError, errorMessage(error));
    } finally {
      inviteButton.disabled = false;
    }
  });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link.input.value);
      toast("Link copied.");
    } catch {
      link.input.select(); // no clipboard permission: selected, ready for Ctrl+C
    }
  });
  leave.addEventListener("click", async () => {
    say(membersError, "");
    try {
      await api.removeMember(ledger.id, me.id);
      close();
      emit(anchor, "ledger-left", { ledger });
    } catch (error) {
      say(membersError, errorMessage(error));
    }
  });
  newLedger.addEventListener("click", () => {
    close();
    emit(anchor, "ledger-new");
  });

  const { dialog, close } = formDialog(
    anchor,
    {
      title: "Ledger settings",
      submitLabel: owner ? "Save" : "Close",
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
          emit(anchor, "ledger-updated", { ledger: updated });
          toast("Ledger saved.");
        } catch (error) {
          showSaveError(fields, error, { formError, at: { 409: "currency" } });
        }
      },
    },
    fields.name.wrap,
    fields.currency.wrap,
    formError,
    el("h3", {}, "Members"),
    members,
    membersError,
    owner ? el("div", { class: "invite-row" }, inviteRole.wrap, inviteButton) : null,
    owner ? el("div", { class: "invite-link" }, link.wrap, copy) : null,
    el("div", { class: "ledger-actions" }, newLedger, ledger.personal ? null : leave),
  );
  dialog.addEventListener("close", () => {
    if (membersChanged) emit(anchor, "ledger-updated", { ledger });
  });
}
