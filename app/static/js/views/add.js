// Quick add: Date (today), Category, Amount, Currency, Description, and Add expense. Enter submits; after a
// success the amount and description clear and focus returns to Amount for the next entry.

import { rememberCurrencies } from "../currency.js";
import { today } from "../dates.js";
import { el, emit } from "../dom.js";
import { formErrorLine, say } from "../forms.js";
import { checkExpense, expenseFields, ratePreview, resetSplit, showExpenseError } from "./expense-form.js";
import { describeSharing } from "./ledger.js";
import { ADD_CLOSE, EXPENSES_CHANGED } from "../events.js";
import { saveExpense } from "../queue.js";
import { t } from "../i18n.js";

/** `context` is {ledger, me}: a shared ledger adds Paid by and Split. */
export function addView(context = null) {
  const fields = expenseFields(context);
  fields.date.input.value = today();
  const formError = formErrorLine();
  const button = el("button", { type: "submit", class: "primary" }, t("add.submit"));
  // After an add that someone else paid or that was not split equally: what was saved, and that the
  // next one starts again from me and equal.
  const status = el("p", { class: "add-status", role: "status" });
  const form = el(
    "form",
    { class: "add-form", novalidate: true, "aria-labelledby": "add-title" },
    fields.refund.wrap,
    fields.date.wrap,
    fields.category.wrap,
    fields.amount.wrap,
    // After Description, so Amount, Tab, Description stays the quick way to add in one's own currency.
    fields.description.wrap,
    fields.currency.wrap,
    ratePreview(fields),
    fields.rate.wrap,
    fields.paid_by?.wrap,
    fields.split?.wrap,
    el("div", { class: "add-submit" }, button),
    formError,
    status,
  );
  // Close is the phone's: there this card is a sheet of its own (app.css), left with Close or Back.
  const close = el("button", { type: "button", class: "ghost sheet-close" }, t("common.close"));
  const root = el(
    "section",
    { class: "card add-card write", "aria-labelledby": "add-title" },
    el("div", { class: "sheet-head" }, el("h2", { id: "add-title" }, t("add.title")), close),
    form,
  );
  close.addEventListener("click", () => emit(root, ADD_CLOSE));
  // Escape leaves the sheet as Close does (on the desktop, where the card is no sheet, main.js ignores it).
  root.addEventListener("keydown", (event) => event.key === "Escape" && !event.defaultPrevented && emit(root, ADD_CLOSE));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(formError, "");
    status.textContent = "";
    const body = checkExpense(fields);
    if (!body) return;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const { expense, queued } = await saveExpense({ body, user: context?.me.id });
      if (context && expense) rememberCurrencies(context.ledger, [expense.currency]);
      fields.amount.input.value = "";
      fields.description.input.value = "";
      fields.amount.input.dispatchEvent(new Event("input")); // the preview forgets the old amount
      if (queued) status.textContent = t("offline.keptHere");
      else if (fields.paid_by && (body.paid_by !== context.me.id || body.split)) {
        status.textContent = t("add.sharedStatus", { sharing: describeSharing(context.ledger, expense) });
      }
      resetSplit(fields);
      fields.refund.set(false); // a refund is the exception: the next entry starts as an expense
      if (expense) emit(root, EXPENSES_CHANGED, { action: "added", expense });
      fields.amount.input.focus();
    } catch (error) {
      showExpenseError(fields, error, formError);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });

  return { root, focus: () => fields.amount.input.focus() };
}
