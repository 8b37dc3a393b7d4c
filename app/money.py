"""Money in any currency: ISO 4217 minor units, amounts before their currency is known, rates.

Every amount is stored as an integer count of its currency's minor unit: 1250 is USD 12.50, 1200
is JPY 1200, 1234 is KWD 1.234. An expense's own amount is in its currency; everything on the
ledger's side (base amounts, budgets, settlements, totals) in the ledger's. JSON shows units.
"""

import math
import re
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

import iso4217
from pydantic import BeforeValidator, WithJsonSchema

# The amount rules as one pattern, for the schema: digits, at most two decimals, > 0 and <= 1,000,000,000.
AMOUNT_SCHEMA_PATTERN = r"^0*([1-9][0-9]{0,8}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9])|1000000000(\.00?)?)$"
MONEY_NUMBER_SCHEMA: dict[str, Any] = {
    "type": "number",
    "multipleOf": 0.001,
    "description": "In its currency's units, with at most its decimals (USD two, JPY none, KWD three)",
    "examples": [12.5],
}
# What an amount in a body may be, for the schema: a number or a string, > 0, two decimals.
AMOUNT_IN_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000_000, "multipleOf": 0.01},
            {"type": "string", "pattern": AMOUNT_SCHEMA_PATTERN},
        ],
        "examples": [12.5],
    }
)
_DECIMAL_AMOUNT_STRING = re.compile(r"[0-9]+(\.[0-9]{1,3})?")


def currency_exponent(code: str) -> int:
    """Decimals of the currency's minor unit (JPY 0, USD 2, KWD 3); ValueError if none is known."""
    try:
        exponent = iso4217.Currency(code.upper()).exponent
    except ValueError:
        exponent = None
    if exponent is None:
        raise ValueError(f"{code} is not an ISO 4217 currency code with a minor unit, such as EUR or JPY")
    return int(exponent)


@cache  # read for every amount shown: a list page asks it 50 times
def minor_digits(code: str) -> int:
    """currency_exponent for a stored code: 2 for one part 1 let through (any three letters)."""
    try:
        return currency_exponent(code)
    except ValueError:
        return 2


def json_decimal(value: Any, pattern: re.Pattern[str], example: str) -> Decimal:
    """A JSON number, or a string matching `pattern`, as the exact Decimal it writes; ValueError
    otherwise. A float becomes the shortest decimal that round-trips (0.1 is Decimal("0.1"))."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"must be a number such as {example}")
    if isinstance(value, str):
        if not pattern.fullmatch(value):
            raise ValueError(f"must be a number such as {example}, with no sign, spaces or exponent")
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return Decimal(repr(value))
    return Decimal(value)


def parse_decimal_amount(value: Any) -> Decimal:
    """A JSON number or numeric string as an exact Decimal, > 0 and <= 1,000,000,000, at most three
    decimals; the expense's currency decides later how many it may really have."""
    amount = json_decimal(value, _DECIMAL_AMOUNT_STRING, "12.50")
    if not amount.is_finite() or amount * 1000 != (amount * 1000).to_integral_value():
        raise ValueError("must have at most three decimal places (two for most currencies)")
    if amount <= 0:
        raise ValueError("must be greater than 0")
    if amount > 1_000_000_000:
        raise ValueError("must be at most 1,000,000,000")
    return amount


