// The adds and edits kept on this device (js/queue.js), above the expense list: each says in words that it
// is not sent yet, or why the server refused it (with Dismiss). Drawn again whenever the queue changes.

import { el, uid } from "../dom.js";
import { formatDate, formatRowDate, getCurrency, money } from "../format.js";
import { QUEUE_CHANGED, dismiss, keptWrites } from "../queue.js";
import { t } from "../i18n.js";
import { toast } from "./toast.js";

/** `context` is {ledger, me}. */
export function pendingView(context) {
  const list = el("ul", { class: "expense-list pending-list", "aria-label": t("offline.keptList"), hidden: true });
  const refused = new Set(); // the refusals already told in a toast (or there at the first drawing)
  let first = true;
  const ledger = context.ledger.personal ? null : context.ledger.id; // as api.js scopes its writes

  async function draw() {
    if (!list.isConnected && list.dataset.drawn) {
      window.removeEventListener(QUEUE_CHANGED, draw); // this dashboard was replaced
      return;
    }
    list.dataset.drawn = "true";
    const writes = await keptWrites(context.me.id, ledger);
    list.replaceChildren(...writes.map(row));
    list.hidden = writes.length === 0;
    for (const write of writes) {
      if (write.state !== "refused" || refused.has(write.id)) continue;
      refused.add(write.id);
      if (!first) toast(t("offline.refusedToast", { reason: write.reason }), { error: true });
    }
    first = false;
  }

  function row(write) {
    const body = write.shown ?? write.body;
    const describedBy = uid("pending");
    const state =
      write.state === "refused"
        ? el("span", { class: "pending-state refused", id: describedBy }, t("offline.refused", { reason: write.reason }))
        : el("span", { class: "pending-state", id: describedBy }, write.method === "POST" ? t("offline.pending") : t("offline.editPending"));
    const amount = money(body.refund ? `-${body.amount}` : body.amount, body.currency ?? context.ledger.currency ?? getCurrency());
    return el(
      "li",
      { class: `expense pending ${write.state}` },
      el("time", { class: "expense-date", datetime: body.date, title: formatDate(body.date) }, formatRowDate(body.date)),
      el("span", { class: "expense-category" }, body.category),
      el("span", { class: "expense-description" }, body.description ?? ""),
      el("span", { class: "expense-amount" }, amount),
      el("span", { class: "expense-sharing" }, state),
      write.state === "refused"
        ? el(
            "span",
            { class: "expense-actions" },
            el("button", { type: "button", class: "small", "aria-describedby": describedBy, onclick: () => dismiss(write.id) }, t("offline.dismiss")),
          )
        : null,
    );
  }

  window.addEventListener(QUEUE_CHANGED, draw);
  draw();
  return { root: list };
}
