// The category manager: every category of the ledger with its expenses and budget, Rename (which
// merges into a category the ledger already has), and "Uncategorised" shown as "Needs review".

import { api } from "../api.js";
import { dialogHeading, formDialog, openDialog } from "../dialog.js";
import { el, emit } from "../dom.js";
import { categoryField, errorMessage, formErrorLine, say, showSaveError } from "../forms.js";
import { money } from "../format.js";
import { toast } from "./toast.js";
import { EXPENSES_CHANGED, FILTER_CATEGORY } from "../events.js";

/** Where an import files rows without a category (app/schemas/forms.py): they need a person's look. */
export const NEEDS_REVIEW = "Uncategorised";

/** A category's key as the server folds it (app.types.category_key): case and spaces. */
export const categoryKey = (name) => String(name ?? "").trim().replace(/\s+/g, " ").toLowerCase();

export const needsReview = (name) => categoryKey(name) === categoryKey(NEEDS_REVIEW);

/** The name a person reads: "Needs review" for the import's catch-all. */
export const categoryLabel = (name) => (needsReview(name) ? "Needs review" : name);

/**
 * Open the manager under `anchor` (events reach the views above it): "expenses-changed" after a
 * rename, and "filter-category" {category} from a category's "Show" button.
 */
export function openCategories(anchor, { canWrite }) {
  const heading = dialogHeading("Categories");
  const status = el("p", { class: "list-count", role: "status" }, "Loading categories…");
  const list = el("ul", { class: "category-list", "aria-labelledby": heading.id });
  const close = el("button", { type: "button", class: "secondary" }, "Close");
  const dialog = openDialog(
    anchor,
    { heading, className: "categories-dialog" },
    el(
      "div",
      { class: "dialog-form" },
      heading,
      el(
        "p",
        { class: "field-hint" },
        "Renaming a category to one you already have merges the two: expenses, budgets (added together) and recurring expenses move.",
      ),
      status,
      list,
      el("div", { class: "dialog-actions" }, close),
    ),
  );
  close.addEventListener("click", () => dialog.close());
  close.focus();

  async function load() {
    try {
      const categories = await api.categories();
      status.textContent = categories.length ? "" : "No categories yet: add an expense or a budget.";
      status.hidden = categories.length > 0;
      list.replaceChildren(...categories.map((c) => row(c, categories)));
    } catch (error) {
      status.hidden = false;
      status.textContent = `Could not load categories: ${errorMessage(error)}`;
    }
  }

  function row(category, all) {
    const label = categoryLabel(category.category);
    const counts = `${category.count} expense${category.count === 1 ? "" : "s"}`;
    const budget = category.budget === null ? "" : ` · budget ${money(category.budget)} a month`;
    return el(
      "li",
      { class: needsReview(category.category) ? "category-row needs-review" : "category-row" },
      el("span", { class: "category-name" }, label),
      el("span", { class: "category-facts" }, counts + budget),
      el(
        "span",
        { class: "category-actions" },
        category.count
          ? el(
              "button",
              {
                type: "button",
                class: "small",
                "aria-label": `Show ${label} expenses`,
                onclick: () => {
                  dialog.close();
                  emit(anchor, FILTER_CATEGORY, { category: category.category });
                },
              },
              "Show",
            )
          : null,
        canWrite
          ? el(
              "button",
              { type: "button", class: "small write", "aria-label": `Rename ${label}`, onclick: () => rename(category, all) },
              "Rename",
            )
          : null,
      ),
    );
  }

  function rename(category, all) {
    const field = categoryField("New name");
    field.input.value = needsReview(category.category) ? "" : category.category;
    const outcome = el("p", { class: "field-hint", "aria-live": "polite" });
    const formError = formErrorLine();
    const target = () => all.find((c) => c.category !== category.category && categoryKey(c.category) === categoryKey(field.input.value));
    const { submit, close: closeRename } = formDialog(
      dialog,
      {
        title: `Rename ${categoryLabel(category.category)}`,
        submitLabel: "Rename",
        focus: field.input,
        onSubmit: async () => {
          say(formError, "");
          field.setError("");
          const to = field.input.value.trim();
          if (!to) {
            field.setError("Enter the new name.");
            field.input.focus();
            return;
          }
          try {
            const done = await api.renameCategory({ category: category.category, to });
            closeRename();
            toast(done.merged ? `Merged ${categoryLabel(category.category)} into ${done.category}.` : `Renamed to ${done.category}.`);
            emit(anchor, EXPENSES_CHANGED, { action: "renamed" });
            await load();
          } catch (error) {
            showSaveError({ to: field }, error, { formError });
          }
        },
      },
      field.wrap,
      outcome,
      formError,
    );
    const explain = () => {
      const into = target();
      submit.textContent = into ? "Merge" : "Rename";
      outcome.textContent = into
        ? `${into.category} already exists: ${categoryLabel(category.category)} will be merged into it` +
          (into.budget !== null && category.budget !== null ? ", and their budgets added together." : ".")
        : "";
    };
    field.input.addEventListener("input", explain);
    explain();
  }

  load();
  return dialog;
}
