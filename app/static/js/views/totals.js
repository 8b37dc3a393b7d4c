// The period's totals: spent, number of expenses, and what is left of this month's budgets.

import { el } from "../dom.js";
import { formatMonthName, money } from "../format.js";

export function totalsView() {
  const spent = el("dd", {}, "…");
  const count = el("dd", {}, "…");
  const leftLabel = el("dt", {}, "Budget left");
  const left = el("dd", {}, "…");
  // Spending in categories without a budget uses up none of the budgets: shown apart, not subtracted.
  const unbudgeted = el("dd", { class: "stat-note", hidden: true });
  const root = el(
    "section",
    { class: "totals", "aria-label": "Totals for the period" },
    el("dl", { class: "totals-grid" },
      el("div", { class: "stat card" }, el("dt", {}, "Spent"), spent),
      el("div", { class: "stat card" }, el("dt", {}, "Expenses"), count),
      el("div", { class: "stat card stat-budget" }, leftLabel, left, unbudgeted),
    ),
  );

  function showStats(stats) {
    spent.textContent = money(stats.total);
    count.textContent = String(stats.count);
  }

  function showSummary(summary) {
    leftLabel.textContent = `Budget left in ${formatMonthName(summary.start)}`;
    const card = left.parentElement;
    unbudgeted.hidden = true;
    if (!Number(summary.total_budget)) {
      left.textContent = "No budget set";
      card.dataset.status = "none";
      return;
    }
    const outside = Number(summary.unbudgeted_spent);
    unbudgeted.textContent = `${money(outside)} spent outside budgets`;
    unbudgeted.hidden = !outside;
    const remaining = Number(summary.budget_remaining);
    left.textContent = remaining < 0 ? `${money(-remaining)} over` : money(remaining);
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
