"""An expense's rate to its ledger's currency and its base amount: what every total sums.

The rate is fixed when the expense is saved (same currency: 1; a rate the body gives: manual; else
the ECB's of the expense's date, app.rates) and never changes with later rates.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal

from app import rates
from app.errors import Invalid
from app.models import Expense
from app.money import max_minor, minor_digits, rate_text, to_decimal, to_minor

# Wide enough that amount x rate is exact before the one rounding (13 + 15 digits, and more).
_EXACT = Context(prec=60)


def minor_amount(amount: Decimal, currency: str, loc: tuple[str, ...] = ("body", "amount")) -> int:
    """The amount in the currency's minor units, or 422 naming the field when it has more decimals
    than the currency has (JPY 12.5)."""
    try:
        return to_minor(amount, currency)
    except ValueError as exc:
        raise Invalid(loc, f"must fit the currency: {exc}") from None


def base_minor(minor: int, currency: str, rate: Decimal, ledger_currency: str) -> int:
    """amount x rate, rounded half up to the ledger currency's minor unit (and counted in it). Half
    up is away from zero (ROUND_HALF_UP), so a refund's negative base is the expense's negated."""
    base = _EXACT.multiply(to_decimal(minor, currency), rate)
    minor_base = _EXACT.scaleb(base, Decimal(minor_digits(ledger_currency)))
    return int(minor_base.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=_EXACT))


def quote(
    minor: int, currency: str, day: date, *, ledger_currency: str, loc: tuple[str, ...] = ("body",)
) -> tuple[str, str, date | None, int]:
    """Rate, its source and publication date, and base amount of an amount of `day` priced at the
    ECB's rate (1 in the ledger's own currency), or 422 (nothing stored)."""
    if currency == ledger_currency:
        return "1", "same", None, _bounded(minor, ledger_currency, (*loc, "amount"))
    found = rates.lookup(currency, ledger_currency, day)
    if found is None:
        raise Invalid(
            (*loc, "currency"),
            f"No ECB rate is known for {currency} to {ledger_currency} on "
            f"{day.isoformat()}: give a rate ({ledger_currency} per {currency})",
        )
    base = base_minor(minor, currency, found.rate, ledger_currency)
    return rate_text(found.rate), "ecb", found.rate_date, _bounded(base, ledger_currency, (*loc, "amount"))


def price(
    expense: Expense, *, ledger_currency: str, rate: Decimal | None, loc: tuple[str, ...] = ("body",)
) -> None:
    """Set the expense's rate, its source and date, and its base amount, or 422 (nothing stored)."""
    if rate is None:
        expense.rate, expense.rate_source, expense.rate_date, expense.base_amount_minor = quote(
            expense.amount_minor, expense.currency, expense.date, ledger_currency=ledger_currency, loc=loc
        )
        return
    if expense.currency == ledger_currency:
        raise Invalid(
            (*loc, "rate"), f"The expense is in the ledger's currency ({ledger_currency}): leave out rate"
        )
    expense.rate, expense.rate_source, expense.rate_date = rate_text(rate), "manual", None
    base = base_minor(expense.amount_minor, expense.currency, rate, ledger_currency)
    # A rate given by hand can make a small amount huge: then the rate is the field to look at.
    expense.base_amount_minor = _bounded(base, ledger_currency, (*loc, "rate"))


def reprice(expense: Expense, *, ledger_currency: str, loc: tuple[str, ...] = ("body",)) -> None:
    """The base amount of a new amount at the expense's own rate (a new amount alone keeps it)."""
    base = base_minor(expense.amount_minor, expense.currency, Decimal(expense.rate), ledger_currency)
    expense.base_amount_minor = _bounded(base, ledger_currency, (*loc, "amount"))


def _bounded(base: int, ledger_currency: str, loc: tuple[str, ...]) -> int:
    """A base amount within an amount's limit (1,000,000,000 of the ledger's currency, a refund's
    negative one too), or 422."""
    if abs(base) > max_minor(ledger_currency):
        what = "the amount and the rate" if loc[-1] == "rate" else "the amount"
        raise Invalid(loc, f"Converted, this is more than 1,000,000,000 {ledger_currency}: check {what}")
    return base
