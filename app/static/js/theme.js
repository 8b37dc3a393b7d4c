// Light and dark: follow the system until the person picks one, then remember the pick.

const KEY = "expense-tracker.theme";
const systemDark = matchMedia("(prefers-color-scheme: dark)");
export const THEME_CHANGE = "theme-change";

export function isDark() {
  const chosen = document.documentElement.dataset.theme;
  return chosen ? chosen === "dark" : systemDark.matches;
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
  if (!document.documentElement.dataset.theme) window.dispatchEvent(new CustomEvent(THEME_CHANGE));
});
