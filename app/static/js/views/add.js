// Quick add: Date (today), Category, Amount, Description, and Add expense. Enter submits; after a
// success the amount and description clear and focus returns to Amount for the next entry.

import { api } from "../api.js";
import { el, emit } from "../dom.js";
import { today } from "../format.js";
import { checkExpense, expenseBody, expenseFields, showSaveError } from "./expense-form.js";

export function addView() {
  const fields = expenseFields();
  fields.date.input.value = today();
  const formError = el("p", { class: "form-error", role: "alert", hidden: true });
  const button = el("button", { type: "submit", class: "primary" }, "Add expense");
  const form = el(
    "form",
    { class: "add-form", novalidate: true, "aria-labelledby": "add-title" },
    fields.date.wrap,
    fields.category.wrap,
    fields.amount.wrap,
    fields.description.wrap,
    el("div", { class: "add-submit" }, button),
    formError,
  );
  const root = el(
    "section",
    { class: "card add-card", "aria-labelledby": "add-title" },
    el("h2", { id: "add-title" }, "Add an expense"),
    form,
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.hidden = true;
    if (!checkExpense(fields)) return;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const expense = await api.createExpense(expenseBody(fields));
      fields.amount.input.value = "";
      fields.description.input.value = "";
      emit(root, "expenses-changed", { action: "added", expense });
      fields.amount.input.focus();
    } catch (error) {
      showSaveError(fields, formError, error);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });

  return { root, focus: () => fields.amount.input.focus() };
}
