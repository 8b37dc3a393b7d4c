// The Admin page (#/admin), for admins only: every account with its counts (never its expenses),
// and the actions an admin has: disable or enable, make admin or not, reset link, delete.
// Invitation and reset links are shown once, with a Copy button.

import { ApiError, api } from "../api.js";
import { formDialog } from "../dialog.js";
import { el, uid } from "../dom.js";
import { errorMessage, field, formErrorLine, say, showSaveError } from "../forms.js";
import { formatMoment } from "../format.js";
import { toast } from "./toast.js";
import { t } from "../i18n.js";

/** A link the server will not show again: a read-only field and a Copy button. */
function linkBox(label, link, note) {
  const id = uid("link");
  const input = el("input", { id, type: "text", readonly: true, value: link.url, class: "link-url" });
  const copy = el("button", { type: "button", class: "secondary", "aria-label": t("admin.copyLabel", { label }) }, t("admin.copy"));
  copy.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(link.url);
      toast(t("invite.copied"));
    } catch {
      toast(t("admin.copyFailed"));
    }
  });
  return el(
    "div",
    { class: "link-box" },
    el("label", { for: id }, label),
    el("div", { class: "link-row" }, input, copy),
    el("p", { class: "field-hint" }, t("admin.linkNote", { note, until: formatMoment(link.expires_at) })),
  );
}

function confirmDelete(anchor, user, onConfirm) {
  const error = formErrorLine();
  const { close } = formDialog(
    anchor,
    {
      title: t("admin.deleteTitle", { email: user.email }),
      submitLabel: t("settings.deleteAccount"),
      danger: true,
      alert: true,
      onSubmit: async () => {
        try {
          await onConfirm();
          close();
        } catch (failure) {
          say(error, errorMessage(failure));
        }
      },
    },
    el("p", {}, t("admin.deleteText", { count: user.expense_count })),
    error,
  );
}

