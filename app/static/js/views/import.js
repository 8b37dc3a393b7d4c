// Import CSV, in a dialog built when opened and removed when closed: choose a file, check the
// guessed column mapping, see a preview (a dry run on the server) with its errors, then import.
// Emits "expenses-changed" after an import.

import { api } from "../api.js";
import { el, emit, field, uid } from "../dom.js";
import { formatDate, money } from "../format.js";
import { toast } from "./toast.js";

const DATE_FORMATS = ["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY"];
const AMOUNT_KINDS = [
  ["expense", "All expenses"],
  ["signed", "Negative = expense"],
  ["debit", "Debits (blank = income)"],
];
const GUESS = {
  date: /date|datum|buchung|fecha|day/i,
  amount: /amount|betrag|sum|value|importe|montant|debit|withdraw/i,
  category: /categ|kategor|type/i,
  description: /desc|memo|payee|narrative|verwendung|text|detail|name|reference/i,
};
const STATUS_TEXT = { ok: "Ready", duplicate: "Duplicate, skipped", income: "Income, skipped" };

/** The delimiter and cells of the first lines, enough to guess a mapping (the server parses for real). */
function sniff(text) {
  const lines = text.split(/\r?\n/).filter((line) => line.trim());
  const header = lines[0] ?? "";
  const delimiter = [";", ",", "\t"].reduce((best, d) => (header.split(d).length > header.split(best).length ? d : best), ",");
  const cells = (line) => {
    const out = [];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < line.length; i += 1) {
      const ch = line[i];
      if (quoted && ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = !quoted;
      else if (ch === delimiter && !quoted) {
        out.push(cell);
        cell = "";
      } else cell += ch;
    }
    out.push(cell);
    return out.map((c) => c.trim());
  };
  return { columns: cells(header.replace(/^\uFEFF/, "")), first: lines[1] ? cells(lines[1]) : [] };
}

/** UTF-8 if it is (a character cut at the slice's end aside), else Latin-1, as the server reads it. */
function decode(buffer) {
  const bytes = new Uint8Array(buffer);
  for (const end of [bytes.length, bytes.length - 1, bytes.length - 2, bytes.length - 3]) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, Math.max(0, end)));
    } catch {
      /* try a little shorter, then Latin-1 */
    }
  }
  return new TextDecoder("windows-1252").decode(bytes);
}

function guessMapping({ columns, first }) {
  const pick = (pattern, avoid = []) => columns.find((c) => pattern.test(c) && !avoid.includes(c)) ?? "";
  const date = pick(GUESS.date);
  const amount = pick(GUESS.amount, [date]);
  const mapping = {
    date,
    amount,
    category: pick(GUESS.category, [date, amount]),
    description: pick(GUESS.description, [date, amount]),
  };
  const sample = (column) => first[columns.indexOf(column)] ?? "";
  const day = sample(date);
  let format = "YYYY-MM-DD";
  if (/^\d{1,2}\.\d{1,2}\.\d{4}$/.test(day)) format = "DD.MM.YYYY";
  else if (/^\d{1,2}\/\d{1,2}\/\d{4}$/.test(day)) {
    const [a, b] = day.split("/").map(Number);
    format = b > 12 && a <= 12 ? "MM/DD/YYYY" : "DD/MM/YYYY";
  }
  const money = sample(amount);
  return {
    ...mapping,
    date_format: format,
    decimal_comma: /\d,\d{1,2}\)?-?$/.test(money) && !/\.\d{1,2}$/.test(money),
    kind: /debit|withdraw/i.test(amount) ? "debit" : money.trim().startsWith("-") ? "signed" : "expense",
  };
}

function select(label, options, { optional = false } = {}) {
  const f = field(label, { name: label }, { tag: "select" });
  const choices = options.map((o) => (Array.isArray(o) ? o : [o, o]));
  f.input.append(
    ...(optional ? [el("option", { value: "" }, "(none)")] : []),
    ...choices.map(([value, text]) => el("option", { value }, text)),
  );
  return f;
}

function checkbox(label) {
  const id = uid("check");
  const input = el("input", { type: "checkbox", id });
  return { input, wrap: el("div", { class: "check" }, input, el("label", { for: id }, label)) };
}

