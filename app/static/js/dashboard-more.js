// The dashboard's other views: the phone's other screens (Budgets, Add, Balances, Charts). See
// js/dashboard.js for when each module is loaded.

export { addView } from "./views/add.js";
export { balancesView } from "./views/balances.js";
export { budgetsView } from "./views/budgets.js";
export { chartsView } from "./views/charts.js"; // which loads Chart.js once a chart is on screen
export { recurringView } from "./views/recurring.js";
