"""Text search alone at `make bench` scale: p50 of a few `q` beside the no-op, and the query plans.

Seeds the same 100,000 + 200 x 500 expenses as bench/run.py, serves them with one worker and
loads one connection at a time. Prints Markdown; not a test.
"""

import argparse
import shutil
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py: seeding, serving and the load generator; it sets the environment
from sqlalchemy import text

from app.database import make_engine

QUERIES = ["coffee", "Sam", "co", "ÉCOLE", "no such text"]


def plans(url: str, ledger: int) -> str:
    """The plans of the list's two search queries (count and page), as the app builds them."""
    from sqlalchemy import func, select

    from app.models import Expense
    from app.services.listing import _matches

    engine = make_engine(url)
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    out = []
    with engine.connect() as conn:
        for q in ("coffee", "no such text"):
            where = (Expense.ledger_id == ledger) & _matches(q, engine.dialect.name)
            newest_first = (Expense.date.desc(), Expense.id.desc())
            queries = {
                "count and sum": select(func.count(), func.sum(Expense.amount_minor)).where(where),
                "first page": select(Expense).where(where).order_by(*newest_first).limit(50),
            }
            for name, query in queries.items():
                sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
                if engine.dialect.name == "postgresql":
                    sql = sql.replace("%%", "%")  # text() doubles them again for psycopg
                lines = [str(row[-1]) for row in conn.execute(text(explain + sql))]
                out.append(f"q={q}, {name}:\n```\n" + "\n".join(lines) + "\n```")
    engine.dispose()
    return "\n".join(out)


def bench(url: str, seconds: float) -> None:
    ledger = run.seed(url)
    with run.serve(url) as server:
        token = run.call(server.base, "/api/auth/login", {"email": run.HEAVY_EMAIL, "password": run.PASSWORD})
        # The list without q is the floor a search cannot go below: the same page, no matching.
        paths = {"no-op GET /api/health": "/api/health", "list, first page (no q)": "/api/expenses"}
        paths |= {f"q={q}": "/api/expenses?" + urlencode({"q": q}) for q in QUERIES}
        print(f"### {run.machine(url, 1)}\n")
        print("| request, 1 connection | p50 | req/s | x no-op p50 |\n|---|---|---|---|")
        noop = 0.0
        for name, path in paths.items():
            for _ in range(10):  # warm caches and the connection pool
                run.call(server.base, path, token=token["access_token"])
            result = run.load(server.base, path, connections=1, seconds=seconds, token=token["access_token"])
            noop = noop or result.p50
            print(
                f"| {name} | {result.p50:.2f} ms | {result.rps:.0f} | {result.p50 / noop:.1f}x |", flush=True
            )
    print("\n" + plans(url, ledger) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--seconds", type=float, default=3, help="length of each load run")
    args = parser.parse_args()
    try:
        if args.postgres:
            from tests.postgres import postgres_cluster

            with postgres_cluster() as url:
                bench(url, args.seconds)
        else:
            bench(f"sqlite:///{run.WORK / 'bench.db'}", args.seconds)
    finally:
        shutil.rmtree(run.WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
