// The expense fields, shared by the quick-add form and the edit dialog: Date, Category, Amount,
// Description and, in a ledger with more than one member, Paid by and Split.

import {
  amountField,
  categoryField,
  clearErrors,
  descriptionField,
  field,
  focusProblem,
  readAmount,
  showSaveError,
} from "../forms.js";
import { splitFields } from "./ledger.js";

// The Paid by/Split helper of a set of fields, kept beside them so the fields stay a plain map
// that clearErrors, focusProblem and showSaveError walk.
const splits = new WeakMap();

/** `context` is {ledger, me}; without it, or with one member, there is no Paid by or Split. */
export function expenseFields(context = null) {
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
  if (context && context.ledger.members.length > 1) {
    const split = splitFields(context.ledger, context.me);
    Object.assign(fields, split.fields);
    fields.paid_by.wrap.classList.add("field-paid-by");
    fields.split.wrap.classList.add("field-split");
    splits.set(fields, split);
  }
  return fields;
}

/** Put an expense's Paid by and Split into the fields, when they have them. */
export function fillSplit(fields, expense) {
  splits.get(fields)?.fill(expense);
}

/** Check what the browser can check, so a person hears about every problem at once; on a problem,
 * focus its field and return null, else the body for the API. */
export function checkExpense(fields) {
  clearErrors(fields);
  if (!fields.date.input.value) fields.date.setError("Choose a date.");
  if (!fields.category.input.value.trim()) fields.category.setError("Enter a category, such as Food.");
  const amount = readAmount(fields.amount);
  const sharing = splits.has(fields) ? splits.get(fields).read() : {};
  if (focusProblem(fields) || sharing === null) return null;
  return {
    date: fields.date.input.value,
    category: fields.category.input.value.trim(),
    amount,
    description: fields.description.input.value,
    ...sharing,
  };
}

/**
 * A failed save of these fields. A problem inside the split (["body", "split", 0, "amount"]) is
 * the Split's, not the Amount field's that its last name would pick.
 */
export function showExpenseError(fields, error, formError) {
  const detail = Array.isArray(error?.detail) ? error.detail : [];
  const inSplit = fields.split ? detail.find((item) => Array.isArray(item?.loc) && item.loc[1] === "split") : null;
  if (!inSplit) {
    showSaveError(fields, error, { formError });
    return;
  }
  const message = String(inSplit.msg ?? "").replace(/^Value error, /, "");
  fields.split.setError(message.charAt(0).toUpperCase() + message.slice(1));
  fields.split.input.focus();
}
