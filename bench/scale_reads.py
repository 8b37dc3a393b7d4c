"""The reads of issue 28 at 10k, 100k and 1M expenses in one ledger, timed at the service layer.

Grows one ledger (five years, 30 categories, descriptions of which 15% hold "coffee" and about
one in 5,000 "dentist") with multi-row inserts, not the HTTP import (a 1M ledger in minutes), and
at each size times every read asked afresh: median of a few runs after a warm-up, in milliseconds.
The export is also timed against the database's own CSV of the same columns (sqlite3 -csv;
PostgreSQL COPY ... TO STDOUT). Not a test.

    .venv/bin/python bench/scale_reads.py [--postgres] [--sizes 10000,100000,1000000]
    .venv/bin/python bench/scale_reads.py --url sqlite:////tmp/reads.db --sizes 1000000 [--root ../main]

With --url the database is kept: a later run finds the ledger grown and times it again, so a
before (--root: another checkout's app) and an after read the same rows.
"""

import argparse
import os
import random
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(sys.argv[sys.argv.index("--root") + 1] if "--root" in sys.argv else Path(__file__).parent.parent)
WORK = Path(tempfile.mkdtemp(prefix="expense-scale-reads-"))
os.environ.update(DATA_DIR=str(WORK), SECRET_KEY=secrets.token_urlsafe(48), AUTO_MIGRATE="false")
sys.path.insert(0, str(ROOT.resolve()))

from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.access import LedgerAccess  # noqa: E402
from app.database import make_engine  # noqa: E402
from app.migrate import upgrade_to_head  # noqa: E402
from app.models import SEARCH_DDL, SEARCH_OBJECTS  # noqa: E402
from app.services import export, listing, reports  # noqa: E402
from app.services.totals import rebuild  # noqa: E402
from app.types import category_key  # noqa: E402

CATEGORIES = [f"Category {n:02d}" for n in range(28)] + ["Coffee", "Dentist"]
PLAIN = ["weekly shop", "train ticket", "birthday present", "lunch", "monthly bill", "taxi home", "rent",
         "electricity", "book", "cinema", "petrol", "pharmacy", "bakery", "gym", "haircut"]  # fmt: skip
TODAY = date(2026, 12, 1)
DAYS = 5 * 365


