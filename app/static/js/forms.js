// What every form shares: labelled fields with an error slot, the one amount rule, and showing a
// failed request next to the fields it is about.

import { ApiError } from "./api.js";
import { convert, digitsOf } from "./currency.js";
import { el, uid } from "./dom.js";
import { getCurrency } from "./format.js";
import { currentLocale, t } from "./i18n.js";

/** The <datalist> of the person's categories that every category field suggests from. */
export const CATEGORY_LIST_ID = "category-suggestions";

/**
 * A labelled field with a slot for its error message, wired for screen readers.
 * Returns {wrap, input, error, setError(msg)}.
 */
export function field(label, inputProps = {}, { hint, tag = "input" } = {}) {
  const id = uid("field");
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const input = el(tag, { id, name: inputProps.name, ...inputProps });
  const describedBy = [hintId, errorId].filter(Boolean).join(" ");
  input.setAttribute("aria-describedby", describedBy);
  const error = el("p", { class: "field-error", id: errorId, hidden: true });
  const wrap = el(
    "div",
    { class: "field" },
    el("label", { for: id }, label),
    input,
    hint ? el("p", { class: "field-hint", id: hintId }, hint) : null,
    error,
  );
  const setError = errorSetter(input, error);
  return { wrap, input, error, setError };
}

const STARTERS_KEY = "expense-tracker.starter-categories";

/** The starter categories chosen at first run (views/welcome.js), offered as suggestions until used. */
function starterCategories() {
  try {
    const stored = JSON.parse(localStorage.getItem(STARTERS_KEY) ?? "[]");
    return Array.isArray(stored) ? stored.filter((c) => typeof c === "string" && c.length <= 40) : [];
  } catch {
    return [];
  }
}

/** Keep the starter categories chosen (views/welcome.js). */
export function rememberStarters(names) {
  try {
    localStorage.setItem(STARTERS_KEY, JSON.stringify(names));
  } catch {
    /* private mode: no starters remembered */
  }
}

/** The ledger's categories, then the starters it does not have yet: the suggestions' names. */
export function withStarters(categories) {
  const names = categories.map((c) => c.category);
  const have = new Set(names.map((n) => n.toLowerCase()));
  return [...names, ...starterCategories().filter((s) => !have.has(s.toLowerCase()))];
}

/** A category field that suggests the person's categories. */
export function categoryField(label = t("field.category")) {
  return field(label, {
    type: "text",
    name: "category",
    required: true,
    maxlength: 40,
    list: CATEGORY_LIST_ID,
    autocomplete: "off",
  });
}

/** An amount field: text, not type=number, so "12,50" and "12.50" both reach readAmount. */
export function amountField(label = t("field.amount"), { hint } = {}) {
  return field(
    label,
    {
      type: "text",
      name: "amount",
      required: true,
      inputmode: "decimal",
      enterkeyhint: "done", // Enter saves the form: the phone's key says so
      autocomplete: "off",
      placeholder: amountPlaceholder(),
    },
    { hint },
  );
}

export function descriptionField() {
  return field(t("field.description"), { type: "text", name: "description", maxlength: 500, autocomplete: "off" });
}

/** "0.00" for the ledger's currency, "0" for yen, "0.000" for dinar: the amount's example shape ("0,00" in German). */
export function amountPlaceholder(digits = digitsOf(getCurrency())) {
  return digits ? `0${decimalSeparator()}${"0".repeat(digits)}` : "0";
}

const separators = new Map(); // locale -> its decimal separator: a formatter each time is slow

/** The locale's decimal separator: "." in English, "," in German, French and Spanish. */
function decimalSeparator() {
  const locale = currentLocale();
  if (!separators.has(locale)) {
    const parts = new Intl.NumberFormat(locale).formatToParts(1.5);
    separators.set(locale, parts.find((part) => part.type === "decimal")?.value ?? ".");
  }
  return separators.get(locale);
}

/**
 * Amount as typed by a person into the string the API accepts: "12,5" -> "12.5" anywhere; with both
 * marks, the locale's decimal one is the decimal point and the other groups thousands ("1.234,50" in
 * German, "1,234.50" in English); spaces (French groups) go.
 */
export function amountInput(text) {
  const trimmed = String(text ?? "").trim().replace(/\s+/g, "");
  if (trimmed.includes(",") && trimmed.includes(".")) {
    const decimal = decimalSeparator() === "," ? "," : ".";
    const group = decimal === "," ? "." : ",";
    return trimmed.split(group).join("").replace(decimal, ".");
  }
  return trimmed.includes(",") ? trimmed.replace(",", ".") : trimmed;
}

