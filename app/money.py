"""Money in any currency: ISO 4217 minor units, amounts before their currency is known, rates.

An expense's amount is stored in hundredths of its currency's unit, or in its minor unit where
that is finer (thousandths: KWD): `currency_scale`. So every part-1 amount (hundredths) keeps its
meaning; only the currency's decimals are checked on input.
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
MONEY_NUMBER_SCHEMA: dict[str, Any] = {"type": "number", "multipleOf": 0.01, "examples": [12.5]}
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


def currency_scale(code: str) -> int:
    """Stored units per unit of the currency: 100, or 10**decimals where it has more (KWD 1000)."""
    return int(10 ** max(2, minor_digits(code)))


def currency_unit(code: str) -> int:
    """Stored units in one minor unit: 100 for JPY (stored in hundredths of a yen), else 1. Money
    is divided in minor units, so no part of a yen amount has a fraction of a yen."""
    return currency_scale(code) // int(10 ** minor_digits(code))


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


def to_stored(amount: Decimal, currency: str) -> int:
    """An amount in `currency` as stored (see currency_scale); ValueError naming the currency's
    decimals when it has more."""
    exponent = minor_digits(currency)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        words = ("no decimals", "one decimal place", "two decimal places", "three decimal places")
        raise ValueError(f"{currency} has {words[exponent] if exponent < len(words) else exponent}")
    return int(amount * currency_scale(currency))


def amount_text(stored: int, currency: str) -> str:
    """A stored amount as the currency writes it, exactly: "12.50", "1200" (JPY), "1.234" (KWD)."""
    quantum = Decimal(1).scaleb(-minor_digits(currency))
    return str((Decimal(stored) / currency_scale(currency)).quantize(quantum))


def stored_to_number(stored: int, currency: str) -> int | float:
    """1200 yen stored as 120000 -> 1200; KWD 1234 -> 1.234: the JSON number of an amount."""
    whole, rest = divmod(stored, currency_scale(currency))
    return whole if rest == 0 else float(Decimal(stored) / currency_scale(currency))


# An expense's amount before its currency is known: the schema states the default currency's rules
# (two decimals); JPY takes fewer and KWD three, checked against the currency (to_stored).
AnyCurrencyAmountIn = Annotated[Decimal, BeforeValidator(parse_decimal_amount), AMOUNT_IN_SCHEMA]
# An amount in its own currency's units, computed by the response model from the stored value.
CurrencyAmountOut = Annotated[int | float, WithJsonSchema(MONEY_NUMBER_SCHEMA)]


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
