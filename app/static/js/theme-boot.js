// A classic (blocking) script: set the theme before the stylesheet paints anything, from the
// saved choice or else the system's preference. CSS styles only [data-theme].
(function () {
  var theme = null;
  try {
    theme = localStorage.getItem("expense-tracker.theme");
  } catch (e) {
    /* storage blocked: follow the system */
  }
  if (theme !== "light" && theme !== "dark") {
    theme = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.dataset.theme = theme;
})();
