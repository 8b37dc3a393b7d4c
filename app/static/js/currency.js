// Currencies: the ISO 4217 codes the browser knows, their minor units, the ledger's recently used
// ones, and the exact decimal arithmetic of a conversion preview (never float money).

import { el } from "./dom.js";
import { currentLanguage, t } from "./i18n.js";

// A browser without Intl.supportedValuesOf still offers the currencies most people spend in.
const FALLBACK = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "CNY", "SEK", "NOK", "DKK", "PLN", "BRL", "MXN"];
// Offered right after the ledger's and the recent ones, before the full list of some 300 codes.
const COMMON = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR"];
const RECENT_KEY = "expense-tracker.currencies.";
const RECENT_MAX = 5;

function allCodes() {
  try {
    return Intl.supportedValuesOf("currency");
  } catch {
    return FALLBACK;
  }
}

let names = null; // the browser's names of currencies in the page's language

/** "JPY — Japanese Yen" ("JPY — Japanischer Yen"), or the bare code when the browser has no name for it. */
export function currencyLabel(code) {
  let name = null;
  try {
    if (names?.language !== currentLanguage()) names = { language: currentLanguage(), of: new Intl.DisplayNames([currentLanguage()], { type: "currency" }) };
    name = names.of.of(code);
  } catch {
    /* the code alone */
  }
  return name && name !== code ? `${code} — ${name}` : code;
}

const minorDigits = new Map();

/** The currency's minor unit as Intl knows it (ISO 4217): JPY 0, KWD 3, most 2. */
export function digitsOf(code) {
  if (!minorDigits.has(code)) minorDigits.set(code, readDigits(code)); // a formatter each time is slow
  return minorDigits.get(code);
}

function readDigits(code) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/**
 * <option>s of every code with `current` selected: the `recent` codes (a ledger's own currency and
 * the ones used in it) first in their own group, then the common ones, then all the others, so the
 * currencies a person is likely to want are a key press away. Without `all`, the last group waits
 * empty (its 150 names are most of the cost, better paid when the list is first opened).
 */
export function currencyOptions(current, recent = [], { all: withAll = true } = {}) {
  const codes = allCodes();
  const all = codes.includes(current) ? codes : [current, ...codes];
  const option = (code) => el("option", { value: code, selected: code === current }, currencyLabel(code));
  const first = recent.filter((code, i) => recent.indexOf(code) === i);
  const common = COMMON.filter((code) => all.includes(code) && !first.includes(code));
  const rest = all.filter((code) => !first.includes(code) && !common.includes(code));
  return [
    first.length ? el("optgroup", { label: t("currency.recent") }, first.map(option)) : null,
    el("optgroup", { label: t("currency.common") }, common.map(option)),
    el("optgroup", { label: t("currency.all") }, withAll ? rest.map(option) : []),
  ].filter(Boolean);
}

function storageKey(ledger) {
  return RECENT_KEY + (ledger.personal ? "personal" : ledger.id);
}

/** The ledger's currency, then the ones last used in it, newest first. */
export function recentCurrencies(ledger) {
  let stored = [];
  try {
    stored = JSON.parse(localStorage.getItem(storageKey(ledger)) ?? "[]");
  } catch {
    /* storage blocked or spoilt: start over */
  }
  const codes = Array.isArray(stored) ? stored.filter((c) => typeof c === "string") : [];
  return [ledger.currency, ...codes.filter((c) => c !== ledger.currency)].slice(0, RECENT_MAX + 1);
}

/** Remember currencies used in the ledger (the one just saved first). */
export function rememberCurrencies(ledger, codes) {
  const known = recentCurrencies(ledger).slice(1);
  const fresh = codes.filter((c) => c && c !== ledger.currency);
  if (!fresh.length || fresh.every((c) => known.includes(c))) return;
  const next = [...fresh, ...known].filter((c, i, list) => list.indexOf(c) === i).slice(0, RECENT_MAX);
  try {
    localStorage.setItem(storageKey(ledger), JSON.stringify(next));
  } catch {
    /* private mode: the list is simply not remembered */
  }
}

// A plain decimal string ("1200", "0.00617498") as a BigInt of its digits and its scale.
function decimal(text) {
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(String(text));
  if (!match) return null;
  const fraction = match[2] ?? "";
  return { digits: BigInt(match[1] + fraction), scale: fraction.length };
}

/**
 * amount x rate rounded half up to `places` decimals, as a decimal string, computed on integers
 * as the server does ("1200" x "0.00617498" to 2 places is "7.41"); null for text that is no
 * plain positive decimal.
 */
export function convert(amount, rate, places) {
  const a = decimal(amount);
  const r = decimal(rate);
  if (!a || !r) return null;
  const scale = a.scale + r.scale;
  let units = a.digits * r.digits; // the product, with `scale` decimals
  if (scale > places) {
    const divisor = 10n ** BigInt(scale - places);
    units = (units + divisor / 2n) / divisor; // half up: every value here is positive
  } else {
    units *= 10n ** BigInt(places - scale);
  }
  const text = units.toString().padStart(places + 1, "0");
  return places ? `${text.slice(0, -places)}.${text.slice(-places)}` : text;
}
