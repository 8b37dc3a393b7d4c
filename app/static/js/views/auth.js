// Log in or create an account, on one form: the same Email and Password serve both buttons.

import { api, session } from "../api.js";
import { formDialog } from "../dialog.js";
import { el, emit } from "../dom.js";
import { clearErrors, field, focusProblem, formErrorLine, say, showSaveError } from "../forms.js";
import { SIGNED_IN } from "../events.js";
import { t } from "../i18n.js";

function emailField() {
  return field(t("auth.email"), { type: "email", name: "email", autocomplete: "username", required: true });
}

/** The log-in screen. Emits "signed-in" with {user} once a token is stored. */
export function authView({ message = "", invitation = null } = {}) {
  const email = emailField();
  const password = field(
    t("auth.password"),
    { type: "password", name: "password", autocomplete: "current-password", required: true },
    { hint: t("auth.passwordHint") },
  );
  const keep = el("input", { type: "checkbox", id: "keep-signed-in", name: "keep" });
  const invited = invitation ? t("auth.invited") : "";
  const notice = el("p", { class: "notice", role: "status" }, message || invited);
  notice.hidden = !(message || invited);
  const formError = formErrorLine();
  const loginButton = el("button", { type: "submit", class: "primary", value: "login" }, t("auth.logIn"));
  const registerButton = el("button", { type: "submit", class: "secondary", value: "register" }, t("auth.createAccount"));

  const form = el(
    "form",
    { class: "auth-form card", novalidate: true, "aria-labelledby": "auth-title" },
    el("h1", { id: "auth-title" }, t("app.name")),
    el("p", { class: "lede" }, t("auth.lede")),
    notice,
    email.wrap,
    password.wrap,
    el("div", { class: "check" }, keep, el("label", { for: "keep-signed-in" }, t("auth.keep"))),
    formError,
    el("div", { class: "auth-actions" }, loginButton, registerButton),
  );

  const fields = { email, password };

  function validate(registering) {
    if (!email.input.value.trim()) email.setError(t("auth.enterEmail"));
    else if (!email.input.checkValidity()) email.setError(t("auth.validEmail"));
    if (!password.input.value) password.setError(t("auth.enterPassword"));
    else if (registering && password.input.value.length < 8) {
      password.setError(t("auth.passwordShort"));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const registering = event.submitter?.value === "register";
    clearErrors(fields);
    say(formError, "");
    notice.hidden = true;
    validate(registering);
    if (focusProblem(fields)) return;
    const body = { email: email.input.value.trim(), password: password.input.value, remember: keep.checked };
    if (registering && invitation) body.invitation = invitation;
    loginButton.disabled = registerButton.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const result = registering ? await api.register(body) : await api.login(body);
      session.save(result.access_token, keep.checked);
      emit(form, SIGNED_IN, { user: result.user, registered: registering });
    } catch (error) {
      showSaveError(fields, error, { formError, at: { 409: "email", 401: "password" } });
      const tooShort = registering && error.fieldErrors.password;
      if (tooShort) password.setError(t("auth.passwordTooShort", { problem: tooShort }));
    } finally {
      loginButton.disabled = registerButton.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });

  const screen = el("main", { id: "main", class: "auth-screen" }, form);
  // "Forgot password?" only where the instance can send email.
  api.authOptions().then(
    (options) => {
      if (!options.password_reset_by_email) return;
      const forgot = el("button", { type: "button", class: "link-button" }, t("auth.forgot"));
      forgot.addEventListener("click", () => {
        const view = forgotForm(email.input.value.trim(), () => {
          view.replaceWith(form);
          email.input.focus();
        });
        form.replaceWith(view);
      });
      form.append(forgot);
    },
    () => {}, // without the options the form simply offers no email reset
  );
  queueMicrotask(() => email.input.focus());
  return screen;
}

/**
 * The session ended under an open dashboard: log in again in a dialog over it, so that nothing typed
 * there is lost. `done(user)` runs once logged in (`persist`: keep the new token as the old one was
 * kept); Log out, or closing the dialog, runs `gaveUp()`.
 */
export function openRelogin(anchor, { email, persist, done, gaveUp }) {
  const fields = {
    email: emailField(),
    password: field(t("auth.password"), { type: "password", name: "password", autocomplete: "current-password", required: true }),
  };
  fields.email.input.value = email;
  const formError = formErrorLine();
  let signedIn = false;
  const { dialog, close } = formDialog(
    anchor,
    {
      title: t("auth.logInAgain"),
      submitLabel: t("auth.logIn"),
      cancelLabel: t("auth.logOut"),
      focus: fields.password.input,
      onSubmit: async () => {
        clearErrors(fields);
        say(formError, "");
        if (!fields.email.input.value.trim()) fields.email.setError(t("auth.enterEmail"));
        if (!fields.password.input.value) fields.password.setError(t("auth.enterPassword"));
        if (focusProblem(fields)) return;
        try {
          const result = await api.login({
            email: fields.email.input.value.trim(),
            password: fields.password.input.value,
            remember: persist,
          });
          session.save(result.access_token, persist);
          signedIn = true;
          close();
          done(result.user);
        } catch (error) {
          showSaveError(fields, error, { formError, at: { 401: "password" } });
        }
      },
    },
    el("p", { class: "notice" }, t("auth.reloginText")),
    fields.email.wrap,
    fields.password.wrap,
    formError,
  );
  dialog.addEventListener("close", () => {
    if (!signedIn) gaveUp();
  });
}

/** Ask for a reset link by email. The answer is the same whether or not the account exists. */
function forgotForm(initialEmail, back) {
  const email = emailField();
  email.input.value = initialEmail;
  const notice = el("p", { class: "notice", role: "status", hidden: true });
  const send = el("button", { type: "submit", class: "primary" }, t("auth.sendReset"));
  const backButton = el("button", { type: "button", class: "link-button" }, t("auth.backToLogIn"));
  backButton.addEventListener("click", back);
  const form = el(
    "form",
    { class: "auth-form card", novalidate: true, "aria-labelledby": "forgot-title" },
    el("h1", { id: "forgot-title" }, t("auth.forgot")),
    el("p", { class: "lede" }, t("auth.forgotLede")),
    notice,
    email.wrap,
    send,
    backButton,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    email.setError("");
    notice.hidden = true;
    if (!email.input.value.trim() || !email.input.checkValidity()) {
      email.setError(t("auth.validEmail"));
      email.input.focus();
      return;
    }
    send.disabled = true;
    try {
      await api.forgotPassword({ email: email.input.value.trim() });
      notice.textContent = t("auth.resetSent", { email: email.input.value.trim() });
      notice.hidden = false;
    } catch (error) {
      showSaveError({ email }, error);
    } finally {
      send.disabled = false;
    }
  });
  queueMicrotask(() => email.input.focus());
  return form;
}
