// The period switch: Day / Week / Month, Previous / Next, Today, and the period written out.
// Keys: [ and ] (or Alt+PageUp / Alt+PageDown) step back and forward, from anywhere but a field
// or a dialog.

import { el, emit } from "../dom.js";
import { currentPeriod, describePeriod, hashFor, KINDS, shift, switchKind } from "../period.js";
import { PERIOD_CHANGE } from "../events.js";
import { t } from "../i18n.js";


/** Emits "period-change" with {period}; call update(period, addressOf) to show a new one (addressOf: a period's address, for Today). */
export function periodView() {
  let period = null;
  const kindButtons = KINDS.map((kind) =>
    el("button", { type: "button", class: "seg", "aria-pressed": "false", dataset: { kind } }, { day: t("period.day"), week: t("period.week"), month: t("period.month") }[kind]),
  );
  const title = el("h2", { class: "period-title", id: "period-title", "aria-live": "polite" });
  const previous = el(
    "button",
    { type: "button", class: "icon-button", "aria-label": t("period.previous"), title: t("period.previousTitle"), "aria-keyshortcuts": "[ Alt+PageUp" },
    el("span", { "aria-hidden": "true" }, "‹"),
  );
  const next = el(
    "button",
    { type: "button", class: "icon-button", "aria-label": t("period.next"), title: t("period.nextTitle"), "aria-keyshortcuts": "] Alt+PageDown" },
    el("span", { "aria-hidden": "true" }, "›"),
  );
  // A link, not a button: it goes to an address (the current period), and reload keeps it.
  const todayLink = el("a", { class: "button ghost", href: "#/month" }, t("period.today"));

  const root = el(
    "section",
    { class: "period-bar card", "aria-labelledby": "period-title" },
    el("div", { class: "segmented", role: "group", "aria-label": t("period.length") }, kindButtons),
    el("div", { class: "period-nav" }, previous, title, next, todayLink),
  );

  for (const button of kindButtons) {
    button.addEventListener("click", () => {
      if (period && button.dataset.kind !== period.kind) {
        emit(root, PERIOD_CHANGE, { period: switchKind(period, button.dataset.kind) });
      }
    });
  }
  previous.addEventListener("click", () => period && emit(root, PERIOD_CHANGE, { period: shift(period, -1) }));
  next.addEventListener("click", () => period && emit(root, PERIOD_CHANGE, { period: shift(period, 1) }));

  const onKey = (event) => {
    if (!root.isConnected) {
      document.removeEventListener("keydown", onKey); // an older dashboard's bar
      return;
    }
    const target = event.target;
    const busy = target instanceof HTMLElement && (target.closest("input, textarea, select, dialog, [contenteditable]") !== null);
    if (!period || busy || event.ctrlKey || event.metaKey) return;
    const step = { "[": -1, "]": 1 }[event.key] ?? (event.altKey ? { PageUp: -1, PageDown: 1 }[event.key] : undefined);
    if (!step || (event.altKey && event.key.length === 1)) return;
    event.preventDefault();
    emit(root, PERIOD_CHANGE, { period: shift(period, step) });
  };
  document.addEventListener("keydown", onKey);

  function update(value, addressOf = hashFor) {
    period = value;
    title.textContent = describePeriod(period);
    for (const button of kindButtons) {
      button.setAttribute("aria-pressed", String(button.dataset.kind === period.kind));
    }
    todayLink.setAttribute("href", addressOf(currentPeriod(period.kind)));
  }

  return { root, update };
}
