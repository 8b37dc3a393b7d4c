// The expense fields, shared by the quick-add form and the edit dialog: Date, Category, Amount,
// Currency (with Rate when needed), Description and, in a ledger with more than one member,
// Paid by and Split.

import { convert } from "../currency.js";
import { getCurrency } from "../format.js";
import {
  amountField,
  amountInput,
  categoryField,
  clearErrors,
  descriptionField,
  field,
  focusProblem,
  readAmount,
  showSaveError,
} from "../forms.js";
import { currencyFields } from "./currency-field.js";
import { splitFields } from "./ledger.js";
import { refundSwitch } from "./refund-switch.js";
import { t } from "../i18n.js";

// The Paid by/Split and Currency helpers of a set of fields, kept beside them so the fields stay a
// plain map that clearErrors, focusProblem and showSaveError walk.
const splits = new WeakMap();
const currencies = new WeakMap();

/**
 * `context` is {ledger, me}; without it, or with one member, there is no Paid by or Split.
 * `expense`, when editing, gives the Currency and a manual Rate (the caller fills the rest).
 */
export function expenseFields(context = null, expense = null) {
  const date = field(t("field.date"), { type: "date", name: "date", required: true, min: "1900-01-01", max: "2999-12-31" });
  const amount = amountField();
  const ledger = context?.ledger ?? { currency: getCurrency(), personal: true };
  const money = currencyFields(ledger, { amount, date, expense });
  const fields = {
    refund: refundSwitch(),
    date,
    category: categoryField(),
    amount,
    description: descriptionField(),
    ...money.fields,
  };
  currencies.set(fields, money);
  fields.refund.set(expense?.refund);
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

/** The "≈ €7.41 at ECB 2026-03-02" line of these fields, for the form to place. */
export function ratePreview(fields) {
  return currencies.get(fields).preview;
}

/** Put an expense's Paid by and Split into the fields, when they have them. */
export function fillSplit(fields, expense) {
  splits.get(fields)?.fill(expense);
}

/** Paid by back to me and Split to equal, when the fields have them. */
export function resetSplit(fields) {
  splits.get(fields)?.reset();
}

/** Check what the browser can check, so a person hears about every problem at once; on a problem,
 * focus its field and return null, else the body for the API. */
export function checkExpense(fields) {
  clearErrors(fields);
  if (!fields.date.input.value) fields.date.setError(t("expense.chooseDate"));
  if (!fields.category.input.value.trim()) fields.category.setError(t("expense.enterCategory"));
  const money = currencies.get(fields);
  const amount = readAmount(fields.amount, null, money.digits());
  const currency = money.read();
  const sharing = splits.has(fields) ? splits.get(fields).read() : {};
  if (focusProblem(fields) || sharing === null || currency === null) return null;
  return {
    date: fields.date.input.value,
    category: fields.category.input.value.trim(),
    amount,
    ...currency,
    description: fields.description.input.value,
    ...sharing,
    ...(fields.refund.isRefund() ? { refund: true } : {}),
  };
}

/**
 * What an edit changed, for the PATCH: the server looks the rate up again when date or currency
 * change and keeps it when only the amount does, so unchanged fields must not be sent. A manual
 * rate goes along when it changed, or when a new date or currency would otherwise lose it.
 */
export function changes(body, expense) {
  const places = String(body.amount).split(".")[1]?.length ?? 0;
  const sameAmount = convert(amountInput(String(expense.amount)), "1", places) === body.amount;
  const patch = {};
  for (const key of ["date", "category", "description", "currency"]) {
    if (body[key] !== expense[key]) patch[key] = body[key];
  }
  if (!sameAmount) patch.amount = body.amount;
  const moved = "date" in patch || "currency" in patch;
  if (body.rate !== undefined && (moved || body.rate !== expense.rate)) patch.rate = body.rate;
  if (body.paid_by !== undefined) patch.paid_by = body.paid_by;
  if (body.split !== undefined) patch.split = body.split;
  if (Boolean(body.refund) !== Boolean(expense.refund)) patch.refund = Boolean(body.refund);
  return patch;
}

/**
 * A failed save of these fields (an expense's, or a recurring rule's). A problem inside the split (["body", "split", 0, "amount"]) is
 * the Split's, not the Amount field's that its last name would pick.
 */
export function showExpenseError(fields, error, formError) {
  const detail = Array.isArray(error?.detail) ? error.detail : [];
  const inSplit = fields.split ? detail.find((item) => Array.isArray(item?.loc) && item.loc[1] === "split") : null;
  // The server may need a rate the page did not ask for (a rate missing since the page looked).
  if (error?.fieldErrors?.rate && fields.rate) fields.rate.wrap.hidden = false;
  if (!inSplit) {
    showSaveError(fields, error, { formError });
    return;
  }
  const message = String(inSplit.msg ?? "").replace(/^Value error, /, "");
  fields.split.setError(message.charAt(0).toUpperCase() + message.slice(1));
  fields.split.input.focus();
}
