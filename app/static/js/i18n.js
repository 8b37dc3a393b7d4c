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
// Made when first needed: the first Intl object of a page loads the locale's data, a long task on a phone.
let plurals = null;
let numbers = null;
const catalogues = new Map(); // language -> its messages (a promise), each read once
let asked = 0; // the last setLanguage call: an earlier one that answers later changes nothing

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
  const mine = ++asked;
  const read = await catalogue(code);
  if (mine !== asked) return;
  messages = read;
  language = code;
  locale = localeOf(code);
  plurals = numbers = null;
  document.documentElement.lang = code;
}

/** The language's messages, read once (from the same version of the files as this module). */
function catalogue(code) {
  if (!catalogues.has(code)) {
    const reading = fetch(new URL(`../i18n/${code}.json`, import.meta.url)).then((response) => {
      if (!response.ok) throw new Error(`The ${code} catalogue could not be loaded (${response.status}).`);
      return response.json();
    });
    reading.catch(() => catalogues.delete(code)); // read again next time
    catalogues.set(code, reading);
  }
  return catalogues.get(code);
}

/** The language spoken ("de") and the locale formats follow ("de", or the browser's "de-AT"). */
export const currentLanguage = () => language;
export const currentLocale = () => locale;

/** The message `key` in the current language, its {placeholders} filled from `params` (numbers in the locale's digits). */
export function t(key, params = {}) {
  let text = messages[key] ?? key; // a missing key shows itself: tests/test_i18n.py keeps it from happening
  if (typeof text === "object") {
    plurals ??= new Intl.PluralRules(locale);
    text = text[plurals.select(Number(params.count))] ?? text.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    if (typeof value !== "number") return String(value);
    numbers ??= new Intl.NumberFormat(locale);
    return numbers.format(value);
  });
}

/**
 * The browser's locale data loaded on a worker's thread (js/intl-warm.js), in the locale the page
 * will most likely speak: the first Intl object of a browser process loads it (30-100 ms on this
 * project's machines), which then blocked the page's own thread while the page waited for its first
 * answers; made there, the page's own take under a millisecond. main.js calls this once its first
 * requests are out.
 */
export function prepareIntl() {
  const tag = localeOf(savedLanguage() ?? browserLanguage());
  try {
    const worker = new Worker(new URL("./intl-warm.js", import.meta.url));
    worker.onmessage = () => worker.terminate();
    worker.postMessage(tag);
  } catch {
    /* no worker: the first Intl object loads the data itself */
  }
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
