// Money, dates and category names as shown, in one place, in the page's language (i18n.js).
// Calendar days are formatted in UTC, as dates.js reads them, so no time zone can shift them by a day.

import { parseDay } from "./dates.js";
import { currentLocale, t } from "./i18n.js";

let currency = "USD"; // the ledger's: every total, budget, chart and balance is in it
const formats = new Map();

/** One Intl formatter per locale and options, made when first needed (the language can change). */
function cached(kind, options, make) {
  const key = `${kind}/${currentLocale()}/${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, make(currentLocale(), options));
  return formats.get(key);
}

/**
 * The currency's formatter (its own minor unit: ¥1,200, 7,41 €, KWD 1.234). The ledger's currency,
 * which every total is in, takes its short symbol ("$", not "US$"); others keep the one that tells
 * them apart ("CA$").
 */
function moneyFormat(code, digits) {
  const places = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  const display = code === currency ? { currencyDisplay: "narrowSymbol" } : {};
  return cached("money", { code, ...places, ...display }, (locale) => {
    try {
      return new Intl.NumberFormat(locale, { style: "currency", currency: code, ...places, ...display });
    } catch {
      return new Intl.NumberFormat(locale, { minimumFractionDigits: digits ?? 2, maximumFractionDigits: digits ?? 2 });
    }
  });
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

/** A plain number in the locale's digits ("1.234,5"); a decimal string stays exact. */
export function number(value, maximumFractionDigits = 20) {
  return cached("number", { maximumFractionDigits }, (locale, options) => new Intl.NumberFormat(locale, options)).format(value);
}

const dateFormat = (options) => (iso) =>
  cached("date", options, (locale) => new Intl.DateTimeFormat(locale, { ...options, timeZone: "UTC" })).format(parseDay(iso));

// Examples in English (en-GB); German: "16. Nov. 2026", "Mo., 16. Nov.", ...
export const formatDate = dateFormat({ day: "numeric", month: "short", year: "numeric" }); // 16 Nov 2026
export const formatRowDate = dateFormat({ weekday: "short", day: "numeric", month: "short" }); // Mon 16 Nov
export const formatLongDay = dateFormat({ weekday: "long", day: "numeric", month: "long", year: "numeric" }); // Monday 16 November 2026
export const formatMonth = dateFormat({ month: "long", year: "numeric" }); // November 2026
export const formatMonthName = dateFormat({ month: "long" }); // November
export const formatWeekday = dateFormat({ weekday: "short", day: "numeric" }); // Mon 16
export const dayOfMonth = (iso) => String(parseDay(iso).getUTCDate());

/** "12.5%" style percentages from the API's one-decimal numbers ("12,5 %" in German). */
export function percent(value) {
  const options = { style: "percent", maximumFractionDigits: 1 };
  // The API's percentages are 0-100 with one decimal: a hundredth of it is exact enough to show.
  return cached("percent", options, (locale) => new Intl.NumberFormat(locale, options)).format(Number(value) / 100);
}

// A moment (a server timestamp), in the person's own time zone: "16 Nov 2026, 14:05".
const momentOptions = { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
export const formatMoment = (iso) => cached("moment", momentOptions, (locale) => new Intl.DateTimeFormat(locale, momentOptions)).format(new Date(iso));
const clockOptions = { hour: "2-digit", minute: "2-digit" };
export const formatClock = (when) => cached("clock", clockOptions, (locale) => new Intl.DateTimeFormat(locale, clockOptions)).format(when); // 10:42

/** Where an import files rows without a category (app/schemas/forms.py): they need a person's look. */
export const NEEDS_REVIEW = "Uncategorised";

/** A category's key as the server folds it (app.types.category_key): case and spaces. */
export const categoryKey = (name) => String(name ?? "").trim().replace(/\s+/g, " ").toLowerCase();

export const needsReview = (name) => categoryKey(name) === categoryKey(NEEDS_REVIEW);

/** The name a person reads: "Needs review" for the import's catch-all. */
export const categoryLabel = (name) => (needsReview(name) ? t("categories.needsReview") : name);
