// The phone's bottom navigation: a link per screen (the address holds the screen, so Back works),
// with Add in the middle as the one large button.

import { el } from "../dom.js";
import { t } from "../i18n.js";

const SVG = "http://www.w3.org/2000/svg";
// 24 x 24 outline icons, drawn with the text colour.
const ICONS = {
  expenses: "M4 6h16M4 12h16M4 18h10",
  budgets: "M12 3a9 9 0 1 0 9 9h-9z M14.5 2.5v7h7a7 7 0 0 0-7-7z",
  add: "M12 5v14M5 12h14",
  balances: "M4 8h13l-3-3M20 16H7l3 3",
  charts: "M5 20V11M10 20V5M15 20v-7M20 20V9",
};

function icon(id) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "nav-icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[id]);
  svg.append(path);
  return svg;
}

/** `screens` from screens.js; update(current, addressOf) points each link at its screen's address. */
export function bottomNav(screens) {
  const links = screens.map((s) =>
    el(
      "a",
      { class: `nav-link nav-${s.id}`, href: "#", dataset: { screen: s.id } },
      icon(s.id),
      // "Add expense" is said, "Add" is shown: the words shown begin the name that is heard.
      s.id === "add"
        ? el("span", { class: "nav-label" }, t("nav.add"), el("span", { class: "visually-hidden" }, t("nav.addRest")))
        : el("span", { class: "nav-label" }, s.label),
    ),
  );
  const root = el("nav", { class: "bottom-nav", "aria-label": t("nav.screens") }, links);

  function update(current, addressOf) {
    for (const link of links) {
      link.setAttribute("href", addressOf(link.dataset.screen));
      if (link.dataset.screen === current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  return { root, update };
}
