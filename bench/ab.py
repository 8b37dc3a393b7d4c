"""Before/after on one seeded database: the same requests against two or more checkouts, alternating.

    python bench/ab.py before=/tmp/before after=. --rounds 2

Seeds like `make bench` (this checkout's schema; the servers do not migrate, so an older checkout
serves it as long as it needs no newer column), then for each round serves each checkout in turn
(one worker, SQLite) and loads the no-op, the list's first page and the month summary at 1 and 32
connections. Prints each figure as a share of the no-op in the same run: absolute times move on a
shared machine, the shares much less. Not a test; every run is bounded in time.

    python bench/ab.py before=/tmp/before after=. --search-export

loads text searches at 1 connection instead, and times the CSV export against the sqlite3 tool.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import HEAVY_EMAIL, PASSWORD, TODAY, WORK, call, export_floor, load, seed, serve, timed_export

PATHS = {
    "no-op": "/api/health",
    "list, first page": "/api/expenses",
    "month summary": f"/api/summary?month={TODAY:%Y-%m}",
}
FIGURES = ("list, first page", "month summary")
SEARCHES = {  # q=coffee matches 20% of the heavy ledger's rows, Sam 14%, dentist none
    "no-op": "/api/health",
    "list, first page": "/api/expenses",
    "q=coffee": "/api/expenses?q=coffee",
    "q=Sam": "/api/expenses?q=Sam",
    "q=dentist": "/api/expenses?q=dentist",
}


def cpu_seconds(pid: int) -> float:
    """The server's user + system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(root: Path, url: str, seconds: float) -> dict[tuple[str, int], tuple[float, float]]:
    """(figure, connections) -> (p50 ms, req/s); (figure, 0) -> (server CPU ms per request, 0).

    CPU per request moves much less than latency when other work shares the machine.
    """
    out: dict[tuple[str, int], tuple[float, float]] = {}
    with serve(url, root=root, migrate=False) as server:
        login = {"email": HEAVY_EMAIL, "password": PASSWORD}
        token = call(server.base, "/api/auth/login", login)["access_token"]
        for name, path in PATHS.items():
            for _ in range(20):  # warm caches and the connection pool
                call(server.base, path, token=token)
            for conns in (1, 32):
                cpu = cpu_seconds(server.pid)
                r = load(server.base, path, connections=conns, seconds=seconds, token=token)
                out[name, conns] = (r.p50, r.rps)
                if conns == 1:
                    out[name, 0] = ((cpu_seconds(server.pid) - cpu) * 1e3 / (r.rps * seconds), 0.0)
    return out


def measure_search_export(root: Path, url: str, seconds: float, ledger: int) -> str:
    """p50 at 1 connection (x no-op) and server CPU ms per request for each search; the export."""
    cells = []
    with serve(url, root=root, migrate=False) as server:
        login = {"email": HEAVY_EMAIL, "password": PASSWORD}
        token = call(server.base, "/api/auth/login", login)["access_token"]
        noop = 0.0
        for path in SEARCHES.values():
            for _ in range(5):
                call(server.base, path, token=token)
            cpu = cpu_seconds(server.pid)
            r = load(server.base, path, connections=1, seconds=seconds, token=token)
            cpu_ms = (cpu_seconds(server.pid) - cpu) * 1e3 / (r.rps * seconds)
            noop = noop or r.p50
            cells.append(f"{r.p50:.2f} ms = {r.p50 / noop:.1f}x, CPU {cpu_ms:.2f} ms")
        floor = export_floor(url, ledger)
        cpu = cpu_seconds(server.pid)
        export_s = sorted(timed_export(server, token)[0] for _ in range(3))[1]
        cpu_ms = (cpu_seconds(server.pid) - cpu) * 1e3 / 3
        ratio = export_s / floor
        cells.append(f"{export_s:.3f} s = {ratio:.2f}x sqlite3 ({floor:.3f} s), CPU {cpu_ms:.0f} ms")
    return " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", help="name=path of a checkout, e.g. before=/tmp/before")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--search-export", action="store_true", help="text search and CSV export instead")
    args = parser.parse_args()
    trees = [(name, Path(path).resolve()) for name, path in (t.split("=", 1) for t in args.trees)]
    try:
        url = f"sqlite:///{WORK / 'bench.db'}"
        ledger = seed(url)
        if args.search_export:
            print("| round | checkout | " + " | ".join(SEARCHES) + " | CSV export, median of 3 |")
            print("|---" * (len(SEARCHES) + 3) + "|")
            for round_ in range(1, args.rounds + 1):
                for name, root in trees:
                    cells = measure_search_export(root, url, args.seconds, ledger)
                    print(f"| {round_} | {name} | {cells} |", flush=True)
            return
        print(
            "| round | checkout | list p50, 1 conn | summary p50, 1 conn | list req/s, 32 "
            "| summary req/s, 32 | server CPU ms per request: no-op, list, summary |"
        )
        print("|---|---|---|---|---|---|---|")
        for round_ in range(1, args.rounds + 1):
            for name, root in trees:
                print(f"| {round_} | {name} | {row(measure(root, url, args.seconds))} |", flush=True)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


def row(m: dict[tuple[str, int], tuple[float, float]]) -> str:
    """p50 at 1 connection as a multiple of the no-op's; req/s at 32 as a share of the no-op's."""
    noop_p50, noop_rps32 = m["no-op", 1][0], m["no-op", 32][1]
    cells = [f"{m[f, 1][0]:.2f} ms = {m[f, 1][0] / noop_p50:.1f}x no-op" for f in FIGURES]
    for f in FIGURES:
        rps = m[f, 32][1]
        above = ", above 1 conn" if rps > m[f, 1][1] else ""
        cells.append(f"{rps:,.0f} = {rps / noop_rps32:.0%} of no-op{above}")
    cells[-1] += f" (no-op {noop_p50:.2f} ms, {noop_rps32:,.0f} req/s at 32)"
    cells.append(", ".join(f"{m[f, 0][0]:.2f}" for f in ("no-op", *FIGURES)))
    return " | ".join(cells)


if __name__ == "__main__":
    main()
