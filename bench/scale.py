"""`make bench-scale`: one ledger grown through the app's own CSV import, every figure timed afresh at
each size. Prints Markdown tables (paste them into bench/RESULTS.md); not a test.

Serves a fresh database the way `make run` does (one worker, on a free loopback port), registers
one account and imports into its ledger, over HTTP, files of our own CSV layout of up to 50,000
rows (the import's limit; about 5 MB) until the ledger holds 10,000, 100,000 and 1,000,000 rows
(`--rows` caps it). Each file: import rows/s and the server's peak RSS growth while it imported.
At each size: the reads asked afresh (median of a few), the text search for a common and a rare
word, and the full export beside the database's own CSV of the same columns (sqlite3 -csv, or
PostgreSQL's COPY ... TO STDOUT through psql), the floor.

    python bench/scale.py [--rows 1000000] [--postgres]
"""

import argparse
import json
import random
import shutil
import statistics
import sys
import time
import urllib.request
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, WORK, Server, call, export_floor, proc_status, serve, timed_export

PASSWORD = "bench password 1"  # noqa: S105 (a throwaway account on a throwaway database)
SIZES = (10_000, 100_000, 1_000_000)
FILE_ROWS = 50_000  # app.services.imports.MAX_ROWS
TODAY = date.today()
YEARS = 5
CATEGORIES = [
    "Rent", "Groceries", "Eating out", "Coffee", "Transport", "Fuel", "Utilities", "Phone", "Internet",
    "Health", "Clothes", "Gifts", "Travel", "Books", "Entertainment", "Insurance", "Pets", "Garden",
    "Household", "Kids", "School", "Sport", "Music", "Charity", "Taxes", "Bank fees", "Parking",
    "Repairs", "Beauty", "Subscriptions",
]  # fmt: skip
MERCHANTS = [
    "GREENFIELD MARKET", "CITY TRANSIT", "NORTHSIDE PHARMACY", "THE CORNER BAKERY", "METRO FUEL",
    "BLUE DOOR BISTRO", "RIVERSIDE BOOKS", "HOMEWARE DEPOT", "SUNRISE CINEMA", "PARKWAY GARAGE",
    "FRESH FOODS", "OLD MILL PUB", "HILLTOP HARDWARE", "LAKESIDE SPORTS", "CENTRAL STATION",
]  # fmt: skip
ITEMS = [
    "weekly shop", "train ticket", "birthday present", "lunch with the team", "monthly bill",
    "taxi home", "school trip", "dinner out", "new shoes", "tickets for two", "spare parts",
    "repair of the bike", "groceries for the week", "gift for a friend", "annual fee",
]  # fmt: skip
COMMON, RARE = "coffee", "zeppelin"  # in 15% of the rows; in one of 20,000


def description(rng: random.Random) -> str:
    words = [f"Card payment to {rng.choice(MERCHANTS)} {rng.randrange(1000, 9999)}", rng.choice(ITEMS)]
    if rng.random() < 0.15:
        words.append(f"and a {COMMON}")
    if rng.random() < 1 / 20_000:
        words.append(f"({RARE} ride)")
    words.append(f"ref {rng.randrange(10**7, 10**8)}")
    return " ".join(words)


def csv_file(rng: random.Random, rows: int) -> bytes:
    lines = ["date,category,amount,description"]
    for _ in range(rows):
        day = TODAY - timedelta(days=rng.randrange(YEARS * 365))
        cents = rng.randrange(50, 25_000)
        lines.append(f"{day},{rng.choice(CATEGORIES)},{cents // 100}.{cents % 100:02d},{description(rng)}")
    return ("\n".join(lines) + "\n").encode()


def upload(server: Server, token: str, data: bytes) -> dict[str, object]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bank.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(server.base + "/api/expenses/import", data=body)  # noqa: S310
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        return dict(json.loads(response.read()))


def import_file(server: Server, token: str, data: bytes) -> tuple[float, float, dict[str, object]]:
    """Rows/s and the server's peak RSS growth (MB) while it imported the file."""
    Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = proc_status(server.pid, "VmRSS")
    start = time.perf_counter()
    body = upload(server, token, data)
    seconds = time.perf_counter() - start
    grown = (proc_status(server.pid, "VmHWM") - before) / 1024
    return int(str(body["count"])) / seconds, grown, body