export function adminView({ me, back }) {
  const status = el("p", { class: "list-count", role: "status" });
  const list = el("ul", { class: "admin-list", "aria-label": t("admin.accounts") });
  const resetSlot = el("div", { class: "link-slot" });
  const inviteSlot = el("div", { class: "link-slot" });
  const inviteButton = el("button", { type: "button", class: "primary" }, t("ledger.createInvitation"));
  const root = el(
    "main",
    { id: "main", class: "dashboard admin", tabindex: "-1" },
    el(
      "div",
      { class: "card-head admin-head" },
      el("h1", {}, t("admin.title")),
      el("a", { href: back, class: "button secondary" }, t("admin.back")),
    ),
    el(
      "section",
      { class: "card", "aria-labelledby": "admin-accounts" },
      el("h2", { id: "admin-accounts" }, t("admin.accounts")),
      el("p", { class: "card-sub" }, t("admin.countsOnly")),
      status,
      resetSlot,
      list,
    ),
    el(
      "section",
      { class: "card", "aria-labelledby": "admin-invite" },
      el("h2", { id: "admin-invite" }, t("admin.invitations")),
      el("p", { class: "card-sub" }, t("admin.invitationsText")),
      inviteButton,
      inviteSlot,
    ),
  );

  inviteButton.addEventListener("click", async () => {
    inviteButton.disabled = true;
    try {
      const link = await api.adminInvitation({ valid_days: 7 });
      inviteSlot.replaceChildren(linkBox(t("ledger.invitationLink"), link, t("admin.singleUse")));
    } catch (error) {
      toast(t("admin.inviteFailed", { message: errorMessage(error) }), { error: true });
    } finally {
      inviteButton.disabled = false;
    }
  });

  async function act(work, done) {
    try {
      await work();
      if (done) toast(done);
      await load();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // back at the log-in form
      toast(errorMessage(error), { error: true });
    }
  }

  function row(user) {
    const name = user.display_name ? `${user.display_name} · ` : "";
    const badges = [
      user.is_admin ? el("span", { class: "badge" }, t("admin.badgeAdmin")) : null,
      user.disabled ? el("span", { class: "badge badge-off" }, t("admin.disabled")) : null,
      user.id === me.id ? el("span", { class: "badge" }, t("admin.you")) : null,
    ];
    const facts = [
      t("categories.count", { count: user.expense_count }),
      t("admin.joined", { when: formatMoment(user.created_at) }),
      user.last_login_at ? t("admin.lastLogIn", { when: formatMoment(user.last_login_at) }) : t("admin.neverLoggedIn"),
    ].join(" · ");
    const toggle = el("button", { type: "button", class: "secondary" }, user.disabled ? t("admin.enable") : t("admin.disable"));
    toggle.addEventListener("click", () =>
      act(() => api.adminUpdateUser(user.id, { disabled: !user.disabled }), user.disabled ? t("admin.enabled", { email: user.email }) : t("admin.disabledToast", { email: user.email })),
    );
    const role = el("button", { type: "button", class: "secondary" }, user.is_admin ? t("admin.removeAdmin") : t("admin.makeAdmin"));
    role.addEventListener("click", () =>
      act(() => api.adminUpdateUser(user.id, { is_admin: !user.is_admin }), user.is_admin ? t("admin.noLongerAdmin", { email: user.email }) : t("admin.nowAdmin", { email: user.email })),
    );
    const reset = el("button", { type: "button", class: "secondary" }, t("admin.resetLink"));
    reset.addEventListener("click", () =>
      act(async () => {
        const link = await api.adminResetLink(user.id);
        resetSlot.replaceChildren(linkBox(t("admin.resetLinkFor", { email: user.email }), link, t("admin.resetNote")));
      }),
    );
    const remove = el("button", { type: "button", class: "danger" }, t("common.delete"));
    remove.addEventListener("click", () =>
      confirmDelete(root, user, async () => {
        await api.adminDeleteUser(user.id);
        toast(t("admin.deleted", { email: user.email }));
        await load();
      }),
    );
    return el(
      "li",
      { class: "admin-user", "aria-label": user.email },
      el("div", { class: "admin-who" }, el("span", { class: "admin-email" }, user.email), ...badges),
      el("p", { class: "admin-facts" }, name, facts),
      el("div", { class: "admin-actions" }, toggle, role, reset, remove),
    );
  }

  async function load() {
    status.textContent = t("common.loading");
    try {
      const users = await api.adminUsers();
      list.replaceChildren(...users.map(row));
      status.textContent = t("admin.accountCount", { count: users.length });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      list.replaceChildren();
      status.textContent = errorMessage(error);
    }
  }

  return { root, load };
}

/** The page a reset link opens (#/reset/<token>): a New password form; done() after, back() to leave. */
export function resetView(token, done, back) {
  const password = field(
    t("auth.newPassword"),
    { type: "password", name: "new_password", autocomplete: "new-password", minlength: 8, required: true },
    { hint: t("admin.resetHint") },
  );
  const submit = el("button", { type: "submit", class: "primary" }, t("admin.setPassword"));
  const backButton = el("button", { type: "button", class: "link-button" }, t("auth.backToLogIn"));
  backButton.addEventListener("click", back);
  const form = el(
    "form",
    { class: "auth-form card", novalidate: true, "aria-labelledby": "reset-title" },
    el("h1", { id: "reset-title" }, t("admin.resetTitle")),
    password.wrap,
    submit,
    backButton,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (password.input.value.length < 8) {
      password.setError(t("settings.newPasswordShort"));
      password.input.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api.resetPassword({ token, new_password: password.input.value });
      done();
    } catch (failure) {
      submit.disabled = false;
      showSaveError({ new_password: password }, failure);
    }
  });
  queueMicrotask(() => password.input.focus());
  return el("main", { id: "main", class: "auth-screen" }, form);
}
