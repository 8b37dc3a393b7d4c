// The dashboard's first views, in one module loaded once logged in (main.js): the header's and the
// list screen's, which the phone shows first. The other screens' views are in js/dashboard-more.js,
// which main.js loads when the phone shows another screen for the first time, and otherwise with
// this one (the desktop shows every view). The page names every file each imports (app/assets.py,
// the dashboard-modules metas), so that they are asked for all at once, not one level at a time.

export { expensesView } from "./views/expenses.js";
export { ledgerLabel, ledgerPicker } from "./views/ledger.js";
export { bottomNav } from "./views/nav.js";
export { periodView } from "./views/period.js";
export { totalsView } from "./views/totals.js";
