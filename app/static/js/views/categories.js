// The category manager: every category of the ledger with its expenses and budget, Rename (which
// merges into a category the ledger already has), and "Uncategorised" shown as "Needs review".

import { api } from "../api.js";
import { dialogHeading, formDialog, openDialog } from "../dialog.js";
import { el, emit } from "../dom.js";
import { categoryField, errorMessage, formErrorLine, say, showSaveError } from "../forms.js";
import { categoryKey, categoryLabel, money, needsReview } from "../format.js";
import { toast } from "./toast.js";
import { EXPENSES_CHANGED, FILTER_CATEGORY } from "../events.js";
import { t } from "../i18n.js";

/**
 * Open the manager under `anchor` (events reach the views above it): "expenses-changed" after a
 * rename, and "filter-category" {category} from a category's "Show" button.
 */
export function openCategories(anchor, { canWrite }) {
  const heading = dialogHeading(t("categories.title"));
  const status = el("p", { class: "list-count", role: "status" }, t("categories.loading"));
  const list = el("ul", { class: "category-list", "aria-labelledby": heading.id });
  const close = el("button", { type: "button", class: "secondary" }, t("common.close"));
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
        t("categories.mergeHint"),
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
      status.textContent = categories.length ? "" : t("categories.empty");
      status.hidden = categories.length > 0;
      list.replaceChildren(...categories.map((c) => row(c, categories)));
    } catch (error) {
      status.hidden = false;
      status.textContent = t("categories.loadFailed", { message: errorMessage(error) });
    }
  }

  function row(category, all) {
    const label = categoryLabel(category.category);
    const counts = t("categories.count", { count: category.count });
    const budget = category.budget === null ? "" : t("categories.budgetAMonth", { amount: money(category.budget) });
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
                "aria-label": t("categories.showLabel", { category: label }),
                onclick: () => {
                  dialog.close();
                  emit(anchor, FILTER_CATEGORY, { category: category.category });
                },
              },
              t("categories.show"),
            )
          : null,
        canWrite
          ? el(
              "button",
              { type: "button", class: "small write", "aria-label": t("categories.renameLabel", { category: label }), onclick: () => rename(category, all) },
              t("categories.rename"),
            )
          : null,
      ),
    );
  }

  function rename(category, all) {
    const field = categoryField(t("categories.newName"));
    field.input.value = needsReview(category.category) ? "" : category.category;
    const outcome = el("p", { class: "field-hint", "aria-live": "polite" });
    const formError = formErrorLine();
    const target = () => all.find((c) => c.category !== category.category && categoryKey(c.category) === categoryKey(field.input.value));
    const { submit, close: closeRename } = formDialog(
      dialog,
      {
        title: t("categories.renameLabel", { category: categoryLabel(category.category) }),
        submitLabel: t("categories.rename"),
        focus: field.input,
        onSubmit: async () => {
          say(formError, "");
          field.setError("");
          const to = field.input.value.trim();
          if (!to) {
            field.setError(t("categories.enterName"));
            field.input.focus();
            return;
          }
          try {
            const done = await api.renameCategory({ category: category.category, to });
            closeRename();
            toast(done.merged ? t("categories.merged", { from: categoryLabel(category.category), to: done.category }) : t("categories.renamed", { to: done.category }));
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
      submit.textContent = into ? t("categories.merge") : t("categories.rename");
      const names = { into: into?.category, from: categoryLabel(category.category) };
      if (!into) outcome.textContent = "";
      else if (into.budget !== null && category.budget !== null) outcome.textContent = t("categories.willMergeBudgets", names);
      else outcome.textContent = t("categories.willMerge", names);
    };
    field.input.addEventListener("input", explain);
    explain();
  }

  load();
  return dialog;
}
