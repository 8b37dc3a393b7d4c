"""`make bench`: how the app holds up with 100,000 expenses. Prints one Markdown table; not a test.

Seeds a fresh database through the app's own models, serves it the way `make run` does (one
uvicorn worker, access log off) on a free loopback port, and loads it from a separate process:
wrk when installed, otherwise an asyncio httpx client. Every run is bounded in time.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="expense-bench-"))
os.environ.update(
    DATA_DIR=str(WORK),
    SECRET_KEY=secrets.token_urlsafe(48),
    DATABASE_URL=f"sqlite:///{WORK}/unused.db",
    AUTO_MIGRATE="false",
)
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, literal, select, text  # noqa: E402

from app.access import hash_password  # noqa: E402
from app.database import make_engine  # noqa: E402
from app.migrate import upgrade_to_head  # noqa: E402
from app.models import Budget, Expense, ExpenseSplit, Ledger, LedgerMember, User  # noqa: E402
from app.services.totals import rebuild as rebuild_totals  # noqa: E402
from app.types import category_key  # noqa: E402

WRK_SCRIPT = ROOT / "bench" / "wrk_report.lua"
HEAVY_EMAIL, PASSWORD = "heavy@bench.example", "bench password 1"
HEAVY_EXPENSES, OTHER_USERS, OTHER_EXPENSES = 100_000, 200, 500
CATEGORIES = [
    "Rent",
    "Groceries",
    "Eating out",
    "Coffee",
    "Transport",
    "Fuel",
    "Utilities",
    "Phone",
    "Internet",
    "Health",
    "Clothes",
    "Gifts",
    "Travel",
    "Books",
    "Entertainment",
]
WORDS = [
    "weekly shop",
    "coffee with Sam",
    "train ticket",
    "birthday present",
    "lunch",
    "monthly bill",
    "taxi home",
]
TODAY = date.today()
EUR_RATE = Decimal("1.0823")


# Seeding
def seed(url: str) -> int:
    """Fill an empty database; return the heavy user's personal ledger id."""
    upgrade_to_head(url)
    engine = make_engine(url)
    rng = random.Random(42)
    password_hash = hash_password(PASSWORD)  # one hash for every account: seeding is not the benchmark

    def expenses(user_id: int, ledger_id: int, count: int) -> list[dict[str, Any]]:
        rows = []
        for _ in range(count):
            category = rng.choice(CATEGORIES)
            cents = rng.randrange(50, 25_000)
            # One in ten bought abroad, in euros at a rate of the day: the ledger's totals sum base amounts.
            foreign = rng.random() < 0.1
            rows.append(
                {
                    "ledger_id": ledger_id,
                    "user_id": user_id,
                    "paid_by": user_id,
                    "date": TODAY - timedelta(days=rng.randrange(5 * 365)),
                    "category": category,
                    "category_key": category_key(category),
                    "amount_minor": cents,
                    "currency": "EUR" if foreign else "USD",
                    "rate": str(EUR_RATE) if foreign else "1",
                    "rate_source": "ecb" if foreign else "same",
                    "rate_date": TODAY - timedelta(days=3) if foreign else None,
                    "base_amount_minor": int((cents * EUR_RATE).quantize(1, ROUND_HALF_UP))
                    if foreign
                    else cents,
                    "description": rng.choice(WORDS),
                }
            )
        return rows

    with engine.begin() as conn:
        users = [{"email": HEAVY_EMAIL, "password_hash": password_hash}] + [
            {"email": f"user{i}@bench.example", "password_hash": password_hash} for i in range(OTHER_USERS)
        ]
        ids = [row[0] for row in conn.execute(insert(User).returning(User.id), users)]
        # What registration creates (app.services.users.create_personal_ledger): a personal ledger
        # per account, owned by it.
        ledgers = [{"name": "Personal", "currency": "USD", "personal_of": user_id} for user_id in ids]
        conn.execute(insert(Ledger), ledgers)
        ledger_of = dict(conn.execute(select(Ledger.personal_of, Ledger.id)).all())
        members = [{"ledger_id": ledger_of[user_id], "user_id": user_id, "role": "owner"} for user_id in ids]
        conn.execute(insert(LedgerMember), members)
        heavy = ids[0]
        # Multi-row INSERTs, not executemany: PostgreSQL's per-statement triggers would fire once a
        # row, each bumping the ledger's row again in one transaction, and every later foreign-key
        # check walks that ever longer chain of versions (the seeding took over 10 minutes).
        rows = expenses(heavy, ledger_of[heavy], HEAVY_EXPENSES)
        for user_id in ids[1:]:
            rows += expenses(user_id, ledger_of[user_id], OTHER_EXPENSES)
        for start in range(0, len(rows), 1000):
            conn.execute(insert(Expense).values(rows[start : start + 1000]))
        # Every expense has its split rows: here one, the payer bearing all of it, as the app writes.
        split_columns = ["expense_id", "user_id", "ledger_id", "shares", "amount_minor", "base_amount_minor"]
        parts = select(
            Expense.id,
            Expense.paid_by,
            Expense.ledger_id,
            literal(1),
            Expense.amount_minor,
            Expense.base_amount_minor,
        )
        conn.execute(insert(ExpenseSplit).from_select(split_columns, parts))
        budgets = [
            {
                "ledger_id": ledger_of[heavy],
                "user_id": heavy,
                "category": c,
                "category_key": category_key(c),
                "amount_minor": 40_000,
            }
            for c in CATEGORIES
        ]
        conn.execute(insert(Budget), budgets)
        rebuild_totals(conn)  # the bulk insert bypassed the app's own bookkeeping, per ledger
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return ledger_of[heavy]


