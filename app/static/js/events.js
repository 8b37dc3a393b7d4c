// The names of the events views send upward (see emit() in dom.js), in one place: a listener and
// its sender cannot drift apart by a typo, and a new event is one more line here.
// (THEME_CHANGE lives in theme.js and SESSION_EXPIRED in api.js, beside the one code that sends each.)

// Data changed: reload what shows it.
export const EXPENSES_CHANGED = "expenses-changed"; // {action, expense?}
export const BUDGETS_CHANGED = "budgets-changed";
export const BALANCES_CHANGED = "balances-changed";

// The expense list asks for something.
export const SEARCH = "search"; // {q, category, allTime}
export const FILTER_CATEGORY = "filter-category"; // {category}: the Categories dialog's Show
export const LOAD_MORE = "load-more"; // {offset, cursor}
export const EXPORT = "export";
export const IMPORT = "import";

// The period bar: show another period.
export const PERIOD_CHANGE = "period-change"; // {period}

// The phone's add sheet: close it.
export const ADD_CLOSE = "add-close";

// Ledgers: the selector, its settings and New ledger.
export const LEDGER_CHANGE = "ledger-change"; // {id}
export const LEDGER_SETTINGS = "ledger-settings";
export const LEDGER_NEW = "ledger-new";
export const LEDGER_CREATED = "ledger-created"; // {ledger}
export const LEDGER_UPDATED = "ledger-updated"; // {ledger}
export const LEDGER_LEFT = "ledger-left"; // {ledger}

// The account.
export const SIGNED_IN = "signed-in"; // {user}
export const USER_CHANGED = "user-changed"; // {user}
export const ACCOUNT_DELETED = "account-deleted";
