// An expense's Currency, and what a foreign one needs before saving: the converted amount at the
// ECB rate of the expense's date ("≈ €7.41 at ECB 2026-03-02"), or a Rate field for the person's
// own: offered by "Use my own rate" for any foreign currency, and asked for when the ECB publishes
// no rate for it.

import { api, ApiError } from "../api.js";
import { convert, currencyOptions, digitsOf, recentCurrencies } from "../currency.js";
import { el } from "../dom.js";
import { formatDate, money, number } from "../format.js";
import { amountInput, amountPlaceholder, errorMessage, field } from "../forms.js";
import { t } from "../i18n.js";

const RATE = /^[0-9]+(\.[0-9]+)?$/;
// A plain decimal is positive when any of its digits is not zero: no float comparison needed.
const positive = (text) => RATE.test(text) && /[1-9]/.test(text);
// Rates already asked for in this page: "JPY/EUR/2026-03-02" -> the answer, or null for a 404.
const known = new Map();

/**
 * {currency, rate} fields, the preview line and read(). `ledger` gives the default currency and the
 * recent ones; `expense` (when editing) its currency and, for a manual rate, that rate.
 * `amount` and `date` are the form's fields, watched for the preview.
 */
export function currencyFields(ledger, { amount, date, expense = null }) {
  const currency = field(t("field.currency"), { name: "currency" }, { tag: "select" });
  const rate = field(
    t("rate.label"),
    { type: "text", name: "rate", inputmode: "decimal", enterkeyhint: "done", autocomplete: "off", maxlength: 30 },
    { hint: " " },
  );
  const rateHint = rate.wrap.querySelector(".field-hint");
  const preview = el("p", { class: "rate-preview", "aria-live": "polite", hidden: true });
  const manual = expense?.rate_source === "manual";
  let own = false; // "Use my own rate" was chosen, though the ECB has one
  const ownRate = el("button", { type: "button", class: "small own-rate", hidden: true }, t("rate.useOwn"));
  let shown = null; // the codes the select offers, to rebuild it only when they change
  let used = false; // the select was focused: it offers every currency from then on (not before, for speed)
  let lookup = null; // "no-rate" while the ECB has none for the currency and date
  let timer = null;
  let seq = 0;

  function fill(chosen) {
    const recent = recentCurrencies(ledger);
    const codes = recent.includes(chosen) ? recent : [...recent, chosen]; // the ledger's first
    const offered = [...codes, used];
    if (shown && shown.join() === offered.join()) return;
    shown = offered;
    currency.input.replaceChildren(...currencyOptions(chosen, codes, { all: used }));
    currency.input.value = chosen;
  }
  fill(expense?.currency ?? ledger.currency);
  currency.wrap.append(ownRate);
  ownRate.addEventListener("click", () => {
    own = true;
    ownRate.hidden = true;
    rate.wrap.hidden = false;
    rate.input.focus();
    update();
  });
  // Every currency once the select is first used; a currency used elsewhere since the form was built
  // joins the recent ones when it is next opened.
  currency.input.addEventListener("focus", () => {
    used = true;
    fill(currency.input.value);
  });

  if (manual) rate.input.value = expense.rate;
  rate.wrap.hidden = !manual;
  rate.wrap.classList.add("field-rate");
  currency.wrap.classList.add("field-currency");

  const code = () => currency.input.value;
  const foreign = () => code() !== ledger.currency;

  function setPreview(text) {
    preview.textContent = text ?? "";
    preview.hidden = !text;
  }

  // The converted amount, computed on decimal strings as the server will (half up), or null.
  function converted(rateText) {
    const value = amountInput(amount.input.value);
    return value && RATE.test(value) ? convert(value, rateText, digitsOf(ledger.currency)) : null;
  }

  async function update() {
    const mine = ++seq;
    amount.input.placeholder = amountPlaceholder(digitsOf(code()));
    rateHint.textContent = own ? t("rate.hintOwn", { ledger: ledger.currency, code: code() }) : t("rate.hint", { ledger: ledger.currency, code: code() });
    ownRate.hidden = true;
    if (!foreign()) {
      own = false;
      rate.wrap.hidden = true;
      lookup = null;
      setPreview("");
      return;
    }
    const typed = amountInput(rate.input.value);
    if (!rate.wrap.hidden && positive(typed)) {
      const base = converted(typed);
      setPreview(base ? t("rate.previewYours", { amount: money(base, ledger.currency), rate: number(typed) }) : t("rate.atYours", { rate: number(typed) }));
      return;
    }
    if (!date.input.value) {
      setPreview("");
      return;
    }
    const key = `${code()}/${ledger.currency}/${date.input.value}`;
    let answer = known.get(key);
    if (answer === undefined) {
      setPreview(t("rate.lookingUp"));
      try {
        answer = await api.rate(code(), ledger.currency, date.input.value);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) {
          if (mine === seq) {
            lookup = "no-rate";
            rate.wrap.hidden = false;
            setPreview(t("rate.lookupFailed", { message: errorMessage(error) }));
          }
          return;
        }
        answer = null;
      }
      known.set(key, answer);
    }
    if (mine !== seq) return; // a newer currency, date or amount is being shown
    if (answer === null) {
      lookup = "no-rate";
      rate.wrap.hidden = false;
      setPreview(t("rate.noRate", { code: code(), date: formatDate(date.input.value) }));
      return;
    }
    lookup = null;
    rate.wrap.hidden = !(manual || own);
    ownRate.hidden = !rate.wrap.hidden;
    const base = converted(answer.rate);
    setPreview(
      base
        ? t("rate.previewEcb", { amount: money(base, ledger.currency), date: answer.rate_date })
        : t("rate.ecb", { code: code(), rate: number(answer.rate), ledger: ledger.currency, date: answer.rate_date }),
    );
  }

  // Typing waits a moment before asking the server; a new currency or date is shown at once.
  function later() {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  }
  amount.input.addEventListener("input", later);
  rate.input.addEventListener("input", later);
  date.input.addEventListener("change", update);
  currency.input.addEventListener("change", () => {
    clearTimeout(timer);
    update();
  });
  // After the caller has filled the form (an edit sets the date after building the fields).
  queueMicrotask(update);

  /** {currency, rate?} for the body, or null after setting the Rate field's problem. */
  function read() {
    const typed = amountInput(rate.input.value);
    if (!foreign()) return { currency: code() };
    if (rate.wrap.hidden || (!typed && lookup !== "no-rate")) return { currency: code() };
    if (!typed) rate.setError(t("rate.enter", { ledger: ledger.currency, code: code(), sample: number("2.95") }));
    else if (!positive(typed)) rate.setError(t("rate.positive", { sample: number("2.95") }));
    else return { currency: code(), rate: typed };
    return null;
  }

  return { fields: { currency, rate }, preview, read, update, digits: () => digitsOf(code()) };
}
