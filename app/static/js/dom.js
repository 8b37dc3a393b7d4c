// The one way this app builds DOM: elements and text nodes, never HTML strings.

/**
 * el("button", {class: "primary", type: "submit", onclick: fn}, "Save")
 * Props: `class`, `text` (textContent), `value`/`checked`/`disabled` (properties), `dataset`,
 * `on<event>` (listeners); everything else becomes an attribute (`true` means present).
 * Children are nodes or strings (strings become text nodes); null/false are skipped.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "value" || key === "checked" || key === "disabled") node[key] = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child);
  }
}

let ids = 0;
/** A unique id for pairing labels, hints and errors with their fields. */
export function uid(prefix = "f") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** Tell the views above that something happened: they listen on an ancestor. */
export function emit(node, name, detail = {}) {
  node.dispatchEvent(new CustomEvent(name, { bubbles: true, detail }));
}

/** One of the small buttons on a list row that change data (hidden from viewers by the "write"
 * class); `label` says which row it acts on, for screen readers. */
export function rowButton(text, label, onclick, { danger = false } = {}) {
  return el("button", { type: "button", class: danger ? "small danger-text write" : "small write", "aria-label": label, onclick }, text);
}

/** Save a Blob as a file through a temporary link (the API answered it; nothing is navigated). */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
