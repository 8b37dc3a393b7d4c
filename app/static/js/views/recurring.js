// Recurring expenses: the rules with their next date; add or edit one in a dialog, pause, resume
// or delete it. Occurrences become ordinary expenses on the server once they are due.
// Emits "expenses-changed" after any change (a rule may have created expenses).

import { api } from "../api.js";
import { currencyOptions, digitsOf, recentCurrencies } from "../currency.js";
import { today } from "../dates.js";
import { formDialog } from "../dialog.js";
import { el, emit, rowButton } from "../dom.js";
import { amountField, amountPlaceholder, amountText, categoryField, clearErrors, descriptionField, errorMessage, field, focusProblem, formErrorLine, readAmount, say } from "../forms.js";
import { formatDate, getCurrency, money } from "../format.js";
import { showExpenseError } from "./expense-form.js";
import { describeSharing, splitFields } from "./ledger.js";
import { toast } from "./toast.js";
import { EXPENSES_CHANGED } from "../events.js";
import { t } from "../i18n.js";

const frequencies = () => [
  ["weekly", t("recurring.weekly")],
  ["monthly", t("recurring.monthly")],
  ["yearly", t("recurring.yearly")],
];

export function describeSchedule(rule) {
  const count = rule.interval;
  if (rule.frequency === "weekly") return t("recurring.everyWeek", { count });
  if (rule.frequency === "yearly") return t("recurring.everyYear", { count });
  return t("recurring.everyMonthOnDay", { count, day: rule.day_of_month ?? Number(rule.start_date.slice(8)) });
}

function nextText(rule) {
  if (rule.paused) return t("recurring.paused");
  if (!rule.next_date) return t("recurring.ended");
  const next = formatDate(rule.next_date);
  return rule.end_date ? t("recurring.nextUntil", { next, end: formatDate(rule.end_date) }) : t("recurring.next", { next });
}

/**
 * `context` is {ledger, me}: its currency is a new rule's, its recent ones come first; in a ledger
 * with more than one member a rule has Paid by and Split, as an expense has.
 */
