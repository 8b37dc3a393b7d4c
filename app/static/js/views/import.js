// Import CSV, in a dialog: choose a file, check the column mapping the server guessed from it, see
// a preview (a dry run on the server) with its errors, then import. In a shared ledger the importer
// also chooses who paid and how the file's expenses are split (default: them, equally). The file is
// only ever read on the server. Emits "expenses-changed" after an import.

import { api } from "../api.js";
import { currencyOptions } from "../currency.js";
import { formDialog } from "../dialog.js";
import { el, emit, uid } from "../dom.js";
import { errorMessage, field, formErrorLine, say } from "../forms.js";
import { formatDate, getCurrency, money } from "../format.js";
import { splitFields } from "./ledger.js";
import { toast } from "./toast.js";
import { EXPENSES_CHANGED } from "../events.js";
import { t } from "../i18n.js";

const DATE_FORMATS = ["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY"];
const amountKinds = () => [
  ["expense", t("import.kindExpense")],
  ["signed", t("import.kindSigned")],
  ["debit", t("import.kindDebit")],
];
const statusText = (status) => ({ ok: t("import.ready"), duplicate: t("import.duplicate"), income: t("import.income") })[status];

function select(label, options, { optional = false } = {}) {
  const f = field(label, { name: label }, { tag: "select" });
  const choices = options.map((o) => (Array.isArray(o) ? o : [o, o]));
  f.input.append(
    ...(optional ? [el("option", { value: "" }, t("import.none"))] : []),
    ...choices.map(([value, text]) => el("option", { value }, text)),
  );
  return f;
}

/** A row's amount in its own currency, and in the ledger's beside it when they differ. */
function amountText(row) {
  const sign = row.refund ? -1 : 1; // a refund: money back
  const own = money(sign * row.amount, row.currency ?? undefined);
  const foreign = row.currency && row.currency !== getCurrency() && row.base_amount !== null;
  return foreign ? `${own} (${money(sign * row.base_amount)})` : own;
}

function checkbox(label) {
  const id = uid("check");
  const input = el("input", { type: "checkbox", id });
  return { input, wrap: el("div", { class: "check" }, input, el("label", { for: id }, label)) };
}