# Serving
@dataclass
class Server:
    base: str
    pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(url: str, workers: int = 1, root: Path = ROOT, migrate: bool = True) -> Iterator[Server]:
    """The app in `root` (another checkout, for bench/ab.py) served on a free loopback port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "WORKERS": str(workers)}
    env.update(ACCESS_LOG="false", AUTO_MIGRATE=str(migrate).lower(), HOST="127.0.0.1")
    log = open(WORK / f"server-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=root, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a busy shared machine migrates a new database slowly
    try:  # a server too slow to start is stopped too, not left running
        while True:
            try:
                urllib.request.urlopen(base + "/api/health", timeout=1).read()  # noqa: S310
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {log.name}") from None
                time.sleep(0.2)
        yield Server(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # on a busy machine; the figures are taken, so do not lose them
            print("the server did not stop within 20 s of SIGTERM; killed", file=sys.stderr)
            proc.kill()
            proc.wait()
        log.close()


def call(base: str, path: str, body: dict[str, Any] | None = None, token: str = "") -> Any:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body else None)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


def proc_status(pid: int, field: str) -> int:
    """A /proc/<pid>/status memory figure in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


# Load
@dataclass
class Load:
    p50: float  # milliseconds
    p95: float
    p99: float
    rps: float
    failed: int


def load(
    base: str,
    path: str,
    *,
    connections: int,
    seconds: float,
    method: str = "GET",
    body: str = "",
    token: str = "",
    bodies: tuple[str, ...] = (),
    fresh: bool = False,
    if_none_match: str = "",
) -> Load:
    """Load one request shape; `fresh`: each GET with a query string of its own; `if_none_match`:
    an ETag sent with each, to time the answer's revalidation (304)."""
    if shutil.which("wrk"):
        env = {**os.environ, "WRK_METHOD": method, "WRK_BODY": body, "WRK_TOKEN": token}
        env["WRK_IF_NONE_MATCH"] = if_none_match
        env["WRK_FRESH"] = str(time.time_ns()) if fresh else ""  # a run id: runs never share a query
        env["WRK_BODIES"] = "\n".join(bodies)
        threads = str(min(2, connections))
        duration = f"{max(1, round(seconds))}s"  # wrk refuses a fractional duration such as "3.0s"
        command = ["wrk", "-t", threads, "-c", str(connections), "-d", duration, "--timeout", "20s"]
        out = subprocess.run(
            [*command, "-s", str(WRK_SCRIPT), base + path],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        rps = r["requests"] / (r["duration_us"] / 1e6)
        return Load(r["p50_us"] / 1e3, r["p95_us"] / 1e3, r["p99_us"] / 1e3, rps, r["errors"] + r["non2xx"])
    shape = (method, bodies or (body,), token, fresh, if_none_match)
    return asyncio.run(_httpx_load(base + path, connections, seconds, *shape))


async def _httpx_load(
    url: str,
    connections: int,
    seconds: float,
    method: str,
    bodies: tuple[str, ...],
    token: str,
    fresh: bool,
    if_none_match: str,
) -> Load:
    import httpx2 as httpx  # only when wrk is missing; a dev dependency

    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    if if_none_match:
        headers["If-None-Match"] = if_none_match
    latencies: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=20) as client:
        end = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal failed
            while time.monotonic() < end:
                start = time.perf_counter()
                body = bodies[len(latencies) % len(bodies)]
                sep = "&" if "?" in url else "?"
                target = f"{url}{sep}fresh={time.time_ns()}-{len(latencies)}" if fresh else url
                response = await client.request(method, target, content=body or None)
                latencies.append((time.perf_counter() - start) * 1e3)
                failed += response.status_code >= 300 and response.status_code != 304

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))]

    return Load(pct(50), pct(95), pct(99), len(latencies) / elapsed, failed)