export function openImport(anchor) {
  const titleId = uid("dialog");
  const file = field("CSV file", { type: "file", name: "file", accept: ".csv,text/csv,text/plain" });
  const mappingBox = el("fieldset", { class: "import-mapping", hidden: true }, el("legend", {}, "Columns"));
  const preview = el("div", { class: "import-preview", "aria-live": "polite" });
  const formError = el("p", { class: "form-error", role: "alert", hidden: true });
  const cancel = el("button", { type: "button", class: "secondary" }, "Cancel");
  const submit = el("button", { type: "submit", class: "primary", disabled: true }, "Import");
  const form = el(
    "form",
    { class: "dialog-form", novalidate: true },
    el("h2", { id: titleId }, "Import CSV"),
    el("p", { class: "card-sub" }, "Our own export imports as it is; for a bank's file, say which column holds what."),
    file.wrap,
    mappingBox,
    formError,
    preview,
    el("div", { class: "dialog-actions" }, cancel, submit),
  );
  const dialog = el("dialog", { class: "dialog import-dialog", "aria-labelledby": titleId }, form);
  dialog.addEventListener("close", () => dialog.remove());
  cancel.addEventListener("click", () => dialog.close());

  let controls = null;
  let seq = 0;
  let ready = false;

  function fields() {
    const kind = controls.kind.input.value;
    const amountColumn = controls.amount.input.value || null;
    return {
      file: file.input.files[0],
      mapping: {
        date: controls.date.input.value,
        amount: kind === "debit" ? null : amountColumn,
        debit: kind === "debit" ? amountColumn : null,
        category: controls.category.input.value || null,
        description: controls.description.input.value || null,
        date_format: controls.format.input.value,
        decimal_comma: controls.comma.input.checked,
        negative_is_expense: kind === "signed",
      },
      default_category: controls.fallback.input.value.trim() || "Uncategorised",
      keep_duplicates: String(controls.keep.input.checked),
    };
  }

  function buildControls(columns, guess) {
    controls = {
      date: select("Date column", columns),
      amount: select("Amount column", columns),
      kind: select("Amounts are", AMOUNT_KINDS),
      category: select("Category column", columns, { optional: true }),
      description: select("Description column", columns, { optional: true }),
      format: select("Date format", DATE_FORMATS),
      comma: checkbox("Decimal comma (12,50)"),
      fallback: field("Category when missing", { type: "text", name: "default_category", maxlength: 40 }),
      keep: checkbox("Also import rows that are already there"),
    };
    controls.date.input.value = guess.date;
    controls.amount.input.value = guess.amount;
    controls.kind.input.value = guess.kind;
    controls.category.input.value = guess.category;
    controls.description.input.value = guess.description;
    controls.format.input.value = guess.date_format;
    controls.comma.input.checked = guess.decimal_comma;
    controls.fallback.input.value = "Uncategorised";
    mappingBox.replaceChildren(
      el("legend", {}, "Columns"),
      el("div", { class: "import-grid" }, ...Object.values(controls).map((c) => c.wrap)),
    );
    mappingBox.hidden = false;
    for (const c of Object.values(controls)) c.input.addEventListener("change", runPreview);
  }

  file.input.addEventListener("change", async () => {
    file.setError("");
    preview.replaceChildren();
    const chosen = file.input.files[0];
    if (!chosen) return;
    const head = sniff(decode(await chosen.slice(0, 64 * 1024).arrayBuffer()));
    buildControls(head.columns, guessMapping(head));
    runPreview();
  });

  async function runPreview() {
    const mine = ++seq;
    ready = false;
    submit.disabled = true;
    formError.hidden = true;
    preview.replaceChildren(el("p", { class: "card-sub" }, "Reading the file…"));
    try {
      const result = await api.importCsv({ ...fields(), dry_run: "true" });
      if (mine !== seq) return;
      showPreview(result);
      ready = result.errors.length === 0 && result.count > 0;
      submit.disabled = !ready;
    } catch (error) {
      if (mine !== seq) return;
      preview.replaceChildren();
      formError.textContent = error.message;
      formError.hidden = false;
    }
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
        el("td", { class: "num" }, row.amount === null ? "" : money(row.amount)),
        el("td", {}, row.description ?? ""),
        el("td", {}, row.status === "error" ? row.message : STATUS_TEXT[row.status]),
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

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!ready) return;
    submit.disabled = true;
    try {
      const result = await api.importCsv(fields());
      const skipped = result.skipped_duplicates + result.skipped_income;
      toast(`Imported ${result.imported} ${result.imported === 1 ? "expense" : "expenses"}${skipped ? `, skipped ${skipped}` : ""}.`);
      emit(anchor, "expenses-changed", { action: "import" });
      dialog.close();
    } catch (error) {
      formError.textContent = error.message;
      formError.hidden = false;
      submit.disabled = false;
    }
  });

  anchor.append(dialog);
  dialog.showModal();
  file.input.focus();
}
