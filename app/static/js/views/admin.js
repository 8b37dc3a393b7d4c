// The Admin page (#/admin), for admins only: every account with its counts (never its expenses),
// and the actions an admin has: disable or enable, make admin or not, reset link, delete.
// Invitation and reset links are shown once, with a Copy button.

import { ApiError, api } from "../api.js";
import { formDialog } from "../dialog.js";
import { el, uid } from "../dom.js";
import { errorMessage, field, formErrorLine, say, showSaveError } from "../forms.js";
import { formatMoment } from "../format.js";
import { toast } from "./toast.js";

/** A link the server will not show again: a read-only field and a Copy button. */
function linkBox(label, link, note) {
  const id = uid("link");
  const input = el("input", { id, type: "text", readonly: true, value: link.url, class: "link-url" });
  const copy = el("button", { type: "button", class: "secondary", "aria-label": `Copy ${label}` }, "Copy");
  copy.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(link.url);
      toast("Link copied.");
    } catch {
      toast("Copy did not work here: the link is selected, press Ctrl+C (or ⌘C).");
    }
  });
  return el(
    "div",
    { class: "link-box" },
    el("label", { for: id }, label),
    el("div", { class: "link-row" }, input, copy),
    el("p", { class: "field-hint" }, `${note} Valid until ${formatMoment(link.expires_at)}. It is shown only now.`),
  );
}

function confirmDelete(anchor, user, onConfirm) {
  const error = formErrorLine();
  const { close } = formDialog(
    anchor,
    {
      title: `Delete ${user.email}?`,
      submitLabel: "Delete account",
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
    el("p", {}, `The account goes with its ${user.expense_count} expenses and every budget. This cannot be undone.`),
    error,
  );
}

export function adminView({ me, back }) {
  const status = el("p", { class: "list-count", role: "status" });
  const list = el("ul", { class: "admin-list", "aria-label": "Accounts" });
  const resetSlot = el("div", { class: "link-slot" });
  const inviteSlot = el("div", { class: "link-slot" });
  const inviteButton = el("button", { type: "button", class: "primary" }, "Create invitation link");
  const root = el(
    "main",
    { id: "main", class: "dashboard admin", tabindex: "-1" },
    el(
      "div",
      { class: "card-head admin-head" },
      el("h1", {}, "Admin"),
      el("a", { href: back, class: "button secondary" }, "Back to dashboard"),
    ),
    el(
      "section",
      { class: "card", "aria-labelledby": "admin-accounts" },
      el("h2", { id: "admin-accounts" }, "Accounts"),
      el("p", { class: "card-sub" }, "Counts only: nobody's expenses are shown here."),
      status,
      resetSlot,
      list,
    ),
    el(
      "section",
      { class: "card", "aria-labelledby": "admin-invite" },
      el("h2", { id: "admin-invite" }, "Invitations"),
      el("p", { class: "card-sub" }, "A link lets one person create an account, even while registration is closed."),
      inviteButton,
      inviteSlot,
    ),
  );

  inviteButton.addEventListener("click", async () => {
    inviteButton.disabled = true;
    try {
      const link = await api.adminInvitation({ valid_days: 7 });
      inviteSlot.replaceChildren(linkBox("Invitation link", link, "Single use."));
    } catch (error) {
      toast(`Could not create an invitation: ${errorMessage(error)}`, { error: true });
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
      user.is_admin ? el("span", { class: "badge" }, "Admin") : null,
      user.disabled ? el("span", { class: "badge badge-off" }, "Disabled") : null,
      user.id === me.id ? el("span", { class: "badge" }, "You") : null,
    ];
    const facts = [
      `${user.expense_count} ${user.expense_count === 1 ? "expense" : "expenses"}`,
      `joined ${formatMoment(user.created_at)}`,
      user.last_login_at ? `last log-in ${formatMoment(user.last_login_at)}` : "never logged in",
    ].join(" · ");
    const toggle = el("button", { type: "button", class: "secondary" }, user.disabled ? "Enable" : "Disable");
    toggle.addEventListener("click", () =>
      act(() => api.adminUpdateUser(user.id, { disabled: !user.disabled }), `${user.email} ${user.disabled ? "enabled" : "disabled"}.`),
    );
    const role = el("button", { type: "button", class: "secondary" }, user.is_admin ? "Remove admin" : "Make admin");
    role.addEventListener("click", () =>
      act(() => api.adminUpdateUser(user.id, { is_admin: !user.is_admin }), `${user.email} ${user.is_admin ? "is no longer" : "is now"} an admin.`),
    );
    const reset = el("button", { type: "button", class: "secondary" }, "Reset link");
    reset.addEventListener("click", () =>
      act(async () => {
        const link = await api.adminResetLink(user.id);
        resetSlot.replaceChildren(linkBox(`Reset link for ${user.email}`, link, "Single use; it sets a new password."));
      }),
    );
    const remove = el("button", { type: "button", class: "danger" }, "Delete");
    remove.addEventListener("click", () =>
      confirmDelete(root, user, async () => {
        await api.adminDeleteUser(user.id);
        toast(`${user.email} deleted.`);
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
    status.textContent = "Loading…";
    try {
      const users = await api.adminUsers();
      list.replaceChildren(...users.map(row));
      status.textContent = `${users.length} ${users.length === 1 ? "account" : "accounts"}`;
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
    "New password",
    { type: "password", name: "new_password", autocomplete: "new-password", minlength: 8, required: true },
    { hint: "At least 8 characters. Every device will be logged out." },
  );
  const submit = el("button", { type: "submit", class: "primary" }, "Set password");
  const backButton = el("button", { type: "button", class: "link-button" }, "Back to log in");
  backButton.addEventListener("click", back);
  const form = el(
    "form",
    { class: "auth-form card", novalidate: true, "aria-labelledby": "reset-title" },
    el("h1", { id: "reset-title" }, "Reset your password"),
    password.wrap,
    submit,
    backButton,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (password.input.value.length < 8) {
      password.setError("Use at least 8 characters for your new password.");
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