/** `context` is {ledger, me}: a shared ledger adds Paid by and Split for the whole file. */
export function openImport(anchor, context = null) {
  const file = field(t("import.file"), { type: "file", name: "file", accept: ".csv,text/csv,text/plain" });
  const mappingBox = el("fieldset", { class: "import-mapping", hidden: true }, el("legend", {}, t("import.columns")));
  const sharing = context && context.ledger.members.length > 1 ? splitFields(context.ledger, context.me, { amounts: false }) : null;
  const sharingBox = sharing
    ? el(
        "fieldset",
        { class: "import-mapping import-sharing", hidden: true },
        el("legend", {}, t("import.whoPaid")),
        el("div", { class: "import-sharing-grid" }, sharing.fields.paid_by.wrap, sharing.fields.split.wrap),
      )
    : null;
  const preview = el("div", { class: "import-preview", "aria-live": "polite" });
  const formError = formErrorLine();
  let controls = null; // the mapping's fields, once the server has read the file's columns
  let seq = 0;
  let ready = false;

  const { submit, close } = formDialog(
    anchor,
    { title: t("expenses.import"), submitLabel: t("import.submit"), className: "import-dialog", focus: file.input, onSubmit: importFile },
    el("p", { class: "card-sub" }, t("import.lede")),
    file.wrap,
    mappingBox,
    sharingBox,
    formError,
    preview,
  );
  submit.disabled = true;

  function mapping() {
    const kind = controls.kind.input.value;
    const amountColumn = controls.amount.input.value || null;
    return {
      date: controls.date.input.value,
      amount: kind === "debit" ? null : amountColumn,
      debit: kind === "debit" ? amountColumn : null,
      category: controls.category.input.value || null,
      description: controls.description.input.value || null,
      currency: controls.currency.input.value || null,
      fixed_currency: controls.fixed.input.value,
      base_amount: controls.base.input.value || null,
      date_format: controls.format.input.value,
      decimal_comma: controls.comma.input.checked,
      negative_is_expense: kind === "signed",
      credits_as_refunds: kind !== "debit" && controls.refunds.input.checked,
    };
  }

  /**
   * The upload's fields; before the columns are known, none but the file and who paid: the server
   * guesses the rest. null after saying what is wrong with the split.
   */
  function fields() {
    const paying = sharing ? sharing.read() : {};
    if (paying === null) return null;
    if (!controls) return { file: file.input.files[0], ...paying };
    return {
      file: file.input.files[0],
      mapping: mapping(),
      default_category: controls.fallback.input.value.trim() || "Uncategorised",
      keep_duplicates: String(controls.keep.input.checked),
      ...paying,
    };
  }

  function buildControls(columns, guess) {
    controls = {
      date: select(t("import.dateColumn"), columns),
      amount: select(t("import.amountColumn"), columns),
      kind: select(t("import.amountsAre"), amountKinds()),
      category: select(t("import.categoryColumn"), columns, { optional: true }),
      description: select(t("import.descriptionColumn"), columns, { optional: true }),
      currency: select(t("import.currencyColumn"), columns, { optional: true }),
      // Our export's amounts in the ledger's currency, kept as they are.
      base: select(t("import.baseColumn", { currency: getCurrency() }), columns, { optional: true }),
      fixed: field(t("import.currencyMissing"), { name: "fixed_currency" }, { tag: "select" }),
      format: select(t("import.dateFormat"), DATE_FORMATS),
      comma: checkbox(t("import.decimalComma")),
      refunds: checkbox(t("import.creditsRefunds")),
      fallback: field(t("import.categoryMissing"), { type: "text", name: "default_category", maxlength: 40 }),
      keep: checkbox(t("import.keepDuplicates")),
    };
    controls.date.input.value = guess.date;
    controls.amount.input.value = guess.debit ?? guess.amount;
    controls.kind.input.value = guess.debit ? "debit" : guess.negative_is_expense ? "signed" : "expense";
    controls.category.input.value = guess.category ?? "";
    controls.description.input.value = guess.description ?? "";
    controls.currency.input.value = guess.currency ?? "";
    controls.base.input.value = guess.base_amount ?? "";
    controls.fixed.input.append(...currencyOptions(guess.fixed_currency ?? getCurrency()));
    controls.format.input.value = guess.date_format;
    controls.comma.input.checked = guess.decimal_comma;
    controls.refunds.input.checked = Boolean(guess.credits_as_refunds);
    controls.fallback.input.value = "Uncategorised";
    mappingBox.replaceChildren(
      el("legend", {}, t("import.columns")),
      el("div", { class: "import-grid" }, ...Object.values(controls).map((c) => c.wrap)),
    );
    mappingBox.hidden = false;
    for (const c of Object.values(controls)) c.input.addEventListener("change", runPreview);
  }

  if (sharing) {
    // A new payer or split is checked by a new preview, as a new mapping is.
    sharingBox.addEventListener("change", () => {
      if (file.input.files[0]) runPreview();
    });
  }

  file.input.addEventListener("change", () => {
    file.setError("");
    controls = null; // a new file: its own columns and guess
    mappingBox.hidden = true;
    if (sharingBox) sharingBox.hidden = !file.input.files[0];
    preview.replaceChildren();
    if (file.input.files[0]) runPreview();
  });

  async function runPreview() {
    const mine = ++seq;
    ready = false;
    submit.disabled = true;
    say(formError, "");
    sharing?.fields.split.setError("");
    const sent = fields();
    if (!sent) {
      preview.replaceChildren();
      return;
    }
    preview.replaceChildren(el("p", { class: "card-sub" }, t("import.reading")));
    try {
      const result = await api.importCsv({ ...sent, dry_run: "true" });
      if (mine !== seq) return;
      if (!controls) buildControls(result.columns, result.mapping);
      showPreview(result);
      ready = result.errors.length === 0 && result.count > 0;
      submit.disabled = !ready;
    } catch (error) {
      if (mine !== seq) return;
      preview.replaceChildren();
      showError(error);
    }
  }

  /** A refusal: about the payer or the split next to those, anything else on the form's line. */
  function showError(error) {
    const problems = error.fieldErrors ?? {};
    if (sharing && (problems.paid_by || problems.split)) {
      sharing.fields.split.setError(problems.split ?? problems.paid_by);
      return;
    }
    say(formError, errorMessage(error), { error, retry: ready ? () => submit.click() : runPreview });
  }

  function showPreview(result) {
    const parts = [t("import.toImport", { count: result.count })];
    if (result.skipped_duplicates) parts.push(t("import.alreadyThere", { count: result.skipped_duplicates }));
    if (result.skipped_income) parts.push(t("import.incomeSkipped", { count: result.skipped_income }));
    if (result.errors.length) parts.push(t("import.withErrors", { count: result.errors.length }));
    const rows = result.rows.map((row) =>
      el(
        "tr",
        { class: `import-row import-${row.status}` },
        el("td", {}, String(row.line)),
        el("td", {}, row.date ? formatDate(row.date) : ""),
        el("td", {}, row.category ?? ""),
        el("td", { class: "num" }, row.amount === null ? "" : amountText(row)),
        el("td", {}, row.description ?? ""),
        el("td", {}, row.status === "error" ? row.message : row.refund ? t("import.statusRefund", { status: statusText(row.status) }) : statusText(row.status)),
      ),
    );
    const beyond = result.errors.filter((e) => !result.rows.some((r) => r.line === e.line));
    const blocks = [
      el("p", { class: result.errors.length ? "import-summary has-errors" : "import-summary" }, `${parts.join(", ")}.`),
      result.errors.length ? el("p", { class: "card-sub" }, t("import.fixErrors")) : null,
      el(
        "div",
        { class: "table-scroll", tabindex: "0", role: "region", "aria-label": t("import.preview") },
        el(
          "table",
          { class: "import-table" },
          el("caption", { class: "visually-hidden" }, t("import.previewCaption")),
          el(
            "thead",
            {},
            el("tr", {}, ...[t("import.line"), t("field.date"), t("field.category"), t("field.amount"), t("field.description"), t("import.status")].map((h) => el("th", { scope: "col" }, h))),
          ),
          el("tbody", {}, ...rows),
        ),
      ),
      beyond.length
        ? el(
            "ul",
            { class: "import-errors", "aria-label": t("import.moreErrors") },
            ...beyond.slice(0, 100).map((e) => el("li", {}, t("import.lineError", { line: String(e.line), message: e.message }))),
          )
        : null,
    ];
    preview.replaceChildren(...blocks.filter(Boolean)); // unlike el(), replaceChildren would print "null"
  }

  async function importFile() {
    if (!ready) return;
    const sent = fields();
    if (!sent) return;
    try {
      const result = await api.importCsv(sent);
      const skipped = result.skipped_duplicates + result.skipped_income;
      toast(skipped ? t("import.importedSkipped", { count: result.imported, skipped }) : t("import.imported", { count: result.imported }));
      emit(anchor, EXPENSES_CHANGED, { action: "import" });
      close();
    } catch (error) {
      showError(error);
    }
  }
}
