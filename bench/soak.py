"""`make soak`: 50 simulated users with mixed reads and writes against one served app, for DURATION.

Seeds like `make bench` (100,000 expenses for one account, 200 more accounts with 500 each), serves
it as `make run` does (one worker, SQLite, access log off) on a free loopback port, and lets users
1 to 50 of those accounts work at once, each sending its next request as soon as the last is
answered: list, summary, stats, add, edit and delete expenses, read and set budgets. Prints, each
minute, the p50 and p95 of that minute's requests and the server's RSS; at the end the p50 of the
whole run and whether RSS stayed flat (max/min within 10%) over the last half. Not a test.

    python bench/soak.py --seconds 1200   # make soak; make soak DURATION=120 for a short check
"""

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import CATEGORIES, TODAY, WORK, proc_status, seed, serve
from sqlalchemy import select

from app.access import create_access_token
from app.database import make_engine
from app.models import User

USERS = 50
# What a person mostly does: look, then now and then write. Weights, not percentages.
ACTIONS = {
    "list": 30,
    "summary": 20,
    "stats": 10,
    "add": 15,
    "edit": 10,
    "delete": 8,
    "budgets": 4,
    "set budget": 3,
}
MAX_OWN = 200  # expenses a simulated user remembers for edits and deletes; older ones stay


@dataclass
class Minute:
    latencies: list[float] = field(default_factory=list)  # milliseconds
    actions: list[str] = field(default_factory=list)  # what each latency was for
    failed: int = 0


def tokens(url: str) -> list[str]:
    """Tokens for user0..user49, minted here: 50 log-ins would trip the log-in throttle."""
    engine = make_engine(url)
    with engine.connect() as conn:
        users = [
            User(id=row.id, token_version=row.token_version)
            for row in conn.execute(
                select(User.id, User.token_version)
                .where(User.email.like("user%@bench.example"))
                .order_by(User.id)
                .limit(USERS)
            )
        ]
    engine.dispose()
    return [create_access_token(user) for user in users]


async def simulate(
    base: str, token: str, seed_: int, end: float, minutes: list[Minute], began: float
) -> None:
    import httpx2 as httpx  # a dev dependency, as in bench/run.py

    rng = random.Random(seed_)
    own: list[int] = []
    names, weights = list(ACTIONS), list(ACTIONS.values())
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        while time.monotonic() < end:
            action = rng.choices(names, weights)[0]
            if action in ("edit", "delete") and not own:
                action = "add"
            day = (TODAY - timedelta(days=rng.randrange(60))).isoformat()
            started = time.perf_counter()
            if action == "list":
                response = await client.get("/api/expenses")
            elif action == "summary":
                response = await client.get("/api/summary")
            elif action == "stats":
                start = (TODAY - timedelta(days=89)).isoformat()
                response = await client.get(f"/api/stats?start={start}&end={TODAY}&granularity=day")
            elif action == "add":
                body = {
                    "date": day,
                    "category": rng.choice(CATEGORIES),
                    "amount": f"{rng.randrange(1, 9999)}.50",
                }
                response = await client.post("/api/expenses", json=body)
                if response.status_code == 201:
                    own.append(response.json()["id"])
                    del own[:-MAX_OWN]
            elif action == "edit":
                body = {"amount": f"{rng.randrange(1, 9999)}", "description": "edited"}
                response = await client.patch(f"/api/expenses/{rng.choice(own)}", json=body)
            elif action == "delete":
                response = await client.delete(f"/api/expenses/{own.pop(rng.randrange(len(own)))}")
            elif action == "budgets":
                response = await client.get("/api/budgets")
            else:
                body = {"category": rng.choice(CATEGORIES), "amount": str(rng.randrange(100, 900))}
                response = await client.post("/api/budgets", json=body)
            now = time.monotonic()
            minute = minutes[min(int((now - began) // 60), len(minutes) - 1)]
            minute.latencies.append((time.perf_counter() - started) * 1e3)
            minute.actions.append(action)
            minute.failed += response.status_code >= 400


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


async def soak(base: str, pid: int, seconds: float, user_tokens: list[str]) -> None:
    count = max(1, -(-int(seconds) // 60))  # whole minutes, the last one possibly short
    minutes = [Minute() for _ in range(count)]
    rss: list[float] = []
    began = time.monotonic()
    end = began + seconds
    users = [
        asyncio.create_task(simulate(base, token, i, end, minutes, began))
        for i, token in enumerate(user_tokens)
    ]
    print("| minute | requests | req/s | p50 ms | p95 ms | failed | server RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for i, minute in enumerate(minutes):
        await asyncio.sleep(max(0.0, min(began + 60 * (i + 1), end) - time.monotonic()))
        rss.append(proc_status(pid, "VmRSS") / 1024)
        length = min(60.0, seconds - 60 * i)
        done = minute.latencies
        rate, p50, p95 = len(done) / length, pct(done, 50), pct(done, 95)
        print(
            f"| {i + 1} | {len(done):,} | {rate:,.0f} | {p50:.1f} | {p95:.1f} | {minute.failed}"
            f" | {rss[-1]:.0f} |",
            flush=True,
        )
    await asyncio.gather(*users)
    every = [ms for minute in minutes for ms in minute.latencies]
    failed = sum(minute.failed for minute in minutes)
    late = rss[len(rss) // 2 :]
    spread = max(late) / min(late)
    by_action: dict[str, list[float]] = {}
    for minute in minutes:
        for action, ms in zip(minute.actions, minute.latencies, strict=True):
            by_action.setdefault(action, []).append(ms)
    print("\n| action | requests | p50 ms | p95 ms |\n|---|---|---|---|")
    for action, done in by_action.items():
        print(f"| {action} | {len(done):,} | {pct(done, 50):.1f} | {pct(done, 95):.1f} |")
    flat = "flat" if spread <= 1.10 else "NOT flat"
    print(
        f"\n{len(user_tokens)} users, {seconds:.0f} s: {len(every) / seconds:,.0f} req/s,"
        f" p50 {statistics.median(every):.1f} ms, p95 {pct(every, 95):.1f} ms, {failed} failed;"
        f" RSS {rss[0]:.0f} -> {rss[-1]:.0f} MB, last half {min(late):.0f}-{max(late):.0f} MB:"
        f" max/min {spread:.3f}, {flat} (within 10%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=1200, help="how long the users work (default 20 min)"
    )
    parser.add_argument(
        "--root", type=Path, help="serve another checkout (a before/after), on this checkout's schema"
    )
    args = parser.parse_args()
    url = f"sqlite:///{WORK / 'soak.db'}"
    try:
        seed(url)
        user_tokens = tokens(url)
        with serve(url, root=args.root, migrate=False) if args.root else serve(url) as server:
            asyncio.run(soak(server.base, server.pid, args.seconds, user_tokens))
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
