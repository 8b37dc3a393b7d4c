"""A first guess at how a CSV file's columns map to an expense, from its header and first row,
for a person to check in the import's preview."""

import csv
import io
import re

from app.schemas.expenses import ImportMapping
from app.types import DateFormat

# Header words (English, German, Spanish, French) that name a column's role, for a guessed mapping.
_GUESS = {
    "date": re.compile(r"date|datum|buchung|fecha|day", re.IGNORECASE),
    "amount": re.compile(r"amount|betrag|sum|value|importe|montant|debit|withdraw", re.IGNORECASE),
    "category": re.compile(r"categ|kategor|type", re.IGNORECASE),
    "description": re.compile(
        r"desc|memo|payee|narrative|verwendung|text|detail|name|reference", re.IGNORECASE
    ),
}


def first_row(text: str, delimiter: str) -> list[str]:
    """The first row under the header that has a value, or [] (a guess needs no more)."""
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        next(rows, None)
        return next((cells for cells in rows if any(cell.strip() for cell in cells)), [])
    except csv.Error:
        return []


def guess_mapping(header: list[str], first: list[str]) -> ImportMapping | None:
    """A mapping read from the header's words and the first row's writing; None without column names."""
    usable = [name for name in header if name.strip() and len(name) <= 200]
    if not usable:
        return None

    def pick(role: str, avoid: list[str | None]) -> str | None:
        return next((name for name in usable if _GUESS[role].search(name) and name not in avoid), None)

    def sample(column: str) -> str:
        index = header.index(column)
        return first[index].strip() if index < len(first) else ""

    # Without a telling name, the first columns: the preview's errors then show what to change.
    date_column = pick("date", []) or usable[0]
    amount = pick("amount", [date_column]) or next((n for n in usable if n != date_column), date_column)
    category = pick("category", [date_column, amount])
    description = pick("description", [date_column, amount, category])
    day, money = sample(date_column), sample(amount)
    date_format: DateFormat = "YYYY-MM-DD"
    if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", day):
        date_format = "DD.MM.YYYY"
    elif re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", day):
        first_part, second_part = (int(part) for part in day.split("/")[:2])
        date_format = "MM/DD/YYYY" if second_part > 12 and first_part <= 12 else "DD/MM/YYYY"
    debit = re.search(r"debit|withdraw", amount, re.IGNORECASE) is not None
    return ImportMapping(
        date=date_column,
        amount=None if debit else amount,
        debit=amount if debit else None,
        category=category,
        description=description,
        date_format=date_format,
        decimal_comma=bool(re.search(r"\d,\d{1,2}\)?-?$", money)) and not re.search(r"\.\d{1,2}$", money),
        negative_is_expense=not debit and money.startswith("-"),
    )
