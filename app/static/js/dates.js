// Date arithmetic on calendar days ("YYYY-MM-DD"), handled as UTC midnights so that no time zone
// can shift them by a day. Formatting for people lives in format.js.

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

export function addDays(iso, days) {
  const date = parseDay(iso);
  date.setUTCDate(date.getUTCDate() + days);
  return isoDay(date);
}

/** The first day of the month `months` away from the one holding `iso` (0: its own). */
export function addMonths(iso, months) {
  const date = parseDay(iso);
  return isoDay(new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1)));
}

/** The first day of the week holding `iso`, for weeks starting on `firstDay` (1 Monday ... 7 Sunday, as Intl counts). */
export function weekStart(iso, firstDay = 1) {
  const weekday = parseDay(iso).getUTCDay() || 7; // Monday 1 ... Sunday 7
  return addDays(iso, -((weekday - firstDay + 7) % 7));
}

export function lastOfMonth(iso) {
  return addDays(addMonths(iso, 1), -1);
}

/** A real calendar day within the years the API accepts (1900 to 2999). */
export function isValidDay(iso) {
  const year = Number(iso.slice(0, 4));
  return year >= 1900 && year <= 2999 && isoDay(parseDay(iso)) === iso;
}
