// Settings, in a dialog built when opened and removed when closed: display name, currency, language,
// Change password, Log out everywhere, Delete account.
// Emits "user-changed" {user} and "account-deleted".

import { api, session } from "../api.js";
import { currencyOptions } from "../currency.js";
import { dialogHeading, formDialog, openDialog } from "../dialog.js";
import { download, el, emit, uid } from "../dom.js";
import { clearErrors, errorMessage, field, focusProblem, showSaveError } from "../forms.js";
import { toast } from "./toast.js";
import { ACCOUNT_DELETED, USER_CHANGED } from "../events.js";
import { LANGUAGES, t } from "../i18n.js";

export function openSettings(anchor, user) {
  // Profile
  const name = field(t("settings.displayName"), { type: "text", name: "display_name", maxlength: 60, autocomplete: "nickname" });
  name.input.value = user.display_name ?? "";
  const currency = field(t("field.currency"), { name: "currency" }, { tag: "select" });
  currency.input.append(...currencyOptions(user.currency));
  const language = field(t("settings.language"), { name: "language" }, { tag: "select" });
  const languages = [["", t("settings.languageAutomatic")], ...Object.entries(LANGUAGES)];
  language.input.append(...languages.map(([code, label]) => el("option", { value: code, lang: code || null, selected: code === (user.language ?? "") }, label)));
  const profileButton = el("button", { type: "submit", class: "primary" }, t("settings.save"));
  const profile = el(
    "form",
    { class: "settings-section", novalidate: true, "aria-label": t("settings.profile") },
    el("p", { class: "card-sub" }, t("settings.signedInAs", { email: user.email })),
    name.wrap,
    currency.wrap,
    language.wrap,
    el("div", { class: "dialog-actions" }, profileButton),
  );
  profile.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = { display_name: name, currency, language };
    clearErrors(fields);
    profileButton.disabled = true;
    try {
      const chosen = language.input.value || null; // "": Automatic
      const updated = await api.updateMe({ display_name: name.input.value.trim(), currency: currency.input.value, language: chosen });
      emit(anchor, USER_CHANGED, { user: updated });
      toast(t("settings.saved"));
      dialog.close();
    } catch (error) {
      showSaveError(fields, error, { at: { 409: "currency" } });
    } finally {
      profileButton.disabled = false;
    }
  });

  // Password
  const current = field(t("settings.currentPassword"), { type: "password", name: "current_password", autocomplete: "current-password" });
  const next = field(
    t("auth.newPassword"),
    { type: "password", name: "new_password", autocomplete: "new-password", minlength: 8 },
    { hint: t("settings.newPasswordHint") },
  );
  const passwordButton = el("button", { type: "submit", class: "secondary" }, t("settings.changePassword"));
  const passwordTitle = el("h3", { id: uid("settings") }, t("auth.password"));
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
    if (!current.input.value) current.setError(t("settings.enterCurrent"));
    if (next.input.value.length < 8) next.setError(t("settings.newPasswordShort"));
    if (focusProblem(fields)) return;
    passwordButton.disabled = true;
    const newPassword = next.input.value;
    try {
      await api.changePassword({ current_password: current.input.value, new_password: newPassword });
    } catch (error) {
      passwordButton.disabled = false;
      showSaveError(fields, error, { at: { 403: ["current_password", t("settings.notCurrent")] } });
      return;
    }
    // The old token stopped working: sign in again with the new password to stay logged in here.
    try {
      const result = await api.login({ email: user.email, password: newPassword, remember: session.persistent });
      session.save(result.access_token, session.persistent);
      toast(t("settings.passwordChanged"));
      dialog.close();
    } catch {
      dialog.close();
      session.clear();
      window.dispatchEvent(new CustomEvent("session-expired", { detail: t("settings.passwordChangedLogIn") }));
    }
  });

  // Your data
  const exportButton = el("button", { type: "button", class: "secondary" }, t("settings.download"));
  const yourData = el(
    "div",
    { class: "settings-section" },
    el("h3", {}, t("settings.yourData")),
    el("p", { class: "card-sub" }, t("settings.yourDataText")),
    exportButton,
  );
  exportButton.addEventListener("click", async () => {
    exportButton.disabled = true;
    try {
      const { blob, filename } = await api.exportAccount();
      download(blob, filename);
    } catch (error) {
      toast(t("settings.downloadFailed", { message: errorMessage(error) }), { error: true });
    } finally {
      exportButton.disabled = false;
    }
  });

  // Sessions
  const everywhereButton = el("button", { type: "button", class: "secondary" }, t("settings.logOutEverywhere"));
  const sessions = el(
    "div",
    { class: "settings-section" },
    el("h3", {}, t("settings.sessions")),
    el("p", { class: "card-sub" }, t("settings.sessionsText")),
    everywhereButton,
  );
  everywhereButton.addEventListener("click", async () => {
    everywhereButton.disabled = true;
    try {
      await api.logoutEverywhere();
    } catch (error) {
      everywhereButton.disabled = false;
      toast(t("settings.logOutEverywhereFailed", { message: errorMessage(error) }), { error: true });
      return;
    }
    dialog.close();
    session.clear();
    window.dispatchEvent(new CustomEvent("session-expired", { detail: t("settings.loggedOutEverywhere") }));
  });

  // Delete account
  const deleteButton = el("button", { type: "button", class: "danger" }, t("settings.deleteAccountEllipsis"));
  const danger = el(
    "div",
    { class: "settings-section" },
    el("h3", {}, t("settings.deleteAccount")),
    el("p", { class: "card-sub" }, t("settings.deleteText")),
    deleteButton,
  );
  deleteButton.addEventListener("click", () => {
    dialog.close();
    confirmDelete(anchor);
  });

  const heading = dialogHeading(t("settings.title"));
  const close = el("button", { type: "button", class: "icon-button dialog-close", "aria-label": t("settings.close") }, el("span", { "aria-hidden": "true" }, "×"));
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
  const password = field(t("auth.password"), { type: "password", name: "password", autocomplete: "current-password", required: true });
  const { close } = formDialog(
    anchor,
    {
      title: t("settings.deleteTitle"),
      submitLabel: t("settings.deleteAccount"),
      danger: true,
      alert: true,
      focus: password.input,
      onSubmit: async () => {
        password.setError("");
        if (!password.input.value) {
          password.setError(t("settings.enterPasswordConfirm"));
          password.input.focus();
          return;
        }
        try {
          await api.deleteAccount({ password: password.input.value });
        } catch (error) {
          showSaveError({ password }, error, { at: { 403: ["password", t("settings.passwordNotRight")] } });
          return;
        }
        close();
        emit(anchor, ACCOUNT_DELETED);
      },
    },
    el("p", {}, t("settings.deleteConfirmText")),
    password.wrap,
  );
}
