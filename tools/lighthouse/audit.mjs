// Lighthouse 12.8.2 on one page of a running app, mobile emulation, cold cache; prints one JSON line
// {page, performance, accessibility, "best-practices", seo, metrics} on stdout. Driven by
// bench/audit.py (`make audit`), which starts the app with a throwaway database.
//
//   node audit.mjs URL [TOKEN]
//
// With LIGHTHOUSE_REPORT=path.json set, the whole report is also written there (open it in the
// Lighthouse viewer, or read the audits' details).
// With TOKEN the page opens logged in: the app keeps its session in localStorage, which no request
// header can set, so the token is written there first from a same-origin address that loads none of
// the page's files (/api/health), then the HTTP cache is emptied and Lighthouse runs without its own
// storage reset (which would also delete the token).
import { writeFileSync } from "node:fs";
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const [url, token] = process.argv.slice(2);
const CHROMIUM_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  args: CHROMIUM_FLAGS,
  headless: true,
});
try {
  const page = await browser.newPage();
  const session = await page.createCDPSession();
  const origin = new URL(url).origin;
  await session.send("Storage.clearDataForOrigin", { origin, storageTypes: "all" });
  if (token) {
    await page.goto(`${origin}/api/health`);
    await page.evaluate((value) => {
      localStorage.setItem("expense-tracker.token", value);
      localStorage.setItem("expense-tracker.keep", "false");
      localStorage.setItem("expense-tracker.renewed", String(Date.now()));
    }, token);
  }
  await session.send("Network.clearBrowserCache");
  const flags = { output: "json", logLevel: "error", disableStorageReset: Boolean(token), formFactor: "mobile" };
  const result = await lighthouse(url, flags, undefined, page);
  if (process.env.LIGHTHOUSE_REPORT) writeFileSync(process.env.LIGHTHOUSE_REPORT, JSON.stringify(result.lhr));
  const { categories, audits } = result.lhr;
  const score = (name) => Math.round(categories[name].score * 100);
  const metric = (name) => audits[name]?.displayValue ?? null;
  const failing = Object.values(audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "notApplicable")
    .map((a) => a.id);
  console.log(
    JSON.stringify({
      url,
      performance: score("performance"),
      accessibility: score("accessibility"),
      "best-practices": score("best-practices"),
      seo: score("seo"),
      benchmarkIndex: Math.round(result.lhr.environment.benchmarkIndex),
      metrics: Object.fromEntries(
        ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"].map((m) => [m, metric(m)]),
      ),
      failing,
    }),
  );
} finally {
  await browser.close();
}
