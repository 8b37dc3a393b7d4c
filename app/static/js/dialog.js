// The one way to show a modal: a <dialog> built when opened and removed when closed, named by its
// heading. showModal() keeps focus inside and closes on Escape.

import { el, uid } from "./dom.js";
import { t } from "./i18n.js";

/** The heading that names a dialog (pass it to openDialog, place it in the content). */
export function dialogHeading(text) {
  return el("h2", { id: uid("dialog") }, text);
}

/**
 * Open a modal under `anchor`, so that the events its content emits reach the views above.
 * `alert` makes it an alertdialog (a question about something that cannot be undone).
 */
export function openDialog(anchor, { heading, className = "", alert = false }, ...content) {
  const dialog = el(
    "dialog",
    { class: `dialog ${className}`.trim(), role: alert ? "alertdialog" : null, "aria-labelledby": heading.id },
    ...content,
  );
  dialog.addEventListener("close", () => dialog.remove());
  anchor.append(dialog);
  dialog.showModal();
  return dialog;
}

/**
 * The usual dialog: a form with a heading, `body`, then Cancel (or `cancelLabel`) and a submit
 * button, after `extra` (a button of the dialog's own, such as Delete, placed apart at the start). onSubmit runs with that button disabled (a second press cannot send twice) and closes
 * the dialog when done. Focus goes to `focus`, else to Cancel in an alert (the safe choice) or the submit button.
 * Returns {dialog, form, submit, close}.
 */
export function formDialog(
  anchor,
  { title, submitLabel, cancelLabel = t("common.cancel"), danger = false, className, alert, focus, onSubmit, extra = null },
  ...body
) {
  const heading = dialogHeading(title);
  const cancel = el("button", { type: "button", class: "secondary" }, cancelLabel);
  const submit = el("button", { type: "submit", class: danger ? "danger" : "primary" }, submitLabel);
  const form = el(
    "form",
    { class: "dialog-form", novalidate: true },
    heading,
    ...body,
    el("div", { class: "dialog-actions" }, extra, cancel, submit),
  );
  const dialog = openDialog(anchor, { heading, className, alert }, form);
  const close = () => dialog.close();
  cancel.addEventListener("click", close);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submit.disabled) return; // busy, or not ready yet (the import waits for its preview)
    submit.disabled = true;
    try {
      await onSubmit();
    } finally {
      submit.disabled = false;
    }
  });
  (focus ?? (alert ? cancel : submit)).focus();
  return { dialog, form, submit, close };
}
