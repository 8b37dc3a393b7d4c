// Light and dark: follow the system until the person picks one, then remember the pick.

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
