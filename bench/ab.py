"""Before/after on one seeded database: the same requests against two or more checkouts, alternating.

    python bench/ab.py before=/tmp/before after=. --rounds 2 [--postgres] [--workers 2]

Seeds like `make bench` (this checkout's schema; the servers do not migrate, so an older checkout
serves it as long as it needs no newer column), then for each round serves each checkout in turn
(one worker unless --workers, SQLite unless --postgres) and loads the no-op, the list's first page,
the month summary and `POST /api/expenses` at 1 and 32 connections. Prints each figure as a share
of the no-op in the same run: absolute times move on a shared machine, the shares much less. Not a
test; every run is bounded in time.
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import HEAVY_EMAIL, PASSWORD, ROOT, TODAY, WORK, call, load, seed, serve

PATHS = {
    "no-op": "/api/health",
    "list, first page": "/api/expenses",
    "month summary": f"/api/summary?month={TODAY:%Y-%m}",
}
POST = "POST /api/expenses"
BODY = json.dumps({"date": TODAY.isoformat(), "category": "Coffee", "amount": "3.40", "description": "flat"})
FIGURES = ("list, first page", "month summary", POST)


def cpu_seconds(pid: int) -> float:
    """The server's user + system CPU time so far, its workers' (child processes) included."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measure(root: Path, url: str, seconds: float, workers: int) -> dict[tuple[str, int], tuple[float, float]]:
    """(figure, connections) -> (p50 ms, req/s); (figure, 0) -> (server CPU ms per request, 0).

    CPU per request moves much less than latency when other work shares the machine.
    """
    out: dict[tuple[str, int], tuple[float, float]] = {}
    with serve(url, workers, root=root, migrate=False) as server:
        login = {"email": HEAVY_EMAIL, "password": PASSWORD}
        token = call(server.base, "/api/auth/login", login)["access_token"]
        for name, path in [*PATHS.items(), (POST, "/api/expenses")]:
            body = BODY if name == POST else ""
            for _ in range(20):  # warm caches and the connection pool
                call(server.base, path, json.loads(body) if body else None, token=token)
            for conns in (1, 32):
                cpu = cpu_seconds(server.pid)
                method = "POST" if body else "GET"
                options = {"token": token, "method": method, "body": body}
                r = load(server.base, path, connections=conns, seconds=seconds, **options)
                out[name, conns] = (r.p50, r.rps)
                if conns == 1:
                    out[name, 0] = ((cpu_seconds(server.pid) - cpu) * 1e3 / (r.rps * seconds), 0.0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", help="name=path of a checkout, e.g. before=/tmp/before")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    trees = [(name, Path(path).resolve()) for name, path in (t.split("=", 1) for t in args.trees)]
    try:
        if args.postgres:
            sys.path.insert(0, str(ROOT))
            from tests.postgres import postgres_cluster

            with postgres_cluster() as url:
                compare(trees, url, args)
        else:
            compare(trees, f"sqlite:///{WORK / 'bench.db'}", args)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


def compare(trees: list[tuple[str, Path]], url: str, args: argparse.Namespace) -> None:
    seed(url)
    print(
        "| round | checkout | list p50, 1 conn | summary p50, 1 conn | POST p50, 1 conn | list req/s, 32 "
        "| summary req/s, 32 | POST req/s, 1 / 32 "
        "| server CPU ms per request (1 conn): no-op, list, summary, POST |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for round_ in range(1, args.rounds + 1):
        for name, root in trees:
            figures = measure(root, url, args.seconds, args.workers)
            print(f"| {round_} | {name} | {row(figures)} |", flush=True)


def row(m: dict[tuple[str, int], tuple[float, float]]) -> str:
    """p50 at 1 connection as a multiple of the no-op's; req/s at 32 as a share of the no-op's."""
    noop_p50, noop_rps32 = m["no-op", 1][0], m["no-op", 32][1]
    cells = [f"{m[f, 1][0]:.2f} ms = {m[f, 1][0] / noop_p50:.1f}x no-op" for f in FIGURES]
    for f in FIGURES[:2]:
        rps = m[f, 32][1]
        above = ", above 1 conn" if rps > m[f, 1][1] else ""
        cells.append(f"{rps:,.0f} = {rps / noop_rps32:.0%} of no-op{above}")
    cells[-1] += f" (no-op {noop_p50:.2f} ms, {noop_rps32:,.0f} req/s at 32)"
    noop_rps1 = m["no-op", 1][1]
    post1, post32 = m[POST, 1][1], m[POST, 32][1]
    cells.append(f"{post1:,.0f} = {post1 / noop_rps1:.0%} / {post32:,.0f} = {post32 / noop_rps32:.0%}")
    cells.append(", ".join(f"{m[f, 0][0]:.2f}" for f in ("no-op", *FIGURES)))
    return " | ".join(cells)


if __name__ == "__main__":
    main()
