// The four expense fields, shared by the quick-add form and the edit dialog.

import { ApiError } from "../api.js";
import { field } from "../dom.js";
import { amountInput } from "../format.js";

export const CATEGORY_LIST_ID = "category-suggestions";

export function expenseFields() {
  const fields = {
    date: field("Date", { type: "date", name: "date", required: true, min: "1900-01-01", max: "2999-12-31" }),
    category: field("Category", {
      type: "text",
      name: "category",
      required: true,
      maxlength: 40,
      list: CATEGORY_LIST_ID,
      autocomplete: "off",
    }),
    amount: field("Amount", {
      type: "text",
      name: "amount",
      required: true,
      inputmode: "decimal",
      autocomplete: "off",
      placeholder: "0.00",
    }),
    description: field("Description", { type: "text", name: "description", maxlength: 500, autocomplete: "off" }),
  };
  fields.date.wrap.classList.add("field-date");
  fields.category.wrap.classList.add("field-category");
  fields.amount.wrap.classList.add("field-amount");
  fields.description.wrap.classList.add("field-description");
  return fields;
}

/** Check what the browser can check, so a person hears about every problem at once; on a problem,
 * focus its field and return false. */
export function checkExpense(fields) {
  clearErrors(fields);
  if (!fields.date.input.value) fields.date.setError("Choose a date.");
  if (!fields.category.input.value.trim()) fields.category.setError("Enter a category, such as Food.");
  const amount = amountInput(fields.amount.input.value);
  if (!amount) fields.amount.setError("Enter an amount, such as 12.50.");
  else if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(amount)) {
    fields.amount.setError("Enter a positive amount with at most two decimals, such as 12.50.");
  }
  const ok = !Object.values(fields).some((f) => f.input.getAttribute("aria-invalid") === "true");
  if (!ok) focusFirstError(fields);
  return ok;
}

export function expenseBody(fields) {
  return {
    date: fields.date.input.value,
    category: fields.category.input.value.trim(),
    amount: amountInput(fields.amount.input.value),
    description: fields.description.input.value,
  };
}

export function clearErrors(fields) {
  for (const f of Object.values(fields)) f.setError("");
}

/** Put an API error next to the field it is about; returns the message for anything left over. */
/** Show a failed save: each problem next to its field, anything else in the form's message. */
export function showSaveError(fields, formError, error) {
  const rest = showApiError(fields, error);
  if (rest) {
    formError.textContent = rest;
    formError.hidden = false;
  }
  focusFirstError(fields);
}

function showApiError(fields, error) {
  if (!(error instanceof ApiError)) throw error;
  const byField = error.fieldErrors;
  let placed = false;
  for (const [name, message] of Object.entries(byField)) {
    if (fields[name]) {
      fields[name].setError(message);
      placed = true;
    }
  }
  return placed ? "" : error.message;
}

function focusFirstError(fields) {
  Object.values(fields)
    .find((f) => f.input.getAttribute("aria-invalid") === "true")
    ?.input.focus();
}
