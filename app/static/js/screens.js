// The phone's screens. Below 700 px the dashboard shows one at a time, chosen in the bottom
// navigation; the desktop shows them all at once. The screen is the address's last part, after the
// period (#/month/2026-11/budgets, #/l/7/week/2026-11-16/charts), so Back returns to the screen
// before; the first one, Expenses, has none, so every address from before screens still works.

import { t } from "./i18n.js";

export const SCREENS = [
  { id: "expenses", get label() { return t("screen.expenses"); } },
  { id: "budgets", get label() { return t("screen.budgets"); } },
  { id: "add", get label() { return t("screen.add"); }, write: true }, // the add sheet: not for a viewer
  { id: "balances", get label() { return t("screen.balances"); }, shared: true }, // only in a ledger with several members
  { id: "charts", get label() { return t("screen.charts"); } },
];
export const HOME = SCREENS[0].id;

/** The screens of a ledger for its member (`role`). */
export function screensOf(ledger) {
  const shared = ledger.members.length > 1;
  return SCREENS.filter((s) => (shared || !s.shared) && (ledger.role !== "viewer" || !s.write));
}

/** The screen an address names (HOME when none), and the address without it. */
export function screenFromHash(hash) {
  const match = /^(#.*)\/([a-z]+)$/.exec(hash ?? "");
  if (!match || !SCREENS.some((s) => s.id === match[2])) return { screen: HOME, rest: hash };
  return { screen: match[2], rest: match[1] };
}

/** An address with a screen added (nothing for HOME). */
export function withScreen(hash, screen) {
  return screen === HOME ? hash : `${hash}/${screen}`;
}

/** True while the phone layout is shown (the breakpoint of app.css's phone rules). */
export const phoneLayout = matchMedia("(max-width: 699.98px)");
