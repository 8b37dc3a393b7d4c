// Log in or create an account, on one form: the same Email and Password serve both buttons.

import { ApiError, api, session } from "../api.js";
import { el, emit, field } from "../dom.js";

/** The log-in screen. Emits "signed-in" with {user} once a token is stored. */
export function authView({ message = "", invitation = null } = {}) {
  const email = field("Email", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = field(
    "Password",
    { type: "password", name: "password", autocomplete: "current-password", required: true },
    { hint: "New accounts need at least 8 characters." },
  );
  const keep = el("input", { type: "checkbox", id: "keep-signed-in", name: "keep" });
  const invited = invitation ? "You have been invited: enter your email and a password, then Create account." : "";
  const notice = el("p", { class: "notice", role: "status" }, message || invited);
  notice.hidden = !(message || invited);
  const formError = el("p", { class: "form-error", role: "alert" });
  formError.hidden = true;
  const loginButton = el("button", { type: "submit", class: "primary", value: "login" }, "Log in");
  const registerButton = el("button", { type: "submit", class: "secondary", value: "register" }, "Create account");

  const form = el(
    "form",
    { class: "auth-form card", novalidate: true, "aria-labelledby": "auth-title" },
    el("h1", { id: "auth-title" }, "Expense Tracker"),
    el("p", { class: "lede" }, "Log in, or create an account with the same two fields."),
    notice,
    email.wrap,
    password.wrap,
    el("div", { class: "check" }, keep, el("label", { for: "keep-signed-in" }, "Keep me signed in")),
    formError,
    el("div", { class: "auth-actions" }, loginButton, registerButton),
  );

  function clearErrors() {
    email.setError("");
    password.setError("");
    formError.hidden = true;
    notice.hidden = true;
  }

  function validate(registering) {
    let ok = true;
    if (!email.input.value.trim()) {
      email.setError("Enter your email address.");
      ok = false;
    } else if (!email.input.checkValidity()) {
      email.setError("Enter a valid email address, such as sam@example.com.");
      ok = false;
    }
    if (!password.input.value) {
      password.setError("Enter your password.");
      ok = false;
    } else if (registering && password.input.value.length < 8) {
      password.setError("Use at least 8 characters for your password.");
      ok = false;
    }
    return ok;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const registering = event.submitter?.value === "register";
    clearErrors();
    if (!validate(registering)) {
      form.querySelector("[aria-invalid=true]")?.focus();
      return;
    }
    const body = { email: email.input.value.trim(), password: password.input.value };
    if (registering && invitation) body.invitation = invitation;
    loginButton.disabled = registerButton.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const result = registering ? await api.register(body) : await api.login(body);
      session.save(result.access_token, keep.checked);
      emit(form, "signed-in", { user: result.user });
    } catch (error) {
      showError(error, registering);
    } finally {
      loginButton.disabled = registerButton.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });

  function showError(error, registering) {
    if (!(error instanceof ApiError)) throw error;
    const fields = error.fieldErrors;
    if (error.status === 409) email.setError(error.message);
    else if (error.status === 403 && registering) {
      formError.textContent = error.message; // registration closed, or a spent invitation
      formError.hidden = false;
    }
    else if (error.status === 401) password.setError(error.message || "Invalid email or password");
    else if (fields.email || fields.password) {
      email.setError(fields.email ?? "");
      password.setError(
        fields.password && registering ? `${fields.password}. Use at least 8 characters.` : fields.password ?? "",
      );
    } else {
      formError.textContent = error.message;
      formError.hidden = false;
    }
    (form.querySelector("[aria-invalid=true]") ?? (error.status === 401 ? password.input : null))?.focus();
  }

  const screen = el("main", { id: "main", class: "auth-screen" }, form);
  // "Forgot password?" only where the instance can send email.
  api.authOptions().then(
    (options) => {
      if (!options.password_reset_by_email) return;
      const forgot = el("button", { type: "button", class: "link-button" }, "Forgot password?");
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

/** Ask for a reset link by email. The answer is the same whether or not the account exists. */
function forgotForm(initialEmail, back) {
  const email = field("Email", { type: "email", name: "email", autocomplete: "username", required: true });
  email.input.value = initialEmail;
  const notice = el("p", { class: "notice", role: "status", hidden: true });
  const send = el("button", { type: "submit", class: "primary" }, "Send reset link");
  const backButton = el("button", { type: "button", class: "link-button" }, "Back to log in");
  backButton.addEventListener("click", back);
  const form = el(
    "form",
    { class: "auth-form card", novalidate: true, "aria-labelledby": "forgot-title" },
    el("h1", { id: "forgot-title" }, "Forgot password?"),
    el("p", { class: "lede" }, "We will email you a link to choose a new password."),
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
      email.setError("Enter a valid email address, such as sam@example.com.");
      email.input.focus();
      return;
    }
    send.disabled = true;
    try {
      await api.forgotPassword({ email: email.input.value.trim() });
      notice.textContent = `If an account uses ${email.input.value.trim()}, a reset link is on its way. It works once, for one hour.`;
      notice.hidden = false;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      email.setError(error.fieldErrors.email ?? error.message);
      email.input.focus();
    } finally {
      send.disabled = false;
    }
  });
  queueMicrotask(() => email.input.focus());
  return form;
}