# The run
# Worked out afresh on every request (the first read after a write is), and revalidated (a 304).
WORKED_OUT = ("list, first page", "month summary", "stats, a year by day")
REVALIDATED = ("list, first page", "month summary")


def target_of(name: str, conns: int, results: dict[tuple[str, int], Load]) -> tuple[str, bool | None]:
    """Issue 25's targets, as multiples of the same run's no-op."""
    r, noop = results[name, conns], results["no-op GET /api/health", 1]
    if conns == 1 and name.endswith("(304)"):
        return "p50 <= 2x no-op", r.p50 <= 2 * noop.p50
    if conns == 1 and name in WORKED_OUT:
        return "p50 <= 4x no-op", r.p50 <= 4 * noop.p50
    if conns == 1 and name == "POST /api/expenses":
        return ">= 25% of no-op rps", r.rps >= 0.25 * noop.rps
    if conns == 32 and not name.startswith(("no-op", "POST", "login")):
        one = results[name, 1]
        return f">= 1 conn's rps ({one.rps:,.0f})", r.rps >= one.rps
    return "", None


@dataclass
class Row:
    figure: str
    value: str
    ratio: str = ""
    target: str = ""
    met: bool | None = None


def export_floor(url: str, ledger: int) -> float:
    """The same CSV produced by the database's own command-line tool: the physical floor."""
    query = (
        "SELECT date, category, amount_cents / 100.0, description, currency, base_amount_cents / 100.0 "
        "FROM expenses "
        f"WHERE ledger_id = {ledger} ORDER BY date DESC, id DESC"
    )
    if url.startswith("sqlite"):
        command = ["sqlite3", "-csv", url.removeprefix("sqlite:///"), query]
    else:
        dsn = url.replace("postgresql+psycopg", "postgresql")
        command = ["psql", dsn, "-q", "-c", f"\\copy ({query}) TO STDOUT WITH CSV"]
    if not shutil.which(command[0]):
        return float("nan")
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def timed_export(server: Server, token: str) -> tuple[float, int, int]:
    """Seconds, rows, and the server's peak growth (kB) of its own memory for one full export.

    Its own memory is its anonymous memory (RssAnon), read at every 64 kB of the answer. An export
    on SQLite maps the database file (app.services.export): the file's pages it reads then count in
    its RSS, but they are the OS's page cache, shared and dropped as needed, as they are for the
    sqlite3 tool's plain reads."""
    before = peak = proc_status(server.pid, "RssAnon")
    request = urllib.request.Request(server.base + "/api/expenses/export.csv")  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    start = time.perf_counter()
    rows = 0
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        while chunk := response.read(1 << 16):
            rows += chunk.count(b"\n")
            peak = max(peak, proc_status(server.pid, "RssAnon"))
    seconds = time.perf_counter() - start
    return seconds, rows - 1, peak - before


def etag(base: str, path: str, token: str) -> str:
    request = urllib.request.Request(base + path)  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return str(response.headers["ETag"])


