// The period's totals: spent, number of expenses, and what is left of this month's budgets.

import { el } from "../dom.js";
import { formatMonthName, money } from "../format.js";

export function totalsView() {
  const spent = el("dd", {}, "…");
  const count = el("dd", {}, "…");
  const leftLabel = el("dt", {}, "Budget left");
  const left = el("dd", {}, "…");
  const root = el(
    "section",
    { class: "totals", "aria-label": "Totals for the period" },
    el("dl", { class: "totals-grid" },
      el("div", { class: "stat card" }, el("dt", {}, "Spent"), spent),
      el("div", { class: "stat card" }, el("dt", {}, "Expenses"), count),
      el("div", { class: "stat card stat-budget" }, leftLabel, left),
    ),
  );

  function showStats(stats) {
    spent.textContent = money(stats.total);
    count.textContent = String(stats.count);
  }

  function showSummary(summary) {
    leftLabel.textContent = `Budget left in ${formatMonthName(summary.start)}`;
    const card = left.parentElement;
    if (!Number(summary.total_budget)) {
      left.textContent = "No budget set";
      card.dataset.status = "none";
      return;
    }
    const remaining = Number(summary.total_remaining);
    left.textContent = remaining < 0 ? `${money(-remaining)} over` : money(remaining);
    card.dataset.status = remaining < 0 ? "over" : "ok";
  }

  function showError(part) {
    if (part === "stats") spent.textContent = count.textContent = "—";
    else left.textContent = "—";
  }

  return { root, showStats, showSummary, showError };
}