/** An API amount as the API takes it back, exactly, with the currency's decimals (12.5 -> "12.50", 1200 -> "1200"). */
export function amountValue(amount, digits = digitsOf(getCurrency())) {
  return convert(String(amount), "1", digits) ?? Number(amount).toFixed(digits);
}

/** An API amount for an input, as amountValue in the locale's decimal mark ("12,50" in German). */
export function amountText(amount, digits = digitsOf(getCurrency())) {
  return amountValue(amount, digits).replace(".", decimalSeparator());
}

/**
 * The amount field's value for the API, or null after putting the problem next to the field.
 * `digits` is the currency's minor unit (the ledger's unless told): no decimals for yen.
 */
export function readAmount(amount, example = null, digits = digitsOf(getCurrency())) {
  const shape = digits ? new RegExp(`^[0-9]+(\\.[0-9]{1,${digits}})?$`) : /^[0-9]+$/;
  const sample = example ?? (digits ? `12${decimalSeparator()}${"5".padEnd(digits, "0")}` : "1200");
  const value = amountInput(amount.input.value);
  const valid = shape.test(value);
  if (!value) amount.setError(t("amount.enter", { sample }));
  else if (!valid && digits === 0) amount.setError(t("amount.whole", { sample }));
  else if (!valid) amount.setError(t("amount.decimals", { count: digits, places: placesWord(digits), sample }));
  return valid ? value : null;
}

/** "two" for 2 (the most a currency has is 4): "at most two decimals" reads better than "2". */
function placesWord(digits) {
  return { 1: t("amount.places1"), 2: t("amount.places2"), 3: t("amount.places3"), 4: t("amount.places4") }[digits] ?? String(digits);
}

export function clearErrors(fields) {
  for (const f of Object.values(fields)) f.setError("");
}

/** Focus the first field with a problem, so it is heard; true when there was one. */
export function focusProblem(fields) {
  const first = Object.values(fields).find((f) => f.input.getAttribute("aria-invalid") === "true");
  first?.input.focus();
  return Boolean(first);
}

/** The message of a failed API call; anything else is a bug and is thrown on. */
export function errorMessage(error) {
  if (!(error instanceof ApiError)) throw error;
  return error.message;
}

/** A form's own error line, for what belongs to no one field. */
export function formErrorLine() {
  return el("p", { class: "form-error", role: "alert", hidden: true });
}

/**
 * Put `message` on a form's error line, or clear it. With `retry`, a failure the server may not have
 * seen to its end (no answer, a 5xx) gets a Retry button that sends the same again (and so, for a
 * create, the same Idempotency-Key: see api.js).
 */
export function say(line, message, { error = null, retry = null } = {}) {
  line.textContent = message ?? "";
  line.hidden = !message;
  if (message && retry && mayRetry(error)) {
    line.append(" ", el("button", { type: "button", class: "small retry", onclick: retry }, t("common.retry")));
  }
}

/** True for a failure a second try may cure: no answer from the server, or a server error. */
export function mayRetry(error) {
  return error instanceof ApiError && (error.status === 0 || error.status >= 500);
}

/**
 * Show a failed save: a 422's problems next to their fields, a status pinned to a field
 * (`at: {409: "category"}`, or `{403: ["current", "That is not ..."]}` to say it in other words)
 * next to that one, anything else on `formError` or, in a form without one, next to the first
 * field. Focuses the first field with a problem.
 */
export function showSaveError(fields, error, { formError = null, at = {} } = {}) {
  const message = errorMessage(error);
  const problems = { ...error.fieldErrors };
  const pinned = at[error.status];
  if (Array.isArray(pinned)) problems[pinned[0]] = pinned[1];
  else if (pinned) problems[pinned] = message;
  const placed = Object.entries(problems).filter(([name]) => fields[name]);
  for (const [name, problem] of placed) fields[name].setError(problem);
  // The Retry of a form's error line submits its form again, unchanged.
  const form = formError?.closest("form");
  if (!placed.length && formError) say(formError, message, { error, retry: form ? () => form.requestSubmit() : null });
  else if (!placed.length) Object.values(fields)[0].setError(message);
  focusProblem(fields);
}

/** A field's setError: show `message` in its error line and mark `input` invalid; none clears both. */
export function errorSetter(input, error) {
  return (message) => {
    error.textContent = message ?? "";
    error.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
}
