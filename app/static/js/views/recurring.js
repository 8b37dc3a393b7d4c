// Recurring expenses: the rules with their next date; add or edit one in a dialog, pause, resume
// or delete it. Occurrences become ordinary expenses on the server once they are due.
// Emits "expenses-changed" after any change (a rule may have created expenses).

import { api } from "../api.js";
import { el, emit, field, uid } from "../dom.js";
import { amountInput, amountValue, formatDate, money, today } from "../format.js";
import { CATEGORY_LIST_ID } from "./expense-form.js";
import { toast } from "./toast.js";

const FREQUENCIES = [
  ["weekly", "Weekly"],
  ["monthly", "Monthly"],
  ["yearly", "Yearly"],
];
const UNITS = { weekly: ["week", "weeks"], monthly: ["month", "months"], yearly: ["year", "years"] };

export function describeSchedule(rule) {
  const [one, many] = UNITS[rule.frequency];
  const every = rule.interval === 1 ? `Every ${one}` : `Every ${rule.interval} ${many}`;
  if (rule.frequency !== "monthly") return every;
  return `${every}, on day ${rule.day_of_month ?? Number(rule.start_date.slice(8))}`;
}

function nextText(rule) {
  if (rule.paused) return "Paused";
  if (!rule.next_date) return "Ended";
  return rule.end_date ? `Next ${formatDate(rule.next_date)}, until ${formatDate(rule.end_date)}` : `Next ${formatDate(rule.next_date)}`;
}