def timed(server: Server, token: str, path: str, runs: int = 5) -> float:
    """Median milliseconds of `runs` requests, after one to warm up."""
    times = []
    for n in range(runs + 1):
        start = time.perf_counter()
        request = urllib.request.Request(server.base + path)  # noqa: S310
        request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            response.read()
        if n:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def reads(server: Server, token: str) -> dict[str, float]:
    """Each figure in milliseconds, at the ledger's size now."""
    last_year = TODAY.year - 1
    year_ago = TODAY - timedelta(days=364)
    cursor = call(server.base, "/api/expenses?limit=1&offset=8999", token=token)["next_cursor"]
    figures = {
        "first page": "/api/expenses",
        "deep page (offset 9,000)": "/api/expenses?offset=9000",
        "cursor (row 9,000)": f"/api/expenses?cursor={cursor}",
        "category filter": "/api/expenses?category=Groceries",
        "month summary": f"/api/summary?month={TODAY:%Y-%m}",
        f"stats, calendar year {last_year} by month": (
            f"/api/stats?start={last_year}-01-01&end={last_year}-12-31&granularity=month"
        ),
        "stats, rolling year by day": f"/api/stats?start={year_ago}&end={TODAY}&granularity=day",
        f"search q={COMMON} (15% of rows)": f"/api/expenses?q={COMMON}",
        f"search q={RARE} (1 in 20,000)": f"/api/expenses?q={RARE}",
    }
    return {name: timed(server, token, path) for name, path in figures.items()}


def grow(url: str, rows: int, root: Path) -> None:
    rng = random.Random(28)
    sizes = [size for size in SIZES if size < rows] + [rows]
    table: dict[str, dict[int, str]] = {}
    numbers: dict[str, dict[int, float]] = {}

    def record(name: str, size: int, value: float, shown: str) -> None:
        table.setdefault(name, {})[size] = shown
        numbers.setdefault(name, {})[size] = value

    with serve(url, root=root) as server:
        email = f"scale-{uuid.uuid4().hex[:8]}@bench.example"
        account = {"email": email, "password": PASSWORD}
        token = call(server.base, "/api/auth/register", account)["access_token"]
        ledgers = call(server.base, "/api/ledgers", token=token)
        ledger = next(item["id"] for item in ledgers if item["personal"])
        held = 0
        number = 0
        started = time.perf_counter()
        for size in sizes:
            speeds, growths = [], []
            while held < size:
                data = csv_file(rng, min(FILE_ROWS, size - held))
                number += 1
                speed, grown, body = import_file(server, token, data)
                held += int(str(body["imported"]))
                speeds.append(speed)
                growths.append(grown)
                print(
                    f"file {number}: {body['count']:,} rows ({len(data) / 2**20:.1f} MB), imported"
                    f" {body['imported']:,}, duplicates {body['skipped_duplicates']:,}; ledger now"
                    f" {held:,}: {speed:,.0f} rows/s, server RSS +{grown:.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )
            record("import rows/s (slowest file)", size, min(speeds), f"{min(speeds):,.0f}")
            record("import server RSS growth (largest, MB)", size, max(growths), f"{max(growths):.0f}")
            for name, ms in reads(server, token).items():
                record(f"{name}, ms", size, ms, f"{ms:.1f}")
            exports = [timed_export(server, token) for _ in range(2)]
            seconds = min(e[0] for e in exports)
            record("full export, s", size, seconds, f"{seconds:.2f}")
            export_growth = max(e[2] for e in exports) / 1024
            record("full export server's own memory growth, MB", size, export_growth, f"{export_growth:.0f}")
            floor = export_floor(url, ledger)
            record("export floor (database's own CSV), s", size, floor, f"{floor:.2f}")
            record("export / floor", size, seconds / floor, f"{seconds / floor:.1f}x")
            elapsed = time.perf_counter() - started
            print(f"at {held:,} rows after {elapsed:.0f} s", file=sys.stderr, flush=True)
            # The table so far, each size: a run cut short (a busy machine) keeps what it measured.
            print_table(url, root, [s for s in sizes if s <= size], table, numbers)


def print_table(
    url: str,
    root: Path,
    sizes: list[int],
    table: dict[str, dict[int, str]],
    numbers: dict[str, dict[int, float]],
) -> None:
    engine = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    checkout = "" if root == ROOT else f", serving {root}"
    print(f"\n### Scale run, {engine}: one ledger grown by CSV import ({date.today()}{checkout})\n")
    header = " | ".join(f"{size:,}" for size in sizes)
    print(f"| figure | {header} | growth {sizes[-1]:,} / {sizes[0]:,} |")
    print("|---|" + "---|" * len(sizes) + "---|")
    for name, cells in table.items():
        first, last = numbers[name][sizes[0]], numbers[name][sizes[-1]]
        growth = f"{last / first:.2f}x" if first else ""
        print(f"| {name} | " + " | ".join(cells[size] for size in sizes) + f" | {growth} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="the ledger's size at the end")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--root", type=Path, default=ROOT, help="serve another checkout (a before)")
    args = parser.parse_args()
    try:
        if args.postgres:
            from tests.postgres import postgres_cluster

            with postgres_cluster() as url:
                grow(url, args.rows, args.root)
        else:
            grow(f"sqlite:///{WORK / 'scale.db'}", args.rows, args.root)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
