// The Balances panel of a shared ledger: each member's balance, the suggested transfers with Settle
// up (a dialog: the suggested amount, editable for a partial payment, a date and a note), and the
// Settlements history with Delete. Recording and deleting a payment both offer Undo.
// Emits "balances-changed" after any change.

import { api } from "../api.js";
import { today } from "../dates.js";
import { formDialog } from "../dialog.js";
import { el, emit, rowButton } from "../dom.js";
import { amountField, amountText, amountValue, clearErrors, errorMessage, field, focusProblem, formErrorLine, mayRetry, readAmount, say, showSaveError } from "../forms.js";
import { formatDate, money } from "../format.js";
import { memberName } from "./ledger.js";
import { toast } from "./toast.js";
import { BALANCES_CHANGED } from "../events.js";
import { t } from "../i18n.js";

const FEW = 5; // settlements shown before "Show all"

export function balancesView() {
  const list = el("ul", { class: "balance-list", "aria-labelledby": "balances-title" });
  const transfers = el("ul", { class: "transfer-list", "aria-label": t("balances.transfers") });
  const settled = el("p", { class: "empty", hidden: true }, t("balances.settled"));
  const error = formErrorLine();
  const history = el("ul", { class: "settlement-list", "aria-labelledby": "settlements-title" });
  const noHistory = el("p", { class: "card-sub settlement-none", hidden: true }, t("balances.noPayments"));
  const showAll = el("button", { type: "button", class: "secondary show-all", hidden: true });
  const root = el(
    "section",
    { class: "card balances-card", "aria-labelledby": "balances-title", hidden: true },
    el("h2", { id: "balances-title" }, t("screen.balances")),
    error,
    list,
    settled,
    transfers,
    el("h3", { id: "settlements-title", class: "settlements-title" }, t("balances.settlements")),
    noHistory,
    history,
    showAll,
  );
  let expanded = false;
  let last = null; // what show() was given, to draw the history again when expanded

  showAll.addEventListener("click", () => {
    expanded = true;
    drawHistory();
  });

  /** `settlements` newest first, as the API lists them. */
  function show(ledger, balances, settlements, { canWrite }) {
    last = { ledger, balances, settlements, canWrite };
    root.hidden = false;
    say(error, "");
    const named = (id) => memberName(ledger, id, balances.members.find((m) => m.user_id === id)?.display_name);
    list.replaceChildren(
      ...balances.members.map((m) =>
        el(
          "li",
          { class: "balance" },
          el("span", {}, named(m.user_id)),
          el("span", { class: "balance-amount" }, money(m.balance)),
        ),
      ),
    );
    settled.hidden = balances.transfers.length > 0;
    transfers.replaceChildren(
      ...balances.transfers.map((transfer) => {
        const from = named(transfer.from_user_id);
        const to = named(transfer.to_user_id);
        const pays = t("balances.pays", { from, to, amount: money(transfer.amount) });
        const button = el("button", { type: "button", class: "small write" }, t("balances.settleUp"));
        button.setAttribute("aria-label", t("balances.settleUpLabel", { what: pays }));
        button.hidden = !canWrite;
        button.addEventListener("click", () => openSettleUp(root, ledger, transfer, { from, to }));
        return el("li", { class: "transfer" }, el("span", {}, pays), button);
      }),
    );
    drawHistory();
  }

  function drawHistory() {
    const { ledger, balances, settlements } = last;
    const named = (id) => memberName(ledger, id, balances.members.find((m) => m.user_id === id)?.display_name);
    const shown = expanded ? settlements : settlements.slice(0, FEW);
    noHistory.hidden = settlements.length > 0;
    showAll.hidden = shown.length === settlements.length;
    showAll.textContent = t("balances.showAll", { count: settlements.length });
    history.replaceChildren(
      ...shown.map((s) => {
        const what = t("balances.paid", { from: named(s.from_user_id), to: named(s.to_user_id) });
        return el(
          "li",
          { class: "settlement" },
          el("span", { class: "settlement-what" }, what),
          el("span", { class: "settlement-amount" }, money(s.amount)),
          el(
            "p",
            { class: "settlement-when" },
            el("time", { datetime: s.date }, formatDate(s.date)),
            s.note ? ` · ${s.note}` : null,
          ),
          rowButton(t("common.delete"), t("balances.deleteLabel", { what, amount: money(s.amount), date: formatDate(s.date) }), () => remove(ledger, s, what), {
            danger: true,
          }),
        );
      }),
    );
  }

  async function remove(ledger, settlement, what) {
    try {
      await api.deleteSettlement(ledger.id, settlement.id);
    } catch (err) {
      toast(t("balances.deleteFailed", { message: errorMessage(err) }), { error: true });
      return;
    }
    emit(root, BALANCES_CHANGED);
    // Undo records it again as it was: the same people, amount, date and note.
    const again = async () => {
      try {
        await api.settle(ledger.id, {
          from_user_id: settlement.from_user_id,
          to_user_id: settlement.to_user_id,
          amount: amountValue(settlement.amount),
          date: settlement.date,
          note: settlement.note,
        });
        emit(root, BALANCES_CHANGED);
        toast(t("balances.restored"));
      } catch (err) {
        failedAgain(t("balances.restoreFailed", { message: errorMessage(err) }), err, again);
      }
    };
    toast(t("balances.deleted", { what, amount: money(settlement.amount) }), { action: t("common.undo"), onAction: again });
  }

  function hide() {
    root.hidden = true;
  }

  function showError(message) {
    root.hidden = false;
    say(error, t("balances.loadFailed", { message }));
  }

  return { root, show, hide, showError };
}

