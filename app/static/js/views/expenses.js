// The period's expenses: search, newest first, 50 at a time, Edit in a dialog (on the phone a tap on
// the row; Delete is in the dialog too), Delete with Undo, and Export CSV. The edit form's code and
// the Categories dialog's are loaded when first used (the Add screen's brings the form sooner): the
// list is shown without them.

import { api } from "../api.js";
import { formDialog } from "../dialog.js";
import { el, emit, uid } from "../dom.js";
import { digitsOf, rememberCurrencies } from "../currency.js";
import { amountText, amountValue, errorMessage, formErrorLine, say } from "../forms.js";
import { categoryLabel, formatDate, formatRowDate, getCurrency, money, needsReview, NEEDS_REVIEW } from "../format.js";
import { periodNoun } from "../period.js";
import { describeSharing } from "./ledger.js";
import { loadOrSay, toast } from "./toast.js";
import { pendingView } from "./pending.js";
import { saveExpense } from "../queue.js";
import { EXPENSES_CHANGED, EXPORT, FILTER_CATEGORY, IMPORT, LOAD_MORE, SEARCH } from "../events.js";
import { t } from "../i18n.js";

/**
 * Emits "search" {q, category, allTime}, "load-more", "export", "import" and "expenses-changed" {action}.
 * Call show(page, {period, q, category, allTime}) for a first page, append(page) for the next, and
 * knowCategories(list) with the ledger's categories (it offers the "Needs review" filter).
 */
