// Money and date formatting, in one place. Dates are calendar days ("YYYY-MM-DD") handled as
// UTC midnights, so no time zone can shift them by a day.

let currency = "USD";
let moneyFormat = makeMoneyFormat(currency);
let shortFormat = makeMoneyFormat(currency, 0);

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
  moneyFormat = makeMoneyFormat(currency);
  shortFormat = makeMoneyFormat(currency, 0);
}

export function getCurrency() {
  return currency;
}

/** A JSON amount from the API (a number with at most two decimals) for display. */
export function money(amount) {
  return moneyFormat.format(Number(amount ?? 0));
}

/** Whole units only, for chart axes ("$1,000"). */
export function moneyShort(amount) {
  return shortFormat.format(Number(amount ?? 0));
}

/** Amount as typed by a person into the string the API accepts ("12,5" -> "12.5"). */
export function amountInput(text) {
  const trimmed = String(text ?? "").trim().replace(/\s+/g, "");
  return trimmed.includes(",") && !trimmed.includes(".") ? trimmed.replace(",", ".") : trimmed;
}

/** An API amount back into an input value (12.5 -> "12.50"). */
export function amountValue(amount) {
  return Number(amount).toFixed(2);
}

const LOCALE = "en-GB"; // day-month-year reads unambiguously: "16 Nov 2026"
const dayMonthYear = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const weekdayDayMonth = new Intl.DateTimeFormat(LOCALE, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
const longDay = new Intl.DateTimeFormat(LOCALE, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const monthYear = new Intl.DateTimeFormat(LOCALE, { month: "long", year: "numeric", timeZone: "UTC" });
const monthOnly = new Intl.DateTimeFormat(LOCALE, { month: "long", timeZone: "UTC" });
const shortWeekday = new Intl.DateTimeFormat(LOCALE, { weekday: "short", day: "numeric", timeZone: "UTC" });

export function parseDay(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

export function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

/** Today's date where the person is (not UTC). */
export function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

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
const moment = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
export const formatMoment = (iso) => moment.format(new Date(iso));
