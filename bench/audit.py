"""`make audit`: Lighthouse's four scores for the log-in page and the dashboard. Prints a table; not a test.

Serves the app the way the browser tests do (tests/server.py: uvicorn on a free loopback port, a
throwaway SQLite file), registers a user with a month of expenses and a few budgets through the API,
and runs Lighthouse 12.8.2 (tools/lighthouse, installed by `make audit` from its lock file) with
mobile emulation and a cold cache on each page. CI does not run it; bench/RESULTS.md keeps results.
Each page is audited RUNS times (3 unless the environment says) and the run with the median
performance score is printed, as Lighthouse's own advice goes: one run on a busy machine varies by
ten points. The CPU column is Lighthouse's benchmark index of the machine at the time (higher is
faster; its throttling assumes one of about 1,000-2,000): on a loaded machine scores drop. With
AUDIT_REPORTS=<folder>, the median run's whole report is written there as JSON.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402

from tests.server import start_server, stop_server  # noqa: E402

TOOLS = ROOT / "tools" / "lighthouse"
CATEGORIES = ["Groceries", "Rent", "Coffee", "Transport", "Eating out", "Utilities", "Books"]


def seed(url: str) -> str:
    """A user with 60 expenses this month and last, and three budgets; returns the session token."""
    with httpx2.Client(base_url=url, timeout=30) as client:
        answer = client.post(
            "/api/auth/register",
            json={"email": "audit@example.com", "password": "audit password 1", "display_name": "Audit"},
        )
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        today = date.today()
        for n in range(60):
            day = today - timedelta(days=n % 45)
            amount = f"{(n * 37) % 120 + 3}.{n % 100:02d}"
            expense = {"date": day.isoformat(), "category": CATEGORIES[n % len(CATEGORIES)], "amount": amount}
            client.post("/api/expenses", json={**expense, "description": f"Item {n}"}).raise_for_status()
        for category, amount in [("Groceries", "400"), ("Coffee", "60"), ("Eating out", "150")]:
            client.post("/api/budgets", json={"category": category, "amount": amount}).raise_for_status()
        return token


RUNS = int(os.environ.get("RUNS", "3"))
SCORES = ("performance", "accessibility", "best-practices", "seo")
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
)


def audit_once(url: str, token: str | None, report: Path) -> dict[str, Any]:
    command = ["node", str(TOOLS / "audit.mjs"), url, *([token] if token else [])]
    env = {**os.environ, "LIGHTHOUSE_REPORT": str(report)}
    done = subprocess.run(
        command, cwd=TOOLS, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"Lighthouse failed on {url}:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def audit(name: str, url: str, token: str | None) -> dict[str, Any]:
    """The run with the median performance score of RUNS runs."""
    work = Path(tempfile.mkdtemp(prefix="expense-audit-reports-"))
    runs = [(audit_once(url, token, work / f"{n}.json"), work / f"{n}.json") for n in range(RUNS)]
    runs.sort(key=lambda run: run[0]["performance"])
    result, report = runs[len(runs) // 2]
    if folder := os.environ.get("AUDIT_REPORTS"):
        shutil.copy(report, Path(folder) / f"{name}.json")
    shutil.rmtree(work)
    return result


def main() -> None:
    server = start_server(Path(tempfile.mkdtemp(prefix="expense-audit-")))
    try:
        token = seed(server.url)
        pages = [("log-in", None), ("dashboard", token)]
        print(f"Lighthouse 12.8.2, mobile, cold cache; the median of {RUNS} runs by performance")
        print("| page | performance | accessibility | best practices | SEO | FCP | LCP | TBT | CLS | CPU |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, page_token in pages:
            result = audit(name, f"{server.url}/", page_token)
            row = [name, *(result[category] for category in SCORES)]
            row += [result["metrics"][metric] for metric in METRICS]
            row.append(result["benchmarkIndex"])
            print("| " + " | ".join(str(cell) for cell in row) + " |", flush=True)
            if result["failing"]:
                failing = ", ".join(result["failing"])
                print(f"  {name}: audits under 0.9: {failing}", file=sys.stderr)
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