/** A failed Undo: its message, with Retry (the same request, so the same key) when it may help. */
function failedAgain(message, error, retry) {
  toast(message, mayRetry(error) ? { error: true, action: t("common.retry"), onAction: retry, timeout: 12000 } : { error: true });
}

/**
 * Settle up one suggested transfer: Amount (the suggested one; less is a partial payment), Date
 * (today) and Note. Recording it offers Undo, which deletes it again.
 */
export function openSettleUp(anchor, ledger, transfer, { from, to }) {
  const fields = {
    amount: amountField(t("field.amount"), {
      hint: t("balances.amountHint", { amount: money(transfer.amount) }),
    }),
    date: field(t("field.date"), { type: "date", name: "date", required: true, min: "1900-01-01", max: "2999-12-31" }),
    note: field(t("balances.note"), { type: "text", name: "note", maxlength: 500, autocomplete: "off" }, { hint: t("balances.noteHint") }),
  };
  fields.amount.input.value = amountText(transfer.amount);
  fields.date.input.value = today();
  const formError = formErrorLine();
  const { close } = formDialog(
    anchor,
    {
      title: t("balances.settleUp"),
      submitLabel: t("balances.record"),
      className: "settle-dialog",
      focus: fields.amount.input,
      onSubmit: async () => {
        say(formError, "");
        clearErrors(fields);
        const amount = readAmount(fields.amount);
        if (!fields.date.input.value) fields.date.setError(t("balances.chooseDay"));
        if (focusProblem(fields)) return;
        const body = {
          from_user_id: transfer.from_user_id,
          to_user_id: transfer.to_user_id,
          amount,
          date: fields.date.input.value,
          note: fields.note.input.value.trim(),
        };
        let settlement;
        try {
          settlement = await api.settle(ledger.id, body);
        } catch (error) {
          showSaveError(fields, error, { formError });
          return;
        }
        close();
        emit(anchor, BALANCES_CHANGED);
        const undo = async () => {
          try {
            await api.deleteSettlement(ledger.id, settlement.id);
            emit(anchor, BALANCES_CHANGED);
            toast(t("balances.removed"));
          } catch (err) {
            failedAgain(t("balances.removeFailed", { message: errorMessage(err) }), err, undo);
          }
        };
        toast(t("balances.recorded", { what: t("balances.paid", { from, to }), amount: money(settlement.amount) }), { action: t("common.undo"), onAction: undo });
      },
    },
    el("p", { class: "settle-who" }, t("balances.whoPays", { from, to })),
    fields.amount.wrap,
    el("div", { class: "form-row" }, fields.date.wrap, fields.note.wrap),
    formError,
  );
}
