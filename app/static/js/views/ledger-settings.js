// A ledger's dialogs, loaded when first opened (main.js): its settings (name, currency, members and
// their roles, invitations, Leave) and New ledger.

import { api } from "../api.js";
import { formDialog } from "../dialog.js";
import { currencyOptions } from "../currency.js";
import { el, emit, uid } from "../dom.js";
import { errorMessage, field, formErrorLine, say, showSaveError } from "../forms.js";
import { copyOnClick, invitationList } from "./invitations.js";
import { memberName, roleName } from "./ledger.js";
import { toast } from "./toast.js";
import { LEDGER_CREATED, LEDGER_LEFT, LEDGER_NEW, LEDGER_UPDATED } from "../events.js";
import { t } from "../i18n.js";

const ROLES = ["owner", "editor", "viewer"];

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
