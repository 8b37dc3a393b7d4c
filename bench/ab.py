"""Before/after on one seeded database: the same requests against two or more checkouts, alternating.

    python bench/ab.py before=/tmp/before after=. --rounds 2
    python bench/ab.py before=/tmp/before after=. --figures list,summary,me,post,search

Seeds like `make bench` (this checkout's schema; the servers do not migrate, so an older checkout
serves it as long as it needs no newer column), then for each round serves each checkout in turn
(one worker unless --workers, SQLite unless --postgres) and loads the no-op and the chosen figures
at 1 and 32 connections
(`--path name=/api/...` adds a GET of your own, e.g. a route that exists in one checkout only).
Prints each figure as a share of the no-op in the same run: absolute times move on a shared
machine, the shares much less. Not a test; every run is bounded in time.

    python bench/ab.py before=/tmp/before after=. --search-export

loads text searches at 1 connection instead, and times the CSV export against the sqlite3 tool.
"""

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import HEAVY_EMAIL, PASSWORD, ROOT, TODAY, WORK, call, export_floor, load, seed, serve, timed_export


@dataclass(frozen=True)
class Figure:
    path: str
    method: str = "GET"
    body: str = ""


NOOP = Figure("/api/health")
FIGURES = {
    "list": Figure("/api/expenses"),
    "summary": Figure(f"/api/summary?month={TODAY:%Y-%m}"),
    "me": Figure("/api/me"),  # the token and the user row, no ledger data
    "search": Figure("/api/expenses?q=coffee"),
    "stats": Figure(f"/api/stats?start={TODAY.replace(year=TODAY.year - 1)}&end={TODAY}&granularity=day"),
    # Last: it adds rows (a few thousand, beside 200,000) that the next checkout then lists.
    "post": Figure(
        "/api/expenses",
        "POST",
        json.dumps({"date": f"{TODAY}", "category": "Coffee", "amount": "3.40", "description": "flat"}),
    ),
}
SEARCHES = {  # q=coffee matches 20% of the heavy ledger's rows, Sam 14%, dentist none
    "no-op": "/api/health",
    "list, first page": "/api/expenses",
    "q=coffee": "/api/expenses?q=coffee",
    "q=Sam": "/api/expenses?q=Sam",
    "q=dentist": "/api/expenses?q=dentist",
}


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


def measure(
    root: Path, url: str, figures: dict[str, Figure], seconds: float, workers: int = 1
) -> dict[tuple[str, int], tuple[float, float]]:
    """(figure, connections) -> (p50 ms, req/s); (figure, 0) -> (server CPU ms per request, 0).

    CPU per request moves much less than latency when other work shares the machine.
    """
    out: dict[tuple[str, int], tuple[float, float]] = {}
    with serve(url, workers, root=root, migrate=False) as server:
        login = {"email": HEAVY_EMAIL, "password": PASSWORD}
        token = call(server.base, "/api/auth/login", login)["access_token"]
        for name, figure in {"no-op": NOOP, **figures}.items():
            if figure.method == "GET":
                for _ in range(20):  # warm caches and the connection pool
                    call(server.base, figure.path, token=token)
            for conns in (1, 32):
                cpu = cpu_seconds(server.pid)
                r = load(
                    server.base,
                    figure.path,
                    connections=conns,
                    seconds=seconds,
                    method=figure.method,
                    body=figure.body,
                    token=token,
                )
                if r.failed:
                    raise RuntimeError(f"{name}: {r.failed} failed requests at {conns} connections")
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
    parser.add_argument("--figures", default="list,summary", help=f"comma-separated, of {','.join(FIGURES)}")
    parser.add_argument("--path", action="append", default=[], help="name=/api/... : one more GET figure")
    parser.add_argument("--search-export", action="store_true", help="text search and CSV export instead")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    trees = [(name, Path(path).resolve()) for name, path in (t.split("=", 1) for t in args.trees)]
    figures = {name: FIGURES[name] for name in args.figures.split(",") if name}
    extra = {name: Figure(path) for name, path in (p.split("=", 1) for p in args.path)}
    figures = {**extra, **figures}  # extra GETs before a POST adds rows
    try:
        if args.postgres:
            sys.path.insert(0, str(ROOT))
            from tests.postgres import postgres_cluster

            with postgres_cluster() as url:
                compare(trees, url, figures, args)
        else:
            compare(trees, f"sqlite:///{WORK / 'bench.db'}", figures, args)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


def compare(
    trees: list[tuple[str, Path]], url: str, figures: dict[str, Figure], args: argparse.Namespace
) -> None:
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
        "Each cell: p50 at 1 connection as a multiple of the no-op's; req/s at 32 connections "
        "as a share of the no-op's; server CPU ms per request at 1 connection.\n"
    )
    print(f"| round | checkout | no-op: p50, req/s at 32, CPU | {' | '.join(figures)} |")
    print("|---|---|---|" + "---|" * len(figures))
    for round_ in range(1, args.rounds + 1):
        for name, root in trees:
            cells = row(measure(root, url, figures, args.seconds, args.workers), figures)
            print(f"| {round_} | {name} | {cells} |", flush=True)


def row(m: dict[tuple[str, int], tuple[float, float]], figures: dict[str, Figure]) -> str:
    noop_p50, noop_rps32 = m["no-op", 1][0], m["no-op", 32][1]
    cells = [f"{noop_p50:.2f} ms, {noop_rps32:,.0f}, {m['no-op', 0][0]:.2f} ms"]
    for f in figures:
        rps = m[f, 32][1]
        above = " (above 1 conn)" if rps > m[f, 1][1] else ""
        p50, cpu = m[f, 1][0], m[f, 0][0]
        cells.append(f"{p50 / noop_p50:.1f}x ({p50:.2f} ms), {rps / noop_rps32:.0%}{above}, {cpu:.2f} ms")
    return " | ".join(cells)


if __name__ == "__main__":
    main()