def run(url: str, *, seconds: float, workers: int, ledger: int) -> list[Row]:
    rows: list[Row] = []
    with serve(url, workers) as server:
        base = server.base
        single = workers == 1
        token = call(base, "/api/auth/login", {"email": HEAVY_EMAIL, "password": PASSWORD})["access_token"]
        first_rss = proc_status(server.pid, "VmRSS") if single else 0

        # Export first, while the server's memory is at its idle size.
        floor = export_floor(url, ledger)
        exports = [timed_export(server, token) for _ in range(3)]
        export_s = sorted(e[0] for e in exports)[1]
        growth_mb = max(e[2] for e in exports) / 1024
        count = exports[0][1]
        floor_name = "sqlite3" if url.startswith("sqlite") else "psql \\copy"
        rows.append(
            Row(f"CSV export of {count:,} rows", f"{export_s:.3f} s", "", "<= 0.5 s", export_s <= 0.5)
        )
        rows.append(Row("CSV export rows/s", f"{count / export_s:,.0f}"))
        rows.append(
            Row(
                f"CSV export vs the {floor_name} tool ({floor:.3f} s)",
                f"{export_s / floor:.2f}x",
                "",
                "<= 3x",
                export_s <= 3 * floor,
            )
        )
        if single:
            growth = f"{growth_mb:.1f} MB"
            rows.append(Row("CSV export server's own memory growth", growth, "", "<= 10 MB", growth_mb <= 10))

        month = TODAY.strftime("%Y-%m")
        year_ago = (TODAY - timedelta(days=364)).isoformat()
        deep = call(base, "/api/expenses?limit=1&offset=89999", token=token)["next_cursor"]
        reads = {
            "no-op GET /api/health": "/api/health",
            # The caller's check and one user row, no ledger: a sync route, beside the ledger reads.
            "account, GET /api/me": "/api/me",
            "list, first page": "/api/expenses",
            "list, page deep in history (cursor at row 90,000)": f"/api/expenses?cursor={deep}",
            "list, page deep in history (offset 90,000)": "/api/expenses?offset=90000",
            "list, text search": "/api/expenses?q=coffee",
            "month summary": f"/api/summary?month={month}",
            "stats, a year by day": f"/api/stats?start={year_ago}&end={TODAY}&granularity=day",
            "stats, a year by week": f"/api/stats?start={year_ago}&end={TODAY}&granularity=week",
            "stats, a year by month": f"/api/stats?start={year_ago}&end={TODAY}&granularity=month",
        }
        results: dict[tuple[str, int], Load] = {}
        for name, path in reads.items():
            for _ in range(20):  # warm caches and the connection pool
                call(base, path, token=token) if path != "/api/health" else call(base, path)
            for conns in (1, 32):
                results[name, conns] = load(base, path, connections=conns, seconds=seconds, token=token)
                # wrk leaves the requests it sent last queued in the server (a text search's take a
                # second): one more of the same waits behind them, so the next figure starts idle.
                call(base, path, token=token) if path != "/api/health" else call(base, path)
        for name in REVALIDATED:
            tag = etag(base, reads[name], token)
            for conns in (1, 32):
                results[f"{name}, revalidated (304)", conns] = load(
                    base, reads[name], connections=conns, seconds=seconds, token=token, if_none_match=tag
                )
        body = json.dumps(
            {"date": TODAY.isoformat(), "category": "Coffee", "amount": "3.40", "description": "flat"}
        )
        for conns in (1, 32):
            results["POST /api/expenses", conns] = load(
                base,
                "/api/expenses",
                connections=conns,
                seconds=seconds,
                method="POST",
                body=body,
                token=token,
            )
        # Log-ins spread over many accounts: a burst on one account is throttled, as it should be.
        logins = tuple(
            json.dumps({"email": f"user{i}@bench.example", "password": PASSWORD}) for i in range(OTHER_USERS)
        )
        for conns in (1, 32):
            results["login", conns] = load(
                base, "/api/auth/login", connections=conns, seconds=seconds, method="POST", bodies=logins
            )

        # The no-op's latency, and a month summary's (which needs the routes' threads), while 8
        # logins hash at once.
        background: dict[str, Load] = {}
        busy = threading.Thread(
            target=lambda: background.update(
                x=load(
                    base,
                    "/api/auth/login",
                    connections=8,
                    seconds=2 * seconds + 2,
                    method="POST",
                    bodies=logins,
                )
            )
        )
        busy.start()
        time.sleep(1)
        under_login = load(base, "/api/health", connections=1, seconds=seconds)
        summary_under_login = load(base, reads["month summary"], connections=1, seconds=seconds, token=token)
        busy.join()
        final_rss_mb = proc_status(server.pid, "VmRSS") / 1024 if single else 0.0

    noop1, noop32 = results["no-op GET /api/health", 1], results["no-op GET /api/health", 32]
    for (name, conns), r in results.items():
        noop = noop1 if conns == 1 else noop32
        ratio = f"{r.p50 / noop.p50:.1f}x no-op p50, {r.rps / noop.rps:.0%} of its rps"
        target, met = target_of(name, conns, results)
        failed = f", {r.failed} failed" if r.failed else ""
        value = f"p50 {r.p50:.2f} / p95 {r.p95:.2f} / p99 {r.p99:.2f} ms, {r.rps:,.0f} req/s{failed}"
        rows.append(Row(f"{name} ({conns} conn{'s' if conns > 1 else ''})", value, ratio, target, met))
    slowdown = under_login.p50 / noop1.p50
    rows.append(
        Row(
            "no-op p50 while 8 logins hash",
            f"{under_login.p50:.2f} ms (idle {noop1.p50:.2f} ms)",
            f"{slowdown:.1f}x idle",
            "<= 2x idle",
            slowdown <= 2,
        )
    )
    idle_summary = results["month summary", 1].p50
    rows.append(
        Row(
            "month summary p50 while 8 logins hash",
            f"{summary_under_login.p50:.2f} ms (idle {idle_summary:.2f} ms)",
            f"{summary_under_login.p50 / idle_summary:.1f}x idle",
        )
    )
    if single:
        rows.append(Row("server RSS at start", f"{first_rss / 1024:.0f} MB"))
        rows.append(
            Row(
                "server RSS after the whole run",
                f"{final_rss_mb:.0f} MB",
                "",
                "<= 150 MB",
                final_rss_mb <= 150,
            )
        )
    return rows


