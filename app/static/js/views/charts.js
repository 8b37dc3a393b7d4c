// The three charts. This module alone owns the Chart.js instances: each is made once and then
// updated in place (chart.data = ...; chart.update()), so nothing is duplicated or flickers.
// Every canvas has an accessible name and a table with the same numbers. Chart.js (its UMD file
// sets the global Chart) is loaded the first time a chart is on screen, not with the page.

import { el } from "../dom.js";
import { dayOfMonth, formatDate, formatMonth, formatWeekday, money, moneyShort } from "../format.js";
import { t } from "../i18n.js";

const CHARTS = [
  { key: "category", get title() { return t("charts.byCategory"); }, type: "doughnut" },
  { key: "trend", get title() { return t("charts.trend"); }, type: "bar" },
  { key: "budget", get title() { return t("charts.budgetVsSpent"); }, type: "bar" },
];

const PALETTE = ["#4f7cff", "#22b59a", "#f2a93b", "#e8637a", "#9a6bff", "#3fb6e8", "#8fbf3f", "#ff8a4c", "#c05fc9", "#6c7a96"];

let loading = null;
/** Chart.js, loaded once; relative to this module, so from the same version of the files. */
function chartJs() {
  loading ??= import("../../vendor/chartjs/chart.umd.js").then(
    () => window.Chart,
    (error) => {
      loading = null; // try again at the next draw
      throw error;
    },
  );
  return loading;
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export function chartsView() {
  const instances = new Map();
  const figures = new Map();
  const latest = new Map();
  const pending = new Map(); // what to draw once the charts are on screen and Chart.js is here
  let onScreen = false; // kept by the ResizeObserver below: asking the layout here would force one

  const root = el(
    "section",
    { class: "charts", "aria-label": t("screen.charts") },
    CHARTS.map(({ key, title }) => {
      const headingId = `chart-${key}-title`;
      const canvas = el("canvas", { role: "img", "aria-label": title });
      const caption = el("p", { class: "card-sub" });
      const empty = el("p", { class: "chart-empty", hidden: true });
      const table = el("table", { class: "data-table" });
      const figure = el(
        "figure",
        { class: `card chart chart-${key}` },
        el("h2", { id: headingId }, title),
        caption,
        el("div", { class: "chart-box" }, canvas, empty),
        el("details", {}, el("summary", {}, t("charts.numbers", { title })), table),
      );
      figures.set(key, { figure, canvas, caption, empty, table });
      return figure;
    }),
  );

  let colours = null; // read from CSS once per theme: each read after a change costs a style pass
  function theme() {
    colours ??= {
      text: cssVar("--muted") || "#666",
      grid: cssVar("--border") || "#ddd",
      accent: cssVar("--accent") || "#4f7cff",
      soft: cssVar("--chart-soft") || "#c7d3f5",
      ok: cssVar("--ok-fill") || "#22a05a",
      warning: cssVar("--warning-fill") || "#e39b17",
      over: cssVar("--over-fill") || "#d64545",
      surface: cssVar("--surface") || "#fff",
    };
    return colours;
  }

  function baseOptions({ key, type }) {
    const colors = theme();
    const reduced = matchMedia("(prefers-reduced-motion: reduce)").matches;
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduced ? false : { duration: 250 },
      plugins: {
        legend: { display: key !== "trend", position: "bottom", labels: { color: colors.text, boxWidth: 12 } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ? `${ctx.dataset.label}: ` : ""}${money(ctx.raw)}` } },
      },
    };
    if (type === "doughnut") {
      options.plugins.tooltip.callbacks.label = (ctx) => `${ctx.label}: ${money(ctx.raw)}`;
    } else {
      options.scales = {
        x: { ticks: { color: colors.text, maxRotation: 0, autoSkip: true }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { color: colors.text, callback: (v) => (Number.isInteger(v) ? moneyShort(v) : null) }, grid: { color: colors.grid } },
      };
    }
    return options;
  }

  function draw(key, data) {
    pending.set(key, data);
    drawPending();
  }

  /** Draw what waits, if the charts are on screen (not on another phone screen, not logged out). */
  async function drawPending() {
    if (!pending.size || !onScreen) return;
    let Chart;
    try {
      Chart = await chartJs();
    } catch (error) {
      console.error(error); // the numbers are still in each chart's table
      return;
    }
    if (!root.isConnected) return; // destroyed meanwhile
    const todo = [...pending];
    pending.clear();
    for (const [key, data] of todo) drawNow(Chart, key, data);
  }

  function drawNow(Chart, key, data) {
    const chart = instances.get(key);
    if (chart) {
      // Mutate the existing datasets: Chart.js then animates only the values that changed, so an
      // unchanged chart stays still instead of regrowing from zero.
      chart.data.labels = data.labels;
      data.datasets.forEach((dataset, i) => {
        if (chart.data.datasets[i]) Object.assign(chart.data.datasets[i], dataset);
        else chart.data.datasets.push(dataset);
      });
      chart.data.datasets.length = data.datasets.length;
      chart.update();
      return;
    }
    const spec = CHARTS.find((c) => c.key === key);
    instances.set(key, new Chart(figures.get(key).canvas, { type: spec.type, data, options: baseOptions(spec) }));
  }

  function fillTable(key, head, rows) {
    const { table } = figures.get(key);
    table.replaceChildren(
      el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c, i) => (i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c)))))),
    );
  }

  function setEmpty(key, message) {
    const { empty, canvas } = figures.get(key);
    empty.textContent = message ?? "";
    empty.hidden = !message;
    canvas.classList.toggle("is-empty", Boolean(message));
  }

  /** stats: the period's /api/stats; label: the period written out. */
  function showCategories(stats, label) {
    latest.set("category", [stats, label]);
    if (!onScreen) return; // shown when the charts are (a phone's other screen): no work for nothing
    const colors = theme();
    const items = stats.by_category;
    // Net of refunds: a category that got more back than it spent has no slice (the table lists it).
    const slices = items.filter((c) => c.amount > 0);
    figures.get("category").caption.textContent = label;
    draw("category", {
      labels: slices.map((c) => c.category),
      datasets: [{
        data: slices.map((c) => c.amount),
        backgroundColor: slices.map((_, i) => PALETTE[i % PALETTE.length]),
        borderColor: colors.surface,
        borderWidth: 2,
      }],
    });
    setEmpty("category", items.length ? null : t("charts.nothingPeriod"));
    fillTable("category", [t("field.category"), t("totals.spent")], items.map((c) => [c.category, money(c.amount)]));
  }

  /** stats: /api/stats by day for a month or a week; highlight: a day to pick out (day view). */
  function showTrend(stats, { kind, highlight }) {
    latest.set("trend", [stats, { kind, highlight }]);
    if (!onScreen) return; // shown when the charts are (a phone's other screen): no work for nothing
    const colors = theme();
    const points = stats.trend;
    const short = kind === "month" ? dayOfMonth : formatWeekday;
    figures.get("trend").caption.textContent =
      kind === "month" ? t("charts.byDayMonth", { month: formatMonth(stats.start) }) : t("charts.byDayWeek", { date: formatDate(stats.start) });
    draw("trend", {
      labels: points.map((p) => short(p.period_start)),
      datasets: [{
        label: t("totals.spent"),
        data: points.map((p) => p.amount),
        backgroundColor: points.map((p) => (highlight && p.period_start !== highlight ? colors.soft : colors.accent)),
        borderRadius: 4,
        maxBarThickness: 36,
      }],
    });
    const anything = points.some((p) => Number(p.amount) > 0);
    setEmpty("trend", anything ? null : t("charts.nothingTime"));
    fillTable("trend", [t("period.day"), t("totals.spent")], points.map((p) => [formatDate(p.period_start), money(p.amount)]));
  }

  /** summary: /api/summary for the period's month. */
  function showBudgets(summary) {
    latest.set("budget", [summary]);
    if (!onScreen) return; // shown when the charts are (a phone's other screen): no work for nothing
    const colors = theme();
    const lines = summary.categories.filter((c) => c.budget !== null);
    figures.get("budget").caption.textContent = formatMonth(summary.start);
    draw("budget", {
      labels: lines.map((c) => c.category),
      datasets: [
        { label: t("charts.budget"), data: lines.map((c) => c.budget), backgroundColor: colors.soft, borderRadius: 4, maxBarThickness: 36 },
        {
          label: t("totals.spent"),
          data: lines.map((c) => c.spent),
          backgroundColor: lines.map((c) => colors[c.status] ?? colors.accent),
          borderRadius: 4,
          maxBarThickness: 36,
        },
      ],
    });
    setEmpty("budget", lines.length ? null : t("charts.noBudgets"));
    fillTable(
      "budget",
      [t("field.category"), t("charts.budget"), t("totals.spent"), t("charts.remaining")],
      lines.map((c) => [c.category, money(c.budget), money(c.spent), money(c.remaining)]),
    );
  }

  /** Colours come from CSS variables: after a theme change, rebuild the options in place. */
  function retheme() {
    colours = null;
    for (const [key, chart] of instances) {
      chart.options = baseOptions(CHARTS.find((c) => c.key === key));
      chart.update("none");
    }
    showLatest();
  }

  function showLatest() {
    for (const [key, args] of latest) {
      ({ category: showCategories, trend: showTrend, budget: showBudgets })[key](...args);
    }
  }

  function destroy() {
    for (const chart of instances.values()) chart.destroy();
    instances.clear();
    pending.clear();
    shown.disconnect();
  }

  /** Fit the charts to their boxes again: a chart drawn while its phone screen was hidden had none. */
  function resize() {
    for (const chart of instances.values()) chart.resize();
  }

  // Shown (a phone screen, the desktop layout) or hidden: a size from or to zero. What came while
  // hidden is shown now: its tables, captions and charts (the colours read from CSS cost a style pass).
  const shown = new ResizeObserver(([entry]) => {
    const was = onScreen;
    onScreen = entry.contentRect.width > 0;
    if (onScreen && !was) showLatest();
  });
  shown.observe(root);

  return { root, showCategories, showTrend, showBudgets, retheme, destroy, resize };
}
