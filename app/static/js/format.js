// Money and date formatting, in one place. Calendar days are formatted in UTC, as dates.js
// reads them, so no time zone can shift them by a day.

import { parseDay } from "./dates.js";

let currency = "USD"; // the ledger's: every total, budget, chart and balance is in it
const formats = new Map();

/** The currency's formatter (its own minor unit: ¥1,200, €7.41, KWD 1.234), made once per code. */
function moneyFormat(code, digits) {
  const key = `${code}/${digits ?? ""}`;
  if (!formats.has(key)) formats.set(key, makeMoneyFormat(code, digits));
  return formats.get(key);
}

function makeMoneyFormat(code, digits) {
  const places = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: code, ...places });
  } catch {
    return new Intl.NumberFormat(undefined, { minimumFractionDigits: digits ?? 2, maximumFractionDigits: digits ?? 2 });
  }
}

export function setCurrency(code) {
  currency = code || "USD";
}

export function getCurrency() {
  return currency;
}

/**
 * A JSON amount from the API (a number, or a decimal string such as a preview's) for display, in
 * `code` or the ledger's currency. A string is formatted as the exact decimal it spells.
 */
export function money(amount, code = currency) {
  return moneyFormat(code).format(typeof amount === "string" ? amount : Number(amount ?? 0));
}

/** Whole units only, for chart axes ("$1,000"). */
export function moneyShort(amount) {
  return moneyFormat(currency, 0).format(Number(amount ?? 0));
}

const LOCALE = "en-GB"; // day-month-year reads unambiguously: "16 Nov 2026"
// Made at first use, not as the module loads: a page's first Intl formatter takes long (the
// browser loads its locale data), and the log-in page formats no date.
const dateFormat = (options) => {
  let made = null;
  return { format: (date) => (made ??= new Intl.DateTimeFormat(LOCALE, options)).format(date) };
};
const dayMonthYear = dateFormat({ day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const weekdayDayMonth = dateFormat({ weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
const longDay = dateFormat({ weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const monthYear = dateFormat({ month: "long", year: "numeric", timeZone: "UTC" });
const monthOnly = dateFormat({ month: "long", timeZone: "UTC" });
const shortWeekday = dateFormat({ weekday: "short", day: "numeric", timeZone: "UTC" });

export const formatDate = (iso) => dayMonthYear.format(parseDay(iso)); // 16 Nov 2026
export const formatRowDate = (iso) => weekdayDayMonth.format(parseDay(iso)); // Mon 16 Nov
export const formatLongDay = (iso) => longDay.format(parseDay(iso)); // Monday 16 November 2026
export const formatMonth = (iso) => monthYear.format(parseDay(iso)); // November 2026
export const formatMonthName = (iso) => monthOnly.format(parseDay(iso)); // November
export const formatWeekday = (iso) => shortWeekday.format(parseDay(iso)); // Mon 16
export const dayOfMonth = (iso) => String(parseDay(iso).getUTCDate());

/** "12.5%" style percentages from the API's one-decimal numbers. */
export function percent(value) {
  return `${Number(value).toLocaleString(LOCALE, { maximumFractionDigits: 1 })}%`;
}

// A moment (a server timestamp), in the person's own time zone: "16 Nov 2026, 14:05".
const moment = dateFormat({ day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
export const formatMoment = (iso) => moment.format(new Date(iso));
const clock = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" });
export const formatClock = (when) => clock.format(when); // 10:42
