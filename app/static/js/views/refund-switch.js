// The Expense/Refund switch of the expense form: two radio buttons, so it is one stop for Tab and
// the arrow keys choose, as a screen reader announces it. A refund is money back (a returned
// parcel): the amount stays positive and it counts negative in every total.

import { el, uid } from "../dom.js";
import { errorSetter } from "../forms.js";
import { t } from "../i18n.js";

/** {wrap, input, setError, isRefund(), set(refund)}: `input` (the Refund radio) is what an error focuses. */
export function refundSwitch() {
  const name = uid("kind");
  const error = el("p", { class: "field-error", id: `${name}-error`, hidden: true });
  const radio = (value, label, checked) =>
    el("label", { class: "kind-option" }, el("input", { type: "radio", name, value, checked }), label);
  const expenseOption = radio("expense", t("refund.expense"), true);
  const refundOption = radio("refund", t("refund.refund"), false);
  const input = refundOption.querySelector("input");
  const wrap = el(
    "fieldset",
    { class: "field field-kind", "aria-describedby": error.id },
    el("legend", { class: "visually-hidden" }, t("refund.legend")),
    el("div", { class: "segmented kind-switch" }, expenseOption, refundOption),
    error,
  );
  const setError = errorSetter(input, error);
  return {
    wrap,
    input,
    setError,
    isRefund: () => input.checked,
    set(refund) {
      input.checked = Boolean(refund);
      expenseOption.querySelector("input").checked = !refund;
    },
  };
}