export function recurringView(context = null) {
  const shared = Boolean(context && context.ledger.members.length > 1);
  const list = el("ul", { class: "recurring-list", "aria-labelledby": "recurring-title" });
  const empty = el("p", { class: "empty" }, t("recurring.empty"));
  const error = formErrorLine();
  const add = el("button", { type: "button", class: "secondary write" }, t("recurring.add"));
  const root = el(
    "section",
    { class: "card recurring-card", "aria-labelledby": "recurring-title" },
    el("div", { class: "card-head" }, el("h2", { id: "recurring-title" }, t("recurring.title")), add),
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
    say(error, t("recurring.loadFailed", { message }));
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
        el("span", { class: "recurring-amount" }, money(rule.amount, rule.currency ?? undefined)),
      ),
      el("p", { class: "recurring-when" }, `${describeSchedule(rule)} · ${nextText(rule)}`),
      shared ? el("p", { class: "recurring-when" }, describeSharing(context.ledger, rule, "pays")) : null,
      el(
        "div",
        { class: "budget-actions" },
        rowButton(t("common.edit"), t("recurring.editLabel", { category: rule.category }), () => openForm(rule)),
        rowButton(
          rule.paused ? t("recurring.resume") : t("recurring.pause"),
          rule.paused ? t("recurring.resumeLabel", { category: rule.category }) : t("recurring.pauseLabel", { category: rule.category }),
          () => change(rule, { paused: !rule.paused }, rule.paused ? t("recurring.resumed", { category: rule.category }) : t("recurring.pausedToast", { category: rule.category })),
        ),
        rowButton(t("common.delete"), t("recurring.deleteLabel", { category: rule.category }), () => remove(rule), { danger: true }),
      ),
    );
  }

  async function change(rule, body, done) {
    try {
      await api.updateRecurring(rule.id, body);
      toast(done);
      emit(root, EXPENSES_CHANGED, { action: "recurring" });
    } catch (err) {
      toast(t("recurring.changeFailed", { message: errorMessage(err) }), { error: true });
    }
  }

  async function remove(rule) {
    if (!window.confirm(t("recurring.confirmDelete", { category: rule.category }))) return;
    try {
      await api.deleteRecurring(rule.id);
      toast(t("recurring.deleted", { category: rule.category }));
      emit(root, EXPENSES_CHANGED, { action: "recurring" });
    } catch (err) {
      toast(t("recurring.deleteFailed", { message: errorMessage(err) }), { error: true });
    }
  }

  function openForm(rule) {
    const fields = {
      category: categoryField(),
      amount: amountField(),
      currency: field(t("field.currency"), { name: "currency" }, { tag: "select" }),
      description: descriptionField(),
      frequency: field(t("recurring.repeats"), { name: "frequency" }, { tag: "select" }),
      interval: field(t("recurring.every"), { type: "number", name: "interval", min: 1, max: 100, required: true }, { hint: t("recurring.everyHint") }),
      start_date: field(t("recurring.starts"), { type: "date", name: "start_date", required: true }, { hint: t("recurring.startsHint") }),
      end_date: field(t("recurring.ends"), { type: "date", name: "end_date" }, { hint: t("recurring.optional") }),
      day_of_month: field(t("recurring.dayOfMonth"), { type: "number", name: "day_of_month", min: 1, max: 31 }, { hint: t("recurring.dayOfMonthHint") }),
    };
    const sharing = shared ? splitFields(context.ledger, context.me) : null;
    if (sharing) {
      Object.assign(fields, sharing.fields);
      if (rule) sharing.fill(rule);
    }
    const { category, amount, currency, description, frequency, interval, start_date: start, end_date: end, day_of_month: dayOfMonth } = fields;
    frequency.input.append(...frequencies().map(([value, text]) => el("option", { value }, text)));
    category.input.value = rule?.category ?? "";
    // Each occurrence is priced at the ECB rate of its own date, so a rule needs no rate.
    const ledgerCurrency = context?.ledger.currency ?? getCurrency();
    const chosen = rule?.currency ?? ledgerCurrency;
    const recent = context ? recentCurrencies(context.ledger) : [];
    currency.input.append(...currencyOptions(chosen, recent.length > 1 ? [...new Set([...recent, chosen])] : []));
    const digits = () => digitsOf(currency.input.value);
    const syncPlaceholder = () => {
      amount.input.placeholder = amountPlaceholder(digits());
    };
    currency.input.addEventListener("change", syncPlaceholder);
    syncPlaceholder();
    amount.input.value = rule ? amountText(rule.amount, digitsOf(chosen)) : "";
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
    const formError = formErrorLine();

    async function save() {
      say(formError, "");
      clearErrors(fields);
      const body = {
        category: category.input.value.trim(),
        amount: readAmount(amount, null, digits()),
        currency: currency.input.value,
        description: description.input.value,
        frequency: frequency.input.value,
        interval: Number(interval.input.value),
        start_date: start.input.value,
        // null clears them: no end, and monthly on the start date's day.
        end_date: end.input.value || null,
        day_of_month: frequency.input.value === "monthly" && dayOfMonth.input.value ? Number(dayOfMonth.input.value) : null,
      };
      if (!body.category) category.setError(t("recurring.enterCategory"));
      if (!body.start_date) start.setError(t("recurring.chooseStart"));
      const paying = sharing ? sharing.read() : {};
      if (focusProblem(fields) || paying === null) return;
      // An edit back to equal clears the rule's own split (null); a new rule simply has none.
      Object.assign(body, paying, sharing && rule && !paying.split ? { split: null } : {});
      try {
        if (rule) await api.updateRecurring(rule.id, body);
        else await api.createRecurring(body);
        toast(t("recurring.saved", { category: body.category }));
        emit(root, EXPENSES_CHANGED, { action: "recurring" });
        close();
      } catch (error) {
        showExpenseError(fields, error, formError);
      }
    }

    const { close } = formDialog(
      root,
      {
        title: rule ? t("recurring.editTitle") : t("recurring.addTitle"),
        submitLabel: t("recurring.save"),
        focus: category.input,
        onSubmit: save,
      },
      rule ? el("p", { class: "card-sub" }, t("recurring.changesApply")) : null,
      category.wrap,
      el("div", { class: "form-row" }, amount.wrap, currency.wrap),
      description.wrap,
      el("div", { class: "form-row" }, frequency.wrap, interval.wrap),
      el("div", { class: "form-row" }, start.wrap, end.wrap),
      dayOfMonth.wrap,
      sharing?.fields.paid_by.wrap,
      sharing?.fields.split.wrap,
      formError,
    );
  }

  return { root, show, showError };
}
