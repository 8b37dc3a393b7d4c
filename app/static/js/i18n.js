// The page's words in the person's language: one message catalogue per language
// (/i18n/<language>.json), loaded before the first render. t(key, {name: value}) fills in
// {placeholders}; a message with plural forms ({"one": ..., "other": ...}) picks one by `count`
// through Intl.PluralRules. Also the locale that dates, numbers and money are formatted in.
// API error messages stay English: api.js maps the ones it knows (error.* keys).

/** The languages the page speaks, by their own names. A new one: its catalogue and a line here. */
export const LANGUAGES = { en: "English", de: "Deutsch", fr: "Français", es: "Español" };
const FALLBACK = "en";
// The choice last known on this device, so the log-in page speaks it too; the account's wins.
const KEY = "expense-tracker.language";

let messages = {};
let language = FALLBACK;
let locale = FALLBACK;
let plurals = new Intl.PluralRules(FALLBACK);
let numbers = new Intl.NumberFormat(FALLBACK);

function browserLanguages() {
  return navigator.languages?.length ? navigator.languages : [navigator.language || FALLBACK];
}

/** The first of the browser's languages the page speaks ("de-AT" -> "de"), else English. */
export function browserLanguage() {
  const spoken = browserLanguages().map((tag) => tag.split("-")[0].toLowerCase());
  return spoken.find((code) => code in LANGUAGES) ?? FALLBACK;
}

/** The browser's own tag for `code` when it has one ("en-GB": its dates, its first day of the week), else `code`. */
function localeOf(code) {
  const own = browserLanguages().find((tag) => tag.split("-")[0].toLowerCase() === code);
  try {
    return own ? Intl.getCanonicalLocales(own)[0] : code;
  } catch {
    return code; // a tag Intl refuses
  }
}

/** The saved choice: a language code, or null for Automatic. */
export function savedLanguage() {
  try {
    const saved = localStorage.getItem(KEY);
    return saved in LANGUAGES ? saved : null;
  } catch {
    return null; // storage blocked: Automatic
  }
}

/**
 * Speak `choice` (a code; null: Automatic, the browser's) from now on: loads its catalogue and
 * remembers the choice on this device. Views built before keep their words: build them again.
 */
export async function setLanguage(choice) {
  const code = choice in LANGUAGES ? choice : browserLanguage();
  try {
    if (choice in LANGUAGES) localStorage.setItem(KEY, choice);
    else localStorage.removeItem(KEY);
  } catch {
    /* storage blocked: the account still remembers */
  }
  if (code === language && Object.keys(messages).length) return;
  const response = await fetch(`/i18n/${code}.json`);
  if (!response.ok) throw new Error(`The ${code} catalogue could not be loaded (${response.status}).`);
  messages = await response.json();
  language = code;
  locale = localeOf(code);
  plurals = new Intl.PluralRules(locale);
  numbers = new Intl.NumberFormat(locale);
  document.documentElement.lang = code;
}

/** The language spoken ("de") and the locale formats follow ("de", or the browser's "de-AT"). */
export const currentLanguage = () => language;
export const currentLocale = () => locale;

/** The message `key` in the current language, its {placeholders} filled from `params` (numbers in the locale's digits). */
export function t(key, params = {}) {
  let text = messages[key] ?? key; // a missing key shows itself: tests/test_i18n.py keeps it from happening
  if (typeof text === "object") text = text[plurals.select(Number(params.count))] ?? text.other;
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    return typeof value === "number" ? numbers.format(value) : String(value);
  });
}

// The first day of the week where Intl.Locale cannot say (Firefox): the regions that start on
// Sunday, of those whose languages the page speaks; a bare "en" is American English, as in CLDR.
const SUNDAY_FIRST = new Set(["US", "CA", "MX", "BR", "JP", "IL", "IN", "PH", "ZA", "PR", "GT", "HN", "NI", "PA", "PE", "PY", "SV", "VE", "DO", "CO", "BO"]);

/** The locale's first day of the week, 1 (Monday) to 7 (Sunday) as Intl.Locale counts. */
export function firstDayOfWeek() {
  try {
    const tag = new Intl.Locale(locale);
    const info = tag.getWeekInfo?.() ?? tag.weekInfo;
    if (info?.firstDay) return info.firstDay;
    const region = tag.maximize().region;
    return SUNDAY_FIRST.has(region) ? 7 : 1;
  } catch {
    return 1;
  }
}
