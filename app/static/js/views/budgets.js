// Monthly budgets: set one per category, see each one's progress for the period's month, change
// or remove it.

import { api } from "../api.js";
import { el, emit, rowButton, uid } from "../dom.js";
import { amountField, amountText, amountValue, categoryField, clearErrors, errorMessage, focusProblem, formErrorLine, readAmount, say, showSaveError } from "../forms.js";
import { formatMonth, money, number, percent } from "../format.js";
import { toast } from "./toast.js";
import { BUDGETS_CHANGED } from "../events.js";
import { t } from "../i18n.js";

/** Emits "budgets-changed". Call show(summary) with the month's summary: its budgeted lines carry their budget_id. */
export function budgetsView() {
  let editing = null; // the budget being changed, so a new category name renames it
  const fields = { category: categoryField(t("budgets.category")), amount: amountField(t("budgets.monthly")) };
  const { category, amount } = fields;
  const formError = formErrorLine();
  const save = el("button", { type: "submit", class: "primary" }, t("budgets.save"));
  const cancel = el("button", { type: "button", class: "secondary", hidden: true }, t("common.cancel"));
  const form = el(
    "form",
    { class: "budget-form write", novalidate: true, "aria-label": t("budgets.set") },
    category.wrap,
    amount.wrap,
    el("div", { class: "budget-submit" }, save, cancel),
    formError,
  );
  const monthLabel = el("p", { class: "card-sub" });
  const list = el("ul", { class: "budget-list", "aria-labelledby": "budgets-title" });
  const empty = el("p", { class: "empty" }, t("budgets.empty"));
  const root = el(
    "section",
    { class: "card budgets-card", "aria-labelledby": "budgets-title" },
    el("h2", { id: "budgets-title" }, t("screen.budgets")),
    monthLabel,
    form,
    empty,
    list,
  );

  function resetForm() {
    editing = null;
    category.input.value = "";
    amount.input.value = "";
    cancel.hidden = true;
    clearErrors(fields);
  }
  cancel.addEventListener("click", resetForm);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(formError, "");
    clearErrors(fields);
    const name = category.input.value.trim();
    if (!name) category.setError(t("expense.enterCategory"));
    const value = readAmount(amount, number(250));
    if (focusProblem(fields)) return;
    save.disabled = true;
    try {
      const renaming = editing && editing.category.toLowerCase() !== name.toLowerCase();
      if (renaming) await api.updateBudget(editing.id, { category: name, amount: value });
      else await api.saveBudget({ category: name, amount: value });
      toast(t("budgets.saved", { category: name }));
      resetForm();
      emit(root, BUDGETS_CHANGED);
      category.input.focus();
    } catch (error) {
      showSaveError(fields, error, { formError, at: { 409: "category" } });
    } finally {
      save.disabled = false;
    }
  });

  function show(summary) {
    monthLabel.textContent = t("budgets.spendingIn", { month: formatMonth(summary.start) });
    // The summary lists every budget, spent or not; by category, as GET /api/budgets does.
    const budgeted = summary.categories.filter((line) => line.budget_id !== null);
    budgeted.sort((a, b) => a.category.localeCompare(b.category, undefined, { sensitivity: "base" }));
    list.replaceChildren(...budgeted.map(row));
    empty.hidden = budgeted.length > 0;
  }

  function row(line) {
    const budget = { id: line.budget_id, category: line.category, amount: line.budget };
    const { spent, remaining, status, percent: pct } = line;
    const nameId = uid("budget");
    const fill = el("div", { class: "progress-fill" });
    // Refunds can take a month's spending below zero: the bar is then empty, the text says how far.
    const shown = Math.max(0, Math.min(100, Number(pct)));
    fill.style.width = `${shown}%`;
    const bar = el(
      "div",
      {
        class: "progress",
        role: "progressbar",
        "aria-valuemin": "0",
        "aria-valuemax": "100",
        "aria-valuenow": String(shown),
        "aria-valuetext": t("budgets.percentOf", { percent: percent(pct) }),
        "aria-labelledby": nameId,
        dataset: { status },
      },
      fill,
    );
    const over = Number(remaining) < 0;
    return el(
      "li",
      { class: "budget", dataset: { status } },
      el(
        "div",
        { class: "budget-head" },
        el("span", { class: "budget-name", id: nameId }, budget.category),
        el("span", { class: "budget-percent" }, percent(pct)),
      ),
      bar,
      el(
        "p",
        { class: "budget-numbers" },
        t("budgets.spentOf", { spent: money(spent), budget: money(budget.amount) }),
        el("strong", { class: "budget-remaining" }, over ? t("totals.over", { amount: money(-Number(remaining)) }) : t("budgets.left", { amount: money(remaining) })),
      ),
      el(
        "div",
        { class: "budget-actions" },
        rowButton(t("budgets.change"), t("budgets.changeLabel", { category: budget.category }), () => startEdit(budget)),
        rowButton(t("budgets.remove"), t("budgets.removeLabel", { category: budget.category }), () => remove(budget), { danger: true }),
      ),
    );
  }

  function startEdit(budget) {
    editing = budget;
    category.input.value = budget.category;
    amount.input.value = amountText(budget.amount);
    cancel.hidden = false;
    amount.input.focus();
    amount.input.select();
  }

  async function remove(budget) {
    try {
      await api.deleteBudget(budget.id);
    } catch (error) {
      toast(t("budgets.removeFailed", { message: errorMessage(error) }), { error: true });
      return;
    }
    if (editing?.id === budget.id) resetForm();
    emit(root, BUDGETS_CHANGED);
    toast(t("budgets.removed", { category: budget.category }), {
      action: t("common.undo"),
      onAction: async () => {
        try {
          await api.saveBudget({ category: budget.category, amount: amountValue(budget.amount) });
          emit(root, BUDGETS_CHANGED);
        } catch (error) {
          toast(t("budgets.restoreFailed", { message: errorMessage(error) }), { error: true });
        }
      },
    });
  }

  function showError(message) {
    monthLabel.textContent = t("budgets.loadFailed", { message });
  }

  return { root, show, showError };
}
