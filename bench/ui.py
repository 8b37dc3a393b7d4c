"""How fast the dashboard is with 3,000 expenses in one month. Prints numbers; not a test.

Start the app first (`make run`, or PORT=8021 .venv/bin/python -m app), then:
    .venv/bin/python bench/ui.py --url http://127.0.0.1:8000
It registers a throwaway user, adds 3,000 expenses to the current month and three budgets through
the API, then loads the dashboard in Chromium a few times and reports the time until the first 50
rows, the budget bars and the three charts are all on screen.
"""

import argparse
import random
import secrets
import time
from datetime import date

from playwright.sync_api import sync_playwright

CATEGORIES = ["Food", "Rent", "Fun", "Transport", "Books", "Health"]
READY = (
    "() => document.querySelectorAll('.expense').length === 50"
    " && document.querySelectorAll('[role=progressbar]').length === 3"
    " && window.Chart && Object.keys(Chart.instances).length === 3"
    " && document.querySelectorAll('.data-table tbody tr').length > 0"
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--expenses", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    rng = random.Random(4)
    today = date.today()

    with sync_playwright() as p:
        api = p.request.new_context(base_url=args.url)
        email = f"bench-{secrets.token_hex(4)}@example.com"
        registered = api.post("/api/auth/register", data={"email": email, "password": secrets.token_hex(8)})
        token = registered.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        for n in range(args.expenses):
            body = {
                "date": today.replace(day=rng.randint(1, 28)).isoformat(),
                "category": rng.choice(CATEGORIES),
                "amount": f"{rng.randint(1, 99)}.{rng.randint(0, 99):02d}",
                "description": f"Item {n}",
            }
            api.post("/api/expenses", data=body, headers=headers)
        for category in CATEGORIES[:3]:
            api.post("/api/budgets", data={"category": category, "amount": "5000"}, headers=headers)
        print(f"seeded {args.expenses} expenses in {time.perf_counter() - started:.1f} s")

        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(args.url + "/")
        page.evaluate("token => sessionStorage.setItem('expense-tracker.token', token)", token)
        timings = []
        for _ in range(args.runs):
            page.reload()
            page.wait_for_function(READY)
            timings.append(page.evaluate("performance.now()"))
        print("dashboard ready after navigation start (ms):", ", ".join(f"{t:.0f}" for t in timings))
        print(f"median {sorted(timings)[len(timings) // 2]:.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