export function recurringView() {
  const list = el("ul", { class: "recurring-list", "aria-labelledby": "recurring-title" });
  const empty = el("p", { class: "empty" }, "Nothing recurring yet. Add rent, subscriptions or bills once.");
  const error = el("p", { class: "form-error", role: "alert", hidden: true });
  const add = el("button", { type: "button", class: "secondary" }, "Add recurring");
  const root = el(
    "section",
    { class: "card recurring-card", "aria-labelledby": "recurring-title" },
    el("div", { class: "card-head" }, el("h2", { id: "recurring-title" }, "Recurring"), add),
    error,
    empty,
    list,
  );
  add.addEventListener("click", () => openForm(null));

  function show(rules) {
    error.hidden = true;
    empty.hidden = rules.length > 0;
    list.replaceChildren(...rules.map(row));
  }

  function showError(message) {
    error.textContent = `Could not load recurring expenses: ${message}`;
    error.hidden = false;
  }

  function row(rule) {
    const name = rule.description ? `${rule.category} · ${rule.description}` : rule.category;
    return el(
      "li",
      { class: "recurring", dataset: { paused: String(rule.paused) } },
      el(
        "div",
        { class: "recurring-head" },
        el("span", { class: "recurring-name" }, name),
        el("span", { class: "recurring-amount" }, money(rule.amount)),
      ),
      el("p", { class: "recurring-when" }, `${describeSchedule(rule)} · ${nextText(rule)}`),
      el(
        "div",
        { class: "budget-actions" },
        el("button", {
          type: "button",
          class: "small",
          "aria-label": `Edit recurring ${rule.category}`,
          onclick: () => openForm(rule),
          text: "Edit",
        }),
        el("button", {
          type: "button",
          class: "small",
          "aria-label": `${rule.paused ? "Resume" : "Pause"} recurring ${rule.category}`,
          onclick: () => change(rule, { paused: !rule.paused }, rule.paused ? "Resumed" : "Paused"),
          text: rule.paused ? "Resume" : "Pause",
        }),
        el("button", {
          type: "button",
          class: "small danger-text",
          "aria-label": `Delete recurring ${rule.category}`,
          onclick: () => remove(rule),
          text: "Delete",
        }),
      ),
    );
  }

  async function change(rule, body, verb) {
    try {
      await api.updateRecurring(rule.id, body);
      toast(`${verb} ${rule.category}.`);
      emit(root, "expenses-changed", { action: "recurring" });
    } catch (err) {
      toast(`Could not change it: ${err.message}`, { error: true });
    }
  }

  async function remove(rule) {
    if (!window.confirm(`Stop the recurring ${rule.category} expense? Expenses it already added stay.`)) return;
    try {
      await api.deleteRecurring(rule.id);
      toast(`Deleted the recurring ${rule.category} expense.`);
      emit(root, "expenses-changed", { action: "recurring" });
    } catch (err) {
      toast(`Could not delete it: ${err.message}`, { error: true });
    }
  }

  function openForm(rule) {
    const titleId = uid("dialog");
    const category = field("Category", { type: "text", name: "category", required: true, maxlength: 40, list: CATEGORY_LIST_ID, autocomplete: "off" });
    const amount = field("Amount", { type: "text", name: "amount", required: true, inputmode: "decimal", autocomplete: "off", placeholder: "0.00" });
    const description = field("Description", { type: "text", name: "description", maxlength: 500, autocomplete: "off" });
    const frequency = field("Repeats", { name: "frequency" }, { tag: "select" });
    frequency.input.append(...FREQUENCIES.map(([value, text]) => el("option", { value }, text)));
    const interval = field("Every", { type: "number", name: "interval", min: 1, max: 100, required: true }, { hint: "2 means every other one" });
    const start = field("Starts", { type: "date", name: "start_date", required: true }, { hint: "A date in the past adds the expenses since then." });
    const end = field("Ends", { type: "date", name: "end_date" }, { hint: "Optional" });
    const dayOfMonth = field("Day of month", { type: "number", name: "day_of_month", min: 1, max: 31 }, { hint: "Default: the start date's day; 31 means the last day of shorter months" });
    const formError = el("p", { class: "form-error", role: "alert", hidden: true });
    const cancel = el("button", { type: "button", class: "secondary" }, "Cancel");
    const save = el("button", { type: "submit", class: "primary" }, "Save recurring");
    const form = el(
      "form",
      { class: "dialog-form", novalidate: true },
      el("h2", { id: titleId }, rule ? "Edit recurring expense" : "Add recurring expense"),
      rule ? el("p", { class: "card-sub" }, "Changes apply from the next occurrence; expenses already added stay.") : null,
      category.wrap,
      amount.wrap,
      description.wrap,
      el("div", { class: "form-row" }, frequency.wrap, interval.wrap),
      el("div", { class: "form-row" }, start.wrap, end.wrap),
      dayOfMonth.wrap,
      formError,
      el("div", { class: "dialog-actions" }, cancel, save),
    );
    const dialog = el("dialog", { class: "dialog", "aria-labelledby": titleId }, form);
    dialog.addEventListener("close", () => dialog.remove());
    cancel.addEventListener("click", () => dialog.close());

    category.input.value = rule?.category ?? "";
    amount.input.value = rule ? amountValue(rule.amount) : "";
    description.input.value = rule?.description ?? "";
    frequency.input.value = rule?.frequency ?? "monthly";
    interval.input.value = String(rule?.interval ?? 1);
    start.input.value = rule?.start_date ?? today();
    end.input.value = rule?.end_date ?? "";
    dayOfMonth.input.value = rule?.day_of_month ? String(rule.day_of_month) : "";
    const syncDay = () => {
      dayOfMonth.wrap.hidden = frequency.input.value !== "monthly";
    };
    frequency.input.addEventListener("change", syncDay);
    syncDay();

    const all = { category, amount, description, frequency, interval, start_date: start, end_date: end, day_of_month: dayOfMonth };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      formError.hidden = true;
      for (const f of Object.values(all)) f.setError("");
      const body = {
        category: category.input.value.trim(),
        amount: amountInput(amount.input.value),
        description: description.input.value,
        frequency: frequency.input.value,
        interval: Number(interval.input.value),
        start_date: start.input.value,
      };
      // null clears them: no end, and monthly on the start date's day.
      body.end_date = end.input.value || null;
      body.day_of_month = frequency.input.value === "monthly" && dayOfMonth.input.value ? Number(dayOfMonth.input.value) : null;
      if (!body.category) category.setError("Enter a category, such as Rent.");
      if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(body.amount)) amount.setError("Enter a positive amount with at most two decimals.");
      if (!body.start_date) start.setError("Choose the first date.");
      if (form.querySelector("[aria-invalid=true]")) {
        form.querySelector("[aria-invalid=true]").focus();
        return;
      }
      save.disabled = true;
      try {
        if (rule) await api.updateRecurring(rule.id, body);
        else await api.createRecurring(body);
        toast(`Recurring ${body.category} saved.`);
        emit(root, "expenses-changed", { action: "recurring" });
        dialog.close();
      } catch (err) {
        const fields = err.fieldErrors ?? {};
        let shown = false;
        for (const [name, f] of Object.entries(all)) {
          if (fields[name]) {
            f.setError(fields[name]);
            shown = true;
          }
        }
        if (!shown) {
          formError.textContent = err.message;
          formError.hidden = false;
        }
        form.querySelector("[aria-invalid=true]")?.focus();
      } finally {
        save.disabled = false;
      }
    });
    root.append(dialog);
    dialog.showModal();
    category.input.focus();
  }

  return { root, show, showError };
}