def description(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        return f"coffee at {rng.choice(['Blue Bottle', 'the station', 'Marco'])} {rng.randrange(1000)}"
    if roll < 0.1502:
        return f"dentist check-up {rng.randrange(100)}"
    return f"{rng.choice(PLAIN)} {rng.randrange(10_000)}"


def rows(rng: random.Random, ledger: int, user: int, count: int) -> Iterator[tuple[Any, ...]]:
    for _ in range(count):
        category = rng.choice(CATEGORIES[:28])
        minor = rng.randrange(50, 25_000)
        foreign = rng.random() < 0.1
        base = minor * 108 // 100 if foreign else minor
        day = (TODAY - timedelta(days=rng.randrange(DAYS))).isoformat()
        yield (ledger, user, user, day, category, category_key(category), minor, "EUR" if foreign else "USD",
               "1.08" if foreign else "1", "ecb" if foreign else "same", base, description(rng))  # fmt: skip


COLUMNS = ("ledger_id, user_id, paid_by, date, category, category_key, amount_cents, currency, rate,"
           " rate_source, base_amount_cents, description, created_at, updated_at")  # fmt: skip


def grow(engine: Engine, ledger: int, user: int, count: int, rng: random.Random) -> None:
    """count more expenses in the ledger, each with its split row, then the totals rebuilt.
    PostgreSQL: the trigram indexes are made again after the rows (a GIN index without fastupdate
    takes a 1M-row load in hours, not minutes)."""
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        with engine.begin() as conn:
            for name in SEARCH_OBJECTS[1:]:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    with engine.begin() as conn:
        first = conn.scalar(text("SELECT coalesce(max(id), 0) FROM expenses"))
        batch: list[tuple[Any, ...]] = []
        mark = "%s" if engine.dialect.name == "postgresql" else "?"
        values = "(" + ", ".join([mark] * 12) + ", CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"

        def flush() -> None:
            # One multi-row INSERT per batch: PostgreSQL's per-statement triggers fire once a batch.
            sql = f"INSERT INTO expenses ({COLUMNS}) VALUES " + ", ".join([values] * len(batch))
            conn.exec_driver_sql(sql, tuple(v for row in batch for v in row))
            batch.clear()

        for row in rows(rng, ledger, user, count):
            batch.append(row)
            if len(batch) == 500:
                flush()
        if batch:
            flush()
        conn.execute(
            text(
                "INSERT INTO expense_splits (expense_id, user_id, ledger_id, shares, amount_cents,"
                " base_amount_cents) SELECT id, paid_by, ledger_id, 1, amount_cents, base_amount_cents"
                " FROM expenses WHERE id > :first"
            ),
            {"first": first},
        )
        rebuild(conn)
        if postgres:
            for statement in SEARCH_DDL["postgresql"]:
                conn.exec_driver_sql(statement)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def seed(engine: Engine) -> tuple[int, int]:
    """A user with a ledger (the one grown) and a second ledger of 2,000 rows that no read may count."""
    with engine.begin() as conn:
        ids = []
        for n in range(2):
            user = conn.scalar(
                text("INSERT INTO users (email, password_hash, display_name, currency, created_at,"
                     " token_version) VALUES (:e, 'x', 'x', 'USD', CURRENT_TIMESTAMP, 0) RETURNING id"),
                {"e": f"u{n}@bench.example"},
            )  # fmt: skip
            ledger = conn.scalar(
                text("INSERT INTO ledgers (name, currency, created_at) VALUES ('L', 'USD', CURRENT_TIMESTAMP)"
                     " RETURNING id")
            )  # fmt: skip
            conn.execute(
                text("INSERT INTO ledger_members (ledger_id, user_id, role, joined_at)"
                     " VALUES (:l, :u, 'owner', CURRENT_TIMESTAMP)"),
                {"l": ledger, "u": user},
            )  # fmt: skip
            ids.append((ledger, user))
    grow(engine, *ids[1], 2000, random.Random(7))
    return ids[0]


def timed(fn: Callable[[], Any], runs: int = 5) -> tuple[float, float]:
    """Median wall and CPU milliseconds (this process's and its children's CPU: on a shared
    machine the wall clock also counts the waits for a core)."""
    fn()
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def figures(
    engine: Engine, access: LedgerAccess, url: str, big: bool, exports: bool = True
) -> dict[str, tuple[float, float]]:
    def session_call(fn: Callable[[Session], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with Session(engine) as session:
                return fn(session)

        return call

    def page(**kw: Any) -> Callable[[], Any]:
        f = listing.ExpenseFilter(**{k: v for k, v in kw.items() if k not in ("offset", "limit")})
        limit, offset = kw.get("limit", 50), kw.get("offset", 0)
        return session_call(
            lambda s: listing.list_expenses(s, access=access, filters=f, limit=limit, offset=offset)
        )

    def stats(start: date, end: date, granularity: str) -> Callable[[], Any]:
        return session_call(
            lambda s: reports.spending_stats(s, access=access, start=start, end=end, granularity=granularity)
        )

    def csv() -> int:
        with Session(engine) as session:
            chunks = export.export_csv(session, access=access, filters=listing.ExpenseFilter())
            return sum(len(chunk) for chunk in chunks)

    end = TODAY - timedelta(days=17)
    out = {
        "list, first page": timed(page()),
        "list, page at offset 5,000": timed(page(offset=5000)),
        "list, one category": timed(page(category="Category 03")),
        "list, 20 days (partial months)": timed(page(start=end - timedelta(days=19), end=end)),
        "month summary": timed(session_call(
            lambda s: reports.monthly_summary(s, access=access, month=end.replace(day=1)))),
        "stats, calendar year by month": timed(stats(date(2025, 1, 1), date(2025, 12, 31), "month")),
        "stats, rolling year by day": timed(stats(end - timedelta(days=364), end, "day")),
        "stats, rolling 30 days by week": timed(stats(end - timedelta(days=29), end, "week")),
        "search q=coffee (15%)": timed(page(q="coffee")),
        "search q=dentist (rare)": timed(page(q="dentist")),
        "search q=coffee, deep page": timed(page(q="coffee", offset=2000)),
    }  # fmt: skip
    if exports:
        out["full CSV export"] = timed(csv, runs=1 if big else 3)
        out["export floor (database's own CSV)"] = floor(url, access.ledger_id, 1 if big else 3)
    return out


def floor(url: str, ledger: int, runs: int) -> tuple[float, float]:
    query = (
        "SELECT date, category, amount_cents, description, currency, base_amount_cents FROM expenses"
        f" WHERE ledger_id = {ledger} ORDER BY date DESC, id DESC"
    )
    if url.startswith("sqlite"):
        command = ["sqlite3", "-csv", url.removeprefix("sqlite:///"), query]
    else:
        dsn = url.replace("postgresql+psycopg", "postgresql")
        command = ["psql", dsn, "-q", "-c", f"\\copy ({query}) TO STDOUT WITH CSV"]
    if not shutil.which(command[0]):
        return float("nan"), float("nan")
    return timed(lambda: subprocess.run(command, stdout=subprocess.DEVNULL, check=True), runs=runs)


@contextmanager
def database(postgres: bool, url: str | None) -> Iterator[str]:
    if url:
        yield url
    elif not postgres:
        yield f"sqlite:///{WORK}/scale.db"
    else:
        from tests.postgres import postgres_cluster

        with postgres_cluster() as throwaway:
            yield throwaway


def ledger_of(engine: Engine) -> tuple[int, int, int] | None:
    """The grown ledger, its owner and its size, in a database this script made before; None if new."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "users"):
            return None
        row = conn.execute(
            text("SELECT m.ledger_id, m.user_id FROM ledger_members m JOIN users u ON u.id = m.user_id"
                 " WHERE u.email = 'u0@bench.example'")
        ).first()  # fmt: skip
        if row is None:
            return None
        held = conn.scalar(text("SELECT count(*) FROM expenses WHERE ledger_id = :l"), {"l": row[0]})
        return row[0], row[1], int(held or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--url", help="a database to keep and reuse (made and grown if needed)")
    parser.add_argument("--root", help="time another checkout's app (a before), on the same rows")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--no-export", action="store_true", help="time the reads only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    try:
        with database(args.postgres, args.url) as url:
            engine = make_engine(url)
            found = ledger_of(engine)
            if found is None:
                upgrade_to_head(url)
                ledger, user = seed(engine)
                have = 0
            else:
                ledger, user, have = found
            access = LedgerAccess(user_id=user, ledger_id=ledger, role="owner", currency="USD")
            rng, results = random.Random(42 + have), {}
            for size in sizes:
                if size > have:
                    start = time.perf_counter()
                    grow(engine, ledger, user, size - have, rng)
                    have = size
                    seconds = time.perf_counter() - start
                    print(f"seeded {size} rows in {seconds:.0f} s", file=sys.stderr, flush=True)
                results[size] = figures(engine, access, url, size >= 500_000, not args.no_export)
                for name, (wall, cpu) in results[size].items():
                    print(f"  {size}: {name}: {wall:.1f} ms, CPU {cpu:.1f} ms", file=sys.stderr, flush=True)
            engine.dispose()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    print("wall ms (CPU ms) per figure; growth of each from the smallest size\n")
    print("| figure | " + " | ".join(f"{s:,}" for s in sizes) + " | growth, wall (CPU) |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for name in results[sizes[0]]:
        cells = [results[s][name] for s in sizes]
        (wall0, cpu0), (wall, cpu) = cells[0], cells[-1]
        shown = " | ".join(f"{w:.1f} ({c:.1f})" for w, c in cells)
        print(f"| {name} | {shown} | {wall / wall0:.1f}x ({cpu / cpu0:.1f}x) |")


if __name__ == "__main__":
    main()
