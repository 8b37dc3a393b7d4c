// Monthly budgets: set one per category, see each one's progress for the period's month, change
// or remove it.

import { api } from "../api.js";
import { el, emit, field, uid } from "../dom.js";
import { amountInput, amountValue, formatMonth, money, percent } from "../format.js";
import { CATEGORY_LIST_ID } from "./expense-form.js";
import { toast } from "./toast.js";

/** Emits "budgets-changed". Call show(summary, budgets) with the month's summary and every budget. */
export function budgetsView() {
  let editing = null; // the budget being changed, so a new category name renames it
  const category = field("Budget category", {
    type: "text",
    name: "category",
    required: true,
    maxlength: 40,
    list: CATEGORY_LIST_ID,
    autocomplete: "off",
  });
  const amount = field("Monthly budget", {
    type: "text",
    name: "amount",
    required: true,
    inputmode: "decimal",
    autocomplete: "off",
    placeholder: "0.00",
  });
  const formError = el("p", { class: "form-error", role: "alert", hidden: true });
  const save = el("button", { type: "submit", class: "primary" }, "Save budget");
  const cancel = el("button", { type: "button", class: "secondary", hidden: true }, "Cancel");
  const form = el(
    "form",
    { class: "budget-form", novalidate: true, "aria-label": "Set a budget" },
    category.wrap,
    amount.wrap,
    el("div", { class: "budget-submit" }, save, cancel),
    formError,
  );
  const monthLabel = el("p", { class: "card-sub" });
  const list = el("ul", { class: "budget-list", "aria-labelledby": "budgets-title" });
  const empty = el("p", { class: "empty" }, "No budgets yet. Set one above to see how each category is doing.");
  const root = el(
    "section",
    { class: "card budgets-card", "aria-labelledby": "budgets-title" },
    el("h2", { id: "budgets-title" }, "Budgets"),
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
    category.setError("");
    amount.setError("");
  }
  cancel.addEventListener("click", resetForm);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.hidden = true;
    category.setError("");
    amount.setError("");
    const name = category.input.value.trim();
    const value = amountInput(amount.input.value);
    if (!name) category.setError("Enter a category, such as Food.");
    if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(value)) {
      amount.setError("Enter a positive amount with at most two decimals, such as 250.");
    }
    if (form.querySelector("[aria-invalid=true]")) {
      form.querySelector("[aria-invalid=true]").focus();
      return;
    }
    save.disabled = true;
    try {
      const renaming = editing && editing.category.toLowerCase() !== name.toLowerCase();
      if (renaming) await api.updateBudget(editing.id, { category: name, amount: value });
      else await api.saveBudget({ category: name, amount: value });
      toast(`Budget for ${name} saved.`);
      resetForm();
      emit(root, "budgets-changed");
      category.input.focus();
    } catch (error) {
      const fields = error.fieldErrors ?? {};
      if (fields.category || fields.amount) {
        category.setError(fields.category ?? "");
        amount.setError(fields.amount ?? "");
      } else if (error.status === 409) category.setError(error.message);
      else {
        formError.textContent = error.message;
        formError.hidden = false;
      }
      form.querySelector("[aria-invalid=true]")?.focus();
    } finally {
      save.disabled = false;
    }
  });

  function show(summary, budgets) {
    monthLabel.textContent = `Spending in ${formatMonth(summary.start)}`;
    const byKey = new Map(summary.categories.map((c) => [c.category.toLowerCase(), c]));
    const rows = budgets.map((budget) => {
      const line = byKey.get(budget.category.toLowerCase());
      return row(budget, line);
    });
    list.replaceChildren(...rows);
    empty.hidden = budgets.length > 0;
  }

  function row(budget, line) {
    const spent = line?.spent ?? 0;
    const pct = line?.percent ?? 0;
    const status = line?.status && line.status !== "unbudgeted" ? line.status : "ok";
    const remaining = line?.remaining ?? budget.amount;
    const nameId = uid("budget");
    const fill = el("div", { class: "progress-fill" });
    fill.style.width = `${Math.min(100, Number(pct))}%`;
    const bar = el(
      "div",
      {
        class: "progress",
        role: "progressbar",
        "aria-valuemin": "0",
        "aria-valuemax": "100",
        "aria-valuenow": String(Math.min(100, Number(pct))),
        "aria-valuetext": `${percent(pct)} of budget`,
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
        `${money(spent)} of ${money(budget.amount)} · `,
        el("strong", { class: "budget-remaining" }, over ? `${money(-Number(remaining))} over` : `${money(remaining)} left`),
      ),
      el(
        "div",
        { class: "budget-actions" },
        el("button", {
          type: "button",
          class: "small",
          "aria-label": `Change ${budget.category} budget`,
          onclick: () => startEdit(budget),
          text: "Change",
        }),
        el("button", {
          type: "button",
          class: "small danger-text",
          "aria-label": `Remove ${budget.category} budget`,
          onclick: () => remove(budget),
          text: "Remove",
        }),
      ),
    );
  }

  function startEdit(budget) {
    editing = budget;
    category.input.value = budget.category;
    amount.input.value = amountValue(budget.amount);
    cancel.hidden = false;
    amount.input.focus();
    amount.input.select();
  }

  async function remove(budget) {
    try {
      await api.deleteBudget(budget.id);
    } catch (error) {
      toast(`Could not remove the budget: ${error.message}`, { error: true });
      return;
    }
    if (editing?.id === budget.id) resetForm();
    emit(root, "budgets-changed");
    toast(`Removed the ${budget.category} budget.`, {
      action: "Undo",
      onAction: async () => {
        try {
          await api.saveBudget({ category: budget.category, amount: amountValue(budget.amount) });
          emit(root, "budgets-changed");
        } catch (error) {
          toast(`Could not restore the budget: ${error.message}`, { error: true });
        }
      },
    });
  }

  function showError(message) {
    monthLabel.textContent = `Could not load budgets: ${message}`;
  }

  return { root, show, showError };
}