def to_minor(amount: Decimal, currency: str) -> int:
    """An amount in `currency` in its minor units; ValueError naming the currency's decimals when
    it has more."""
    exponent = minor_digits(currency)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        words = ("no decimals", "one decimal place", "two decimal places", "three decimal places")
        raise ValueError(f"{currency} has {words[exponent] if exponent < len(words) else exponent}")
    return int(minor)


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units as the exact amount: 1234 KWD -> Decimal("1.234")."""
    return Decimal(minor).scaleb(-minor_digits(currency))


def max_minor(currency: str) -> int:
    """The largest amount, 1,000,000,000 of the currency, in its minor units."""
    return int(1_000_000_000 * 10 ** minor_digits(currency))


# The most one ledger's expenses may add up to, in units of its currency: 10,000 of the largest
# amount. Every sum of a ledger's money (a list's total, a month's or a day's, what a member paid or
# bears) is at most that, so none can pass what a BIGINT holds (2^63 - 1, about 9.2 x 10^18 minor
# units; 10^13 units are at most 10^17, in a four-decimal currency such as CLF): SQLite's sum()
# never raises "integer overflow", and no monthly or daily totals row overflows on either database.
MAX_LEDGER_UNITS = 10**13


def max_ledger_minor(currency: str) -> int:
    """MAX_LEDGER_UNITS of the currency in its minor units."""
    return int(MAX_LEDGER_UNITS * 10 ** minor_digits(currency))


def amount_text(minor: int, currency: str) -> str:
    """An amount as the currency writes it, exactly: "12.50", "1200" (JPY), "1.234" (KWD), "-0.07"."""
    unit, positive, negative = _amount_formats(currency)
    if unit == 1:
        return str(minor)
    if minor >= 0:
        return positive % divmod(minor, unit)
    return negative % divmod(-minor, unit)


@cache  # an export asks amount_text twice a row: what the currency decides is worked out once
def _amount_formats(currency: str) -> tuple[int, str, str]:
    """The size of the currency's unit in minor units, and the %-formats of an amount's whole units
    and rest (zero-padded to the currency's decimals) for an amount >= 0 and for one < 0."""
    exponent = minor_digits(currency)
    return 10**exponent, f"%d.%0{exponent}d", f"-%d.%0{exponent}d"


def to_number(minor: int, currency: str) -> int | float:
    """The JSON number of an amount: USD 1250 -> 12.5, JPY 1200 -> 1200, KWD 1234 -> 1.234."""
    unit: int = 10 ** minor_digits(currency)
    whole, rest = divmod(minor, unit)
    # Dividing two integers gives the float nearest the exact quotient, as float(Decimal) would:
    # no arithmetic on the float follows, it is only how JSON writes the exact amount.
    return whole if rest == 0 else minor / unit


# An expense's amount before its currency is known: the schema states the default currency's rules
# (two decimals); JPY takes fewer and KWD three, checked against the currency (to_minor).
AnyCurrencyAmountIn = Annotated[Decimal, BeforeValidator(parse_decimal_amount), AMOUNT_IN_SCHEMA]
# An amount in its currency's units (to_number): only the code that knows the currency makes one.
MoneyOut = Annotated[int | float, WithJsonSchema(MONEY_NUMBER_SCHEMA)]


# A rate given by hand: ledger-currency units per unit of the expense's currency.
_RATE_STRING = re.compile(r"[0-9]+(\.[0-9]+)?")
MIN_RATE = Decimal("1e-9")
MAX_RATE = Decimal("1e9")
MAX_RATE_DIGITS = 12


def parse_rate(value: Any) -> Decimal:
    """A positive decimal number or string of at most 12 significant digits, within 1e-9..1e9."""
    rate = json_decimal(value, _RATE_STRING, "0.0061")
    if rate <= 0:
        raise ValueError("must be greater than 0")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise ValueError("must be between 0.000000001 and 1,000,000,000")
    if len(rate.normalize().as_tuple().digits) > MAX_RATE_DIGITS:
        raise ValueError("must have at most 12 significant digits")
    return rate.normalize()


RateIn = Annotated[
    Decimal,
    BeforeValidator(parse_rate),
    WithJsonSchema(
        {
            "anyOf": [
                # Narrower than what is accepted, so that every value the schema allows is.
                {"type": "number", "minimum": 0.001, "maximum": 999_999_999, "multipleOf": 0.001},
                {"type": "string", "pattern": r"^([1-9][0-9]{0,8}(\.[0-9]{1,3})?|0\.0{0,5}[1-9][0-9]{0,5})$"},
            ],
            "description": "Ledger-currency units per unit of the expense's currency, up to 12 "
            "significant digits; leave out to use the ECB rate of the expense's date",
            "examples": ["0.0061"],
        }
    ),
]


def rate_text(rate: Decimal) -> str:
    """A rate as stored and shown: plain digits, never an exponent (7.4E-7 -> "0.00000074")."""
    return format(rate.normalize(), "f")
