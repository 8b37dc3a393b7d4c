// The dashboard's views, in one module loaded once logged in (main.js). The page names every file it
// imports (app/assets.py, the dashboard-modules meta), so that they are asked for all at once rather
// than one level of imports at a time.

export { addView } from "./views/add.js";
export { balancesView } from "./views/balances.js";
export { budgetsView } from "./views/budgets.js";
export { chartsView } from "./views/charts.js"; // which loads Chart.js once a chart is on screen
export { expensesView } from "./views/expenses.js";
export { ledgerLabel, ledgerPicker } from "./views/ledger.js";
export { bottomNav } from "./views/nav.js";
export { periodView } from "./views/period.js";
export { recurringView } from "./views/recurring.js";
export { totalsView } from "./views/totals.js";
export { withStarters } from "./views/welcome.js";
