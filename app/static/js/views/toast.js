// Short messages at the bottom of the screen, optionally with one action such as Undo.

import { el } from "../dom.js";

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
  if (action) {
    item.append(
      el("button", {
        type: "button",
        class: "toast-action",
        text: action,
        onclick: () => {
          dismiss();
          onAction?.();
        },
      }),
    );
  }
  region.append(item);
  timer = setTimeout(dismiss, timeout);
  current = { item, dismiss };
}