def machine(url: str, workers: int) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    loadgen = "wrk" if shutil.which("wrk") else "httpx (asyncio)"
    database = "SQLite (WAL)" if url.startswith("sqlite") else "PostgreSQL"
    return (
        f"{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB, "
        f"Python {platform.python_version()}, {database}, {workers} worker(s), load: {loadgen}"
    )


def table(rows: list[Row]) -> str:
    out = ["| figure | value | ratio | target | met? |", "|---|---|---|---|---|"]
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**NO**")
        out.append(f"| {r.figure} | {r.value} | {r.ratio} | {r.target} | {met} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL cluster, 1 and 2 workers"
    )
    parser.add_argument("--seconds", type=float, default=3, help="length of each load run")
    parser.add_argument("--results", type=Path, help="also append the tables to this Markdown file")
    args = parser.parse_args()

    reports: list[str] = []

    def bench(url: str, worker_counts: tuple[int, ...]) -> None:
        start = time.perf_counter()
        ledger = seed(url)
        print(
            f"seeded {HEAVY_EXPENSES + OTHER_USERS * OTHER_EXPENSES:,} expenses"
            f" in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
        for workers in worker_counts:
            rows = run(url, seconds=args.seconds, workers=workers, ledger=ledger)
            report = f"### {machine(url, workers)}\n\n{table(rows)}"
            print(report + "\n", flush=True)
            reports.append(report)

    try:
        if args.postgres:
            from tests.postgres import postgres_cluster

            with postgres_cluster() as url:
                bench(url, (1, 2))
        else:
            bench(f"sqlite:///{WORK / 'bench.db'}", (1,))
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    if args.results:
        with args.results.open("a") as f:
            f.write(f"\n## {date.today().isoformat()}\n\n" + "\n\n".join(reports) + "\n")


if __name__ == "__main__":
    main()
