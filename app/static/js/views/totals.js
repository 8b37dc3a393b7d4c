// The period's totals: spent, number of expenses, and what is left of this month's budgets.

import { el } from "../dom.js";
import { formatMonthName, money, number } from "../format.js";
import { t } from "../i18n.js";

export function totalsView() {
  const spent = el("dd", {}, "…");
  const count = el("dd", {}, "…");
  const leftLabel = el("dt", {}, t("totals.budgetLeft"));
  const left = el("dd", {}, "…");
  // Spending in categories without a budget uses up none of the budgets: shown apart, not subtracted.
  const unbudgeted = el("dd", { class: "stat-note", hidden: true });
  const root = el(
    "section",
    { class: "totals", "aria-label": t("totals.region") },
    el("dl", { class: "totals-grid" },
      el("div", { class: "stat card" }, el("dt", {}, t("totals.spent")), spent),
      el("div", { class: "stat card" }, el("dt", {}, t("totals.expenses")), count),
      el("div", { class: "stat card stat-budget" }, leftLabel, left, unbudgeted),
    ),
  );

  function showStats(stats) {
    spent.textContent = money(stats.total);
    count.textContent = number(stats.count);
  }

  function showSummary(summary) {
    leftLabel.textContent = t("totals.budgetLeftIn", { month: formatMonthName(summary.start) });
    const card = left.parentElement;
    unbudgeted.hidden = true;
    if (!Number(summary.total_budget)) {
      left.textContent = t("totals.noBudget");
      card.dataset.status = "none";
      return;
    }
    const outside = Number(summary.unbudgeted_spent);
    unbudgeted.textContent = t("totals.outsideBudgets", { amount: money(outside) });
    unbudgeted.hidden = !outside;
    const remaining = Number(summary.budget_remaining);
    left.textContent = remaining < 0 ? t("totals.over", { amount: money(-remaining) }) : money(remaining);
    card.dataset.status = remaining < 0 ? "over" : "ok";
  }

  function showError(part) {
    if (part === "stats") spent.textContent = count.textContent = "—";
    else {
      left.textContent = "—";
      unbudgeted.hidden = true;
    }
  }

  return { root, showStats, showSummary, showError };
}
