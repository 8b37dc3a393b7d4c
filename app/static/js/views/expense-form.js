// The four expense fields, shared by the quick-add form and the edit dialog.

import { amountField, categoryField, clearErrors, descriptionField, field, focusProblem, readAmount } from "../forms.js";

export function expenseFields() {
  const fields = {
    date: field("Date", { type: "date", name: "date", required: true, min: "1900-01-01", max: "2999-12-31" }),
    category: categoryField(),
    amount: amountField(),
    description: descriptionField(),
  };
  fields.date.wrap.classList.add("field-date");
  fields.category.wrap.classList.add("field-category");
  fields.amount.wrap.classList.add("field-amount");
  fields.description.wrap.classList.add("field-description");
  return fields;
}

/** Check what the browser can check, so a person hears about every problem at once; on a problem,
 * focus its field and return null, else the body for the API. */
export function checkExpense(fields) {
  clearErrors(fields);
  if (!fields.date.input.value) fields.date.setError("Choose a date.");
  if (!fields.category.input.value.trim()) fields.category.setError("Enter a category, such as Food.");
  const amount = readAmount(fields.amount);
  if (focusProblem(fields)) return null;
  return {
    date: fields.date.input.value,
    category: fields.category.input.value.trim(),
    amount,
    description: fields.description.input.value,
  };
}
