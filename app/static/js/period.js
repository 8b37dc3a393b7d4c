// The period the dashboard shows: a day, a week (from the locale's first day: Monday or Sunday) or a calendar month,
// written in the URL hash (#/month/2026-11, #/week/2026-11-16, #/day/2026-11-23).

import { addDays, addMonths, isValidDay, lastOfMonth, today, weekStart } from "./dates.js";
import { formatDate, formatLongDay, formatMonth } from "./format.js";
import { firstDayOfWeek, t } from "./i18n.js";

export const KINDS = ["day", "week", "month"];

/** The period of `kind` that contains the day `iso`. */
export function periodOf(kind, iso) {
  if (kind === "day") return { kind, start: iso, end: iso };
  if (kind === "week") {
    const start = weekStart(iso, firstDayOfWeek());
    return { kind, start, end: addDays(start, 6) };
  }
  const start = `${iso.slice(0, 7)}-01`;
  return { kind: "month", start, end: lastOfMonth(start) };
}

export function currentPeriod(kind = "month") {
  return periodOf(kind, today());
}

/** The same kind of period, one step back (-1) or forward (+1). */
export function shift(period, step) {
  if (period.kind === "month") return periodOf("month", addMonths(period.start, step));
  return periodOf(period.kind, addDays(period.start, period.kind === "week" ? 7 * step : step));
}

/** Switch kind, staying on today when it is inside the current period, else on its first day. */
export function switchKind(period, kind) {
  const now = today();
  const anchor = period.start <= now && now <= period.end ? now : period.start;
  return periodOf(kind, anchor);
}

export function contains(period, iso) {
  return period.start <= iso && iso <= period.end;
}

export function hashFor(period) {
  const key = period.kind === "month" ? period.start.slice(0, 7) : period.start;
  return `#/${period.kind}/${key}`;
}

const VALID = { day: /^\d{4}-\d{2}-\d{2}$/, week: /^\d{4}-\d{2}-\d{2}$/, month: /^\d{4}-\d{2}$/ };

/** The period a hash names, or null when it names none. */
export function fromHash(hash) {
  const [, kind, key] = /^#\/(day|week|month)\/([0-9-]+)$/.exec(hash ?? "") ?? [];
  if (!kind || !VALID[kind].test(key)) return null;
  const iso = kind === "month" ? `${key}-01` : key;
  return isValidDay(iso) ? periodOf(kind, iso) : null;
}

/** "November 2026", "Week of 16 Nov 2026", "Monday 23 November 2026". */
export function describePeriod(period) {
  if (period.kind === "month") return formatMonth(period.start);
  if (period.kind === "week") return t("period.weekOf", { date: formatDate(period.start) });
  return formatLongDay(period.start);
}

/** "this month", "this week", "on this day" for sentences such as empty states. */
export function periodNoun(period) {
  return { day: t("period.noun.day"), week: t("period.noun.week"), month: t("period.noun.month") }[period.kind];
}

/** The month (YYYY-MM) budgets are read for: today's when the period holds today, else its first day's. */
export function budgetMonth(period) {
  const now = today();
  return (contains(period, now) ? now : period.start).slice(0, 7);
}

/** The week containing a day: the trend a day view draws. */
export function weekOf(period) {
  return periodOf("week", period.start);
}

// A ledger other than the personal one is in the address before the period (#/l/7/month/2026-11),
// so reload and Back keep it; the personal ledger keeps the short addresses it always had.
const LEDGER_HASH = /^#\/l\/([0-9]{1,18})(\/.*)?$/;

/** The ledger id an address names (null: the personal ledger), and the rest of the address. */
export function ledgerFromHash(hash) {
  const match = LEDGER_HASH.exec(hash ?? "");
  return { id: match ? Number(match[1]) : null, rest: match ? `#${match[2] ?? ""}` : hash };
}

/** The address of a period in a ledger. */
export function ledgerAddress(period, ledger) {
  const hash = hashFor(period);
  return ledger && !ledger.personal ? `#/l/${ledger.id}${hash.slice(1)}` : hash;
}
