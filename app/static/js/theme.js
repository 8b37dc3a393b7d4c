// Light and dark: follow the system until the person picks one, then remember the pick.

import { el } from "./dom.js";
import { t } from "./i18n.js";

const KEY = "expense-tracker.theme";
const systemDark = matchMedia("(prefers-color-scheme: dark)");
export const THEME_CHANGE = "theme-change";

function savedChoice() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage blocked: follow the system
  }
}

export function isDark() {
  return document.documentElement.dataset.theme === "dark";
}

export function setDark(dark) {
  const theme = dark ? "dark" : "light";
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    /* storage blocked: the choice lasts for this page only */
  }
  window.dispatchEvent(new CustomEvent(THEME_CHANGE));
}

systemDark.addEventListener("change", () => {
  if (savedChoice()) return;
  document.documentElement.dataset.theme = systemDark.matches ? "dark" : "light";
  window.dispatchEvent(new CustomEvent(THEME_CHANGE));
});

/** The header button that switches between light and dark. */
export function themeToggle() {
  const button = el(
    "button",
    { type: "button", class: "icon-button", "aria-label": t("theme.dark"), title: t("theme.dark") },
    el("span", { "aria-hidden": "true", class: "theme-icon" }),
  );
  const sync = () => button.setAttribute("aria-pressed", String(isDark()));
  button.addEventListener("click", () => setDark(!isDark()));
  window.addEventListener(THEME_CHANGE, sync);
  sync();
  return button;
}
