// Short messages at the bottom of the screen, optionally with one action such as Undo, which
// Ctrl+Z (Cmd+Z) runs too while the message shows, from anywhere but a text field.

import { el } from "../dom.js";
import { t } from "../i18n.js";

let current = null;

export function toast(message, { action, onAction, timeout = 6000, error = false } = {}) {
  const region = document.getElementById("toasts");
  if (!region) return;
  current?.dismiss();
  const item = el("div", { class: error ? "toast toast-error" : "toast" }, el("span", {}, message));
  let timer = null;
  const dismiss = () => {
    clearTimeout(timer);
    item.remove();
    if (current?.item === item) current = null;
  };
  const act = () => {
    dismiss();
    onAction?.();
  };
  if (action) {
    const undo = action === t("common.undo");
    item.append(
      el("button", {
        type: "button",
        class: "toast-action",
        text: action,
        "aria-keyshortcuts": undo ? "Control+Z Meta+Z" : null,
        title: undo ? "Ctrl+Z" : null,
        onclick: act,
      }),
    );
  }
  region.append(item);
  timer = setTimeout(dismiss, timeout);
  current = { item, dismiss, undo: action === t("common.undo") ? act : null };
}

/** A field's own Ctrl+Z undoes typing; elsewhere it is the shown message's Undo. */
function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

document.addEventListener("keydown", (event) => {
  const undoKey = (event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === "z";
  if (!undoKey || !current?.undo || typing(event.target)) return;
  event.preventDefault();
  current.undo();
});

/**
 * A module loaded when first used (`import()`); if it cannot be (the server out of reach, or a new
 * release whose files replaced this page's), say so and stop there.
 */
export async function loadOrSay(loading) {
  try {
    return await loading;
  } catch (error) {
    toast(t("app.partFailed"), { error: true });
    throw error;
  }
}
