// A classic (blocking) script: set the saved theme before the stylesheet paints anything.
(function () {
  try {
    var theme = localStorage.getItem("expense-tracker.theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (e) {
    /* storage blocked: follow the system */
  }
})();
