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

const DATE_FORMATS = ["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY"];
const AMOUNT_KINDS = [
  ["expense", "All expenses"],
  ["signed", "Negative = expense"],
  ["debit", "Debits (blank = income)"],
];
const STATUS_TEXT = { ok: "Ready", duplicate: "Duplicate, skipped", income: "Income, skipped" };

function select(label, options, { optional = false } = {}) {
  const f = field(label, { name: label }, { tag: "select" });
  const choices = options.map((o) => (Array.isArray(o) ? o : [o, o]));
  f.input.append(
    ...(optional ? [el("option", { value: "" }, "(none)")] : []),
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
  const file = field("CSV file", { type: "file", name: "file", accept: ".csv,text/csv,text/plain" });
  const mappingBox = el("fieldset", { class: "import-mapping", hidden: true }, el("legend", {}, "Columns"));
  const sharing = context && context.ledger.members.length > 1 ? splitFields(context.ledger, context.me, { amounts: false }) : null;
  const sharingBox = sharing
    ? el(
        "fieldset",
        { class: "import-mapping import-sharing", hidden: true },
        el("legend", {}, "Who paid"),
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
    { title: "Import CSV", submitLabel: "Import", className: "import-dialog", focus: file.input, onSubmit: importFile },
    el("p", { class: "card-sub" }, "Our own export imports as it is; for a bank's file, say which column holds what."),
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
      date: select("Date column", columns),
      amount: select("Amount column", columns),
      kind: select("Amounts are", AMOUNT_KINDS),
      category: select("Category column", columns, { optional: true }),
      description: select("Description column", columns, { optional: true }),
      currency: select("Currency column", columns, { optional: true }),
      // Our export's amounts in the ledger's currency, kept as they are.
      base: select(`Column of ${getCurrency()} amounts`, columns, { optional: true }),
      fixed: field("Currency when missing", { name: "fixed_currency" }, { tag: "select" }),
      format: select("Date format", DATE_FORMATS),
      comma: checkbox("Decimal comma (12,50)"),
      refunds: checkbox("Credits are refunds (money back)"),
      fallback: field("Category when missing", { type: "text", name: "default_category", maxlength: 40 }),
      keep: checkbox("Also import rows that are already there"),
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
      el("legend", {}, "Columns"),
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
    preview.replaceChildren(el("p", { class: "card-sub" }, "Reading the file…"));
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
    const parts = [`${result.count} ${result.count === 1 ? "expense" : "expenses"} to import`];
    if (result.skipped_duplicates) parts.push(`${result.skipped_duplicates} already there`);
    if (result.skipped_income) parts.push(`${result.skipped_income} income skipped`);
    if (result.errors.length) parts.push(`${result.errors.length} with errors`);
    const rows = result.rows.map((row) =>
      el(
        "tr",
        { class: `import-row import-${row.status}` },
        el("td", {}, String(row.line)),
        el("td", {}, row.date ? formatDate(row.date) : ""),
        el("td", {}, row.category ?? ""),
        el("td", { class: "num" }, row.amount === null ? "" : amountText(row)),
        el("td", {}, row.description ?? ""),
        el("td", {}, row.status === "error" ? row.message : `${STATUS_TEXT[row.status]}${row.refund ? " (refund)" : ""}`),
      ),
    );
    const beyond = result.errors.filter((e) => !result.rows.some((r) => r.line === e.line));
    const blocks = [
      el("p", { class: result.errors.length ? "import-summary has-errors" : "import-summary" }, `${parts.join(", ")}.`),
      result.errors.length ? el("p", { class: "card-sub" }, "Fix the file or the columns above: nothing is imported while a row has an error.") : null,
      el(
        "div",
        { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Preview" },
        el(
          "table",
          { class: "import-table" },
          el("caption", { class: "visually-hidden" }, "Preview of the first rows"),
          el(
            "thead",
            {},
            el("tr", {}, ...["Line", "Date", "Category", "Amount", "Description", "Status"].map((h) => el("th", { scope: "col" }, h))),
          ),
          el("tbody", {}, ...rows),
        ),
      ),
      beyond.length
        ? el(
            "ul",
            { class: "import-errors", "aria-label": "More errors" },
            ...beyond.slice(0, 100).map((e) => el("li", {}, `Line ${e.line}: ${e.message}`)),
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
      toast(`Imported ${result.imported} ${result.imported === 1 ? "expense" : "expenses"}${skipped ? `, skipped ${skipped}` : ""}.`);
      emit(anchor, EXPENSES_CHANGED, { action: "import" });
      close();
    } catch (error) {
      showError(error);
    }
  }
}