export function expensesView(ledgerContext = null) {
  let shown = 0;
  let total = 0;
  let nextCursor = null; // the API's keyset cursor for the next page, when it offers one
  let context = null;
  // What the list is narrowed to besides the period: one category, and the search across all time.
  let category = null;
  let allTime = false;

  const search = el("input", {
    type: "search",
    id: "expense-search",
    name: "q",
    maxlength: 200,
    placeholder: t("expenses.searchPlaceholder"),
    autocomplete: "off",
  });
  const exportButton = el("button", { type: "button", class: "secondary" }, t("expenses.export"));
  const importButton = el("button", { type: "button", class: "secondary write" }, t("expenses.import"));
  const categoriesButton = el("button", { type: "button", class: "secondary" }, t("categories.title"));
  const reviewButton = el("button", { type: "button", class: "small", "aria-pressed": "false", hidden: true }, t("categories.needsReview"));
  const allTimeButton = el("button", { type: "button", class: "small", hidden: true }, t("expenses.searchAllTime"));
  const count = el("p", { class: "list-count", "aria-live": "polite" });
  const list = el("ul", { class: "expense-list", "aria-labelledby": "expenses-title" });
  const empty = el("p", { class: "empty", hidden: true });
  const error = formErrorLine();
  const more = el("button", { type: "button", class: "secondary load-more", hidden: true }, t("expenses.loadMore"));

  const root = el(
    "section",
    { class: "card list-card", "aria-labelledby": "expenses-title" },
    el(
      "div",
      { class: "card-head" },
      el("h2", { id: "expenses-title" }, t("screen.expenses")),
      el("div", { class: "card-actions" }, categoriesButton, importButton, exportButton),
    ),
    el(
      "div",
      { class: "search", role: "search" },
      el("label", { for: "expense-search", class: "visually-hidden" }, t("expenses.searchLabel")),
      search,
      reviewButton,
    ),
    count,
    error,
    empty,
    allTimeButton,
    ledgerContext ? pendingView(ledgerContext).root : null, // adds and edits not sent yet (js/queue.js)
    list,
    more,
  );

  let searchTimer = null;
  const emitSearch = () => {
    const q = search.value.trim();
    if (!q && !category) allTime = false; // nothing left to look for across all time
    emit(root, SEARCH, { q, category, allTime });
  };
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(emitSearch, 250);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      clearTimeout(searchTimer);
      emitSearch();
    }
  });
  reviewButton.addEventListener("click", () => filterCategory(category ? null : NEEDS_REVIEW));
  root.addEventListener(FILTER_CATEGORY, (event) => filterCategory(event.detail.category));
  categoriesButton.addEventListener("click", async () => {
    const dialog = await dialogCode(import("./categories.js"));
    dialog?.openCategories(root, { canWrite: ledgerContext?.ledger.role !== "viewer" });
  });
  // The period has no match: look through every expense instead, until the period changes.
  allTimeButton.addEventListener("click", () => {
    allTime = !allTime;
    emitSearch();
  });

  function filterCategory(value) {
    category = value;
    reviewButton.hidden = false;
    reviewButton.textContent = category && !needsReview(category) ? t("expenses.onlyCategory", { category }) : t("categories.needsReview");
    reviewButton.setAttribute("aria-pressed", String(Boolean(category)));
    emitSearch();
  }
  more.addEventListener("click", () => {
    more.disabled = true;
    emit(root, LOAD_MORE, { offset: shown, cursor: nextCursor });
  });
  exportButton.addEventListener("click", () => emit(root, EXPORT));
  importButton.addEventListener("click", () => emit(root, IMPORT));

  function loading(value) {
    list.setAttribute("aria-busy", String(value));
    if (value && !shown) {
      count.textContent = t("expenses.loading");
    }
  }

  function show(page, ctx) {
    context = ctx;
    allTime = Boolean(ctx.allTime);
    // A reload after a change keeps the keyboard where it was: the same button of the same row.
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const keep = focused && { id: focused.closest("li")?.dataset.id, label: focused.textContent };
    list.replaceChildren();
    shown = 0;
    error.hidden = true;
    append(page);
    if (keep) focusRow(keep.id, keep.label);
  }

  /** Focus a row's button (Edit, Delete); the search field when the row is gone. */
  function focusRow(id, label = t("common.edit")) {
    const row = id ? list.querySelector(`li[data-id="${CSS.escape(id)}"]`) : null;
    const button = [...(row?.querySelectorAll("button") ?? [])].find((b) => b.textContent === label);
    (button ?? search).focus();
  }

  function append(page) {
    total = page.total;
    nextCursor = page.next_cursor ?? null;
    list.append(...page.items.map(row));
    if (ledgerContext) rememberCurrencies(ledgerContext.ledger, page.items.map((e) => e.currency));
    shown += page.items.length;
    const noun = allTime ? t("period.noun.all") : periodNoun(context.period);
    const narrowed = context.q || context.category;
    const category = context.category ? categoryLabel(context.category) : null;
    const words = { period: noun, q: context.q, category };
    empty.hidden = total !== 0;
    if (!narrowed) empty.textContent = t("expenses.emptyPeriod", words);
    else if (category) empty.textContent = context.q ? t("expenses.emptyCategoryMatch", words) : t("expenses.emptyCategory", words);
    else empty.textContent = t("expenses.emptyMatch", words);
    count.textContent = total
      ? (shown < total ? t("expenses.countShowing", { shown, count: total }) : t("expenses.count", { count: total })) +
        (category ? t("expenses.inCategory", { category }) : "") +
        (context.q ? t("expenses.matching", { q: context.q }) : "") +
        (allTime ? t("expenses.inAllTime") : "") +
        ` · ${money(page.total_amount)}`
      : "";
    // Offered when the period has no match; once searching all time, the way back to the period.
    allTimeButton.hidden = !(narrowed && (allTime || total === 0));
    allTimeButton.textContent = allTime ? t("expenses.onlyPeriod", { period: periodNoun(context.period) }) : t("expenses.searchAllTime");
    more.hidden = shown >= total;
    more.disabled = false;
    list.setAttribute("aria-busy", "false");
  }

  function showError(message) {
    list.setAttribute("aria-busy", "false");
    count.textContent = "";
    say(error, t("expenses.loadFailed", { message }));
    more.disabled = false;
  }

  function row(expense) {
    const descriptionId = uid("expense");
    const item = el(
      "li",
      { class: "expense", dataset: { id: expense.id } },
      el("time", { class: "expense-date", datetime: expense.date, title: formatDate(expense.date) }, formatRowDate(expense.date)),
      el(
        "span",
        { class: needsReview(expense.category) ? "expense-category needs-review" : "expense-category" },
        categoryLabel(expense.category),
      ),
      el("span", { class: "expense-description", id: descriptionId }, expense.description),
      shared() ? el("span", { class: "expense-sharing" }, describeSharing(ledgerContext.ledger, expense)) : null,
      amountCell(expense),
      el(
        "span",
        { class: "expense-actions" },
        // On the phone Edit covers the whole row (app.css): a tap on the row edits it.
        el(
          "button",
          { type: "button", class: "small write row-edit", "aria-describedby": descriptionId, onclick: () => edit(expense, item) },
          el("span", { class: "row-edit-label" }, t("common.edit")),
        ),
        el("button", { type: "button", class: "small danger-text write row-delete", "aria-describedby": descriptionId, onclick: () => remove(expense, item) }, t("common.delete")),
      ),
    );
    return item;
  }

  let opening = false; // a dialog whose code is on its way: another tap opens no second one

  /** A dialog's module, loaded when first opened; null while another is on its way. */
  async function dialogCode(loading) {
    if (opening) return null;
    opening = true;
    try {
      return await loadOrSay(loading);
    } finally {
      opening = false;
    }
  }

  async function edit(expense, item) {
    const form = await dialogCode(import("./expense-form.js"));
    if (!form) return;
    const { changes, checkExpense, expenseFields, fillSplit, ratePreview, showExpenseError } = form;
    const fields = expenseFields(ledgerContext, expense);
    fields.date.input.value = expense.date;
    fields.category.input.value = expense.category;
    fields.amount.input.value = amountText(expense.amount, digitsOf(expense.currency ?? ledgerCurrency()));
    fields.description.input.value = expense.description;
    fillSplit(fields, expense);
    const formError = formErrorLine();
    const deleteButton = el("button", { type: "button", class: "secondary danger-text dialog-delete" }, t("common.delete"));
    const { close } = formDialog(
      root,
      {
        title: t("expenses.editTitle"),
        submitLabel: t("common.save"),
        extra: deleteButton,
        focus: fields.amount.input,
        onSubmit: async () => {
          say(formError, "");
          const body = checkExpense(fields);
          if (!body) return;
          try {
            const patch = changes(body, expense);
            const { queued } = await saveExpense({ id: expense.id, body: patch, user: ledgerContext?.me.id, shown: body });
            close();
            if (queued) {
              toast(t("offline.keptHere"));
              return;
            }
            emit(root, EXPENSES_CHANGED, { action: "edited" });
            toast(t("expenses.saved"));
          } catch (error) {
            showExpenseError(fields, error, formError);
          }
        },
      },
      ...Object.values(fields).flatMap((f) => (f === fields.currency ? [f.wrap, ratePreview(fields)] : [f.wrap])),
      formError,
    );
    deleteButton.addEventListener("click", () => {
      close();
      remove(expense, item);
    });
  }

  async function remove(expense, item) {
    item.classList.add("removing");
    try {
      await api.deleteExpense(expense.id);
    } catch (err) {
      item.classList.remove("removing");
      toast(t("expenses.deleteFailed", { message: errorMessage(err) }), { error: true });
      return;
    }
    // The keyboard goes on to the next row (the previous one at the end), not back to the page's top.
    const hadFocus = item.contains(document.activeElement);
    const next = item.nextElementSibling ?? item.previousElementSibling;
    item.remove();
    if (hadFocus) focusRow(next?.dataset.id);
    emit(root, EXPENSES_CHANGED, { action: "deleted" });
    const { date, category, amount, description } = expense;
    const currency = expense.currency ?? ledgerCurrency();
    // The same currency and amount; a rate of the person's own goes back too, the ECB's is looked up.
    const priced = { currency, amount: amountValue(amount, digitsOf(currency)) };
    if (expense.rate_source === "manual") priced.rate = expense.rate;
    // Undo brings back who paid and the split too, as far as the ledger still has those members.
    const sharing = shared() ? restoredSplit(expense) : {};
    toast(t("expenses.deleted", { category, amount: money(amount, currency) }), {
      action: t("common.undo"),
      onAction: async () => {
        try {
          await api.createExpense({ date, category, ...priced, description, ...sharing, ...(expense.refund ? { refund: true } : {}) });
          emit(root, EXPENSES_CHANGED, { action: "restored" });
          toast(t("expenses.restored"));
        } catch (err) {
          toast(t("expenses.restoreFailed", { message: errorMessage(err) }), { error: true });
        }
      },
    });
  }

  /** A ledger with more than one member: each row says who paid and, when not equal, the split. */
  function shared() {
    return Boolean(ledgerContext && ledgerContext.ledger.members.length > 1);
  }

  function ledgerCurrency() {
    return ledgerContext?.ledger.currency ?? getCurrency();
  }

  /** The amount in the ledger's currency; a foreign expense's own amount beside it, smaller. */
  function amountCell(expense) {
    const foreign = expense.currency && expense.currency !== ledgerCurrency();
    // A refund says so in words, and its amounts carry a minus sign: money back.
    const sign = expense.refund ? -1 : 1;
    return el(
      "span",
      { class: expense.refund ? "expense-amount refund" : "expense-amount" },
      expense.refund ? el("span", { class: "expense-kind" }, t("refund.refund")) : null,
      money(sign * (expense.base_amount ?? expense.amount)),
      foreign ? el("span", { class: "expense-original" }, money(sign * expense.amount, expense.currency)) : null,
    );
  }

  /** The Needs review filter is offered while imported expenses wait in "Uncategorised". */
  function knowCategories(categories) {
    const waiting = categories.some((c) => needsReview(c.category) && c.count > 0);
    reviewButton.hidden = !waiting && !category;
  }

  return { root, show, append, loading, showError, knowCategories };
}

function restoredSplit(expense) {
  const byShares = expense.split.every((s) => s.shares !== null);
  const split = expense.split.map((s) =>
    byShares
      ? { user_id: s.user_id, shares: s.shares }
      : { user_id: s.user_id, amount: amountValue(s.amount, expense.currency ? digitsOf(expense.currency) : undefined) },
  );
  return { paid_by: expense.paid_by ?? undefined, split: split.length ? split : undefined };
}
