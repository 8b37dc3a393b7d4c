// Settings, in a dialog built when opened and removed when closed: display name and currency,
// Change password, Log out everywhere, Delete account.
// Emits "user-changed" {user} and "account-deleted".

import { api, session } from "../api.js";
import { currencyOptions } from "../currency.js";
import { dialogHeading, formDialog, openDialog } from "../dialog.js";
import { download, el, emit, uid } from "../dom.js";
import { clearErrors, errorMessage, field, focusProblem, showSaveError } from "../forms.js";
import { toast } from "./toast.js";
import { ACCOUNT_DELETED, USER_CHANGED } from "../events.js";

export function openSettings(anchor, user) {
  // Profile
  const name = field("Display name", { type: "text", name: "display_name", maxlength: 60, autocomplete: "nickname" });
  name.input.value = user.display_name ?? "";
  const currency = field("Currency", { name: "currency" }, { tag: "select" });
  currency.input.append(...currencyOptions(user.currency));
  const profileButton = el("button", { type: "submit", class: "primary" }, "Save settings");
  const profile = el(
    "form",
    { class: "settings-section", novalidate: true, "aria-label": "Profile" },
    el("p", { class: "card-sub" }, `Signed in as ${user.email}`),
    name.wrap,
    currency.wrap,
    el("div", { class: "dialog-actions" }, profileButton),
  );
  profile.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = { display_name: name, currency };
    clearErrors(fields);
    profileButton.disabled = true;
    try {
      const updated = await api.updateMe({ display_name: name.input.value.trim(), currency: currency.input.value });
      emit(anchor, USER_CHANGED, { user: updated });
      toast("Settings saved.");
      dialog.close();
    } catch (error) {
      showSaveError(fields, error, { at: { 409: "currency" } });
    } finally {
      profileButton.disabled = false;
    }
  });

  // Password
  const current = field("Current password", { type: "password", name: "current_password", autocomplete: "current-password" });
  const next = field(
    "New password",
    { type: "password", name: "new_password", autocomplete: "new-password", minlength: 8 },
    { hint: "At least 8 characters. Other devices will be logged out." },
  );
  const passwordButton = el("button", { type: "submit", class: "secondary" }, "Change password");
  const passwordTitle = el("h3", { id: uid("settings") }, "Password");
  const passwordForm = el(
    "form",
    { class: "settings-section", novalidate: true, "aria-labelledby": passwordTitle.id },
    passwordTitle,
    current.wrap,
    next.wrap,
    el("div", { class: "dialog-actions" }, passwordButton),
  );
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = { current_password: current, new_password: next };
    clearErrors(fields);
    if (!current.input.value) current.setError("Enter your current password.");
    if (next.input.value.length < 8) next.setError("Use at least 8 characters for your new password.");
    if (focusProblem(fields)) return;
    passwordButton.disabled = true;
    const newPassword = next.input.value;
    try {
      await api.changePassword({ current_password: current.input.value, new_password: newPassword });
    } catch (error) {
      passwordButton.disabled = false;
      showSaveError(fields, error, { at: { 403: ["current_password", "That is not your current password."] } });
      return;
    }
    // The old token stopped working: sign in again with the new password to stay logged in here.
    try {
      const result = await api.login({ email: user.email, password: newPassword, remember: session.persistent });
      session.save(result.access_token, session.persistent);
      toast("Password changed.");
      dialog.close();
    } catch {
      dialog.close();
      session.clear();
      window.dispatchEvent(new CustomEvent("session-expired", { detail: "Password changed. Log in with your new password." }));
    }
  });

  // Your data
  const exportButton = el("button", { type: "button", class: "secondary" }, "Download my data");
  const yourData = el(
    "div",
    { class: "settings-section" },
    el("h3", {}, "Your data"),
    el("p", { class: "card-sub" }, "Your account, budgets and every expense, as one JSON file."),
    exportButton,
  );
  exportButton.addEventListener("click", async () => {
    exportButton.disabled = true;
    try {
      const { blob, filename } = await api.exportAccount();
      download(blob, filename);
    } catch (error) {
      toast(`Could not download your data: ${errorMessage(error)}`, { error: true });
    } finally {
      exportButton.disabled = false;
    }
  });

  // Sessions
  const everywhereButton = el("button", { type: "button", class: "secondary" }, "Log out everywhere");
  const sessions = el(
    "div",
    { class: "settings-section" },
    el("h3", {}, "Sessions"),
    el("p", { class: "card-sub" }, "Ends every session of your account, on every device, this one included."),
    everywhereButton,
  );
  everywhereButton.addEventListener("click", async () => {
    everywhereButton.disabled = true;
    try {
      await api.logoutEverywhere();
    } catch (error) {
      everywhereButton.disabled = false;
      toast(`Could not log out everywhere: ${errorMessage(error)}`, { error: true });
      return;
    }
    dialog.close();
    session.clear();
    window.dispatchEvent(new CustomEvent("session-expired", { detail: "You have logged out on every device." }));
  });

  // Delete account
  const deleteButton = el("button", { type: "button", class: "danger" }, "Delete account…");
  const danger = el(
    "div",
    { class: "settings-section" },
    el("h3", {}, "Delete account"),
    el("p", { class: "card-sub" }, "Removes your account with every expense and budget. This cannot be undone."),
    deleteButton,
  );
  deleteButton.addEventListener("click", () => {
    dialog.close();
    confirmDelete(anchor);
  });

  const heading = dialogHeading("Settings");
  const close = el("button", { type: "button", class: "icon-button dialog-close", "aria-label": "Close settings" }, el("span", { "aria-hidden": "true" }, "×"));
  close.addEventListener("click", () => dialog.close());
  const dialog = openDialog(
    anchor,
    { heading, className: "settings" },
    el("div", { class: "dialog-head" }, heading, close),
    profile,
    passwordForm,
    yourData,
    sessions,
    danger,
  );
  name.input.focus();
}

function confirmDelete(anchor) {
  const password = field("Password", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const { close } = formDialog(
    anchor,
    {
      title: "Delete your account?",
      submitLabel: "Delete account",
      danger: true,
      alert: true,
      focus: password.input,
      onSubmit: async () => {
        password.setError("");
        if (!password.input.value) {
          password.setError("Enter your password to confirm.");
          password.input.focus();
          return;
        }
        try {
          await api.deleteAccount({ password: password.input.value });
        } catch (error) {
          showSaveError({ password }, error, { at: { 403: ["password", "That password is not right."] } });
          return;
        }
        close();
        emit(anchor, ACCOUNT_DELETED);
      },
    },
    el("p", {}, "Every expense and budget goes with it, and it cannot be undone. Enter your password to confirm."),
    password.wrap,
  );
}
