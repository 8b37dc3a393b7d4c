"""Exact division of money among ledger members, and the payments that even a ledger up.

Functions on integer minor units, and the reading of a body's split into parts (check_split and
split_parts, which the one writer of expenses, app.services.expenses, applies).
The expense and ledger services store the parts they return beside
each expense, so a member's share of a ledger's history stays a SQL aggregate.
"""

from collections.abc import Mapping
from decimal import Decimal

from app.errors import Invalid
from app.money import amount_text
from app.schemas.expenses import SplitIn
from app.services.conversion import minor_amount

# (user_id, shares, amount): one member's part of an expense; shares None for an exact amount.
Part = tuple[int, int | None, int]


def split_by_weights(total: int, weights: Mapping[int, int]) -> dict[int, int]:
    """Divide `total` by the members' integer weights, exactly.

    Each part is rounded down; the units left over go one each to the parts with the largest
    remainders, ties to the lower user id. So 10000 by three equal weights is 3334, 3333, 3333. A
    negative total (a refund) is divided as its absolute value and negated: -3334, -3333, -3333.
    """
    if not weights or any(weight <= 0 for weight in weights.values()):
        raise ValueError("weights must be a non-empty mapping of positive integers")
    if total < 0:
        return {user_id: -part for user_id, part in split_by_weights(-total, weights).items()}
    whole = sum(weights.values())
    parts: dict[int, int] = {}
    remainders: list[tuple[int, int]] = []
    for user_id, weight in sorted(weights.items()):
        parts[user_id], remainder = divmod(total * weight, whole)
        remainders.append((-remainder, user_id))
    # Each remainder is below `whole`, so fewer units are left over than there are parts.
    for _, user_id in sorted(remainders)[: total - sum(parts.values())]:
        parts[user_id] += 1
    return parts


def settle_transfers(balances: Mapping[int, int]) -> list[tuple[int, int, int]]:
    """Payments `(from_user_id, to_user_id, amount)` that bring every balance to zero.

    The member who owes most pays the one owed most, as much as evens one of them; each payment
    evens at least one member and the last evens two, so there are at most (members with a
    non-zero balance - 1). Ties go to the lower user id, so the answer is stable.
    """
    if sum(balances.values()) != 0:
        raise ValueError("balances must add up to zero")
    # [amount, user_id] pairs, largest amount first, then the lower user id.
    owed = sorted(([-balance, user_id] for user_id, balance in balances.items() if balance < 0), key=_largest)
    due = sorted(([balance, user_id] for user_id, balance in balances.items() if balance > 0), key=_largest)
    transfers: list[tuple[int, int, int]] = []
    debtor = creditor = 0
    while debtor < len(owed) and creditor < len(due):
        amount = min(owed[debtor][0], due[creditor][0])
        transfers.append((owed[debtor][1], due[creditor][1], amount))
        owed[debtor][0] -= amount
        due[creditor][0] -= amount
        if owed[debtor][0] == 0:
            debtor += 1
        if due[creditor][0] == 0:
            creditor += 1
    return transfers


def _largest(pair: list[int]) -> tuple[int, int]:
    return -pair[0], pair[1]


def default_weights(roles: dict[int, str]) -> dict[int, int]:
    """Equal shares among the ledger's owners and editors: who bears an expense nobody split."""
    return {user_id: 1 for user_id, role in roles.items() if role in ("owner", "editor")}


def by_weights(amount: int, weights: dict[int, int]) -> list[Part]:
    if not weights:  # a ledger left with viewers only: nobody bears it but a named member
        raise Invalid(("body", "split"), "This ledger has no owner or editor to bear it: give a split")
    return [
        (user_id, weights[user_id], minor)
        for user_id, minor in sorted(split_by_weights(amount, weights).items())
    ]


def check_paid_by(roles: dict[int, str], paid_by: int) -> None:
    if paid_by not in roles:
        raise Invalid(("body", "paid_by"), f"User {paid_by} is not a member of this ledger")


def check_split(roles: dict[int, str], split: list[SplitIn]) -> None:
    """Each part names a current member, once."""
    seen: set[int] = set()
    for n, part in enumerate(split):
        if part.user_id not in roles:
            raise Invalid(
                ("body", "split", str(n), "user_id"), f"User {part.user_id} is not a member of this ledger"
            )
        if part.user_id in seen:
            raise Invalid(("body", "split", str(n), "user_id"), f"User {part.user_id} is in the split twice")
        seen.add(part.user_id)


def split_parts(amount: int, split: list[SplitIn], currency: str) -> list[Part]:
    """A checked split (check_split) applied to `amount`: by its shares, or its exact amounts, which
    must add up to it, neither less nor more. A refund's (negative) amount is split as its absolute
    value, as the body gives its parts, and each part negated."""
    if split[0].shares is not None:
        return by_weights(amount, {part.user_id: int(part.shares or 0) for part in split})
    sign = -1 if amount < 0 else 1
    exact: list[Part] = sorted(
        (
            part.user_id,
            None,
            minor_amount(part.amount or Decimal(0), currency, ("body", "split", str(n), "amount")),
        )
        for n, part in enumerate(split)
    )
    given = sum(cents for _, _, cents in exact)
    if given != abs(amount):
        raise Invalid(
            ("body", "split"),
            f"The split amounts add up to {amount_text(given, currency)}, not the expense's "
            f"{amount_text(abs(amount), currency)} {currency}: make them add up, or split by shares",
        )
    return [(user_id, None, sign * cents) for user_id, _, cents in exact]


def part_rows(
    expense_id: int, ledger_id: int, base_amount: int, split: list[Part]
) -> list[dict[str, object]]:
    """The parts as rows of expense_splits (plain values: an import writes 50,000 expenses' parts),
    the base amount divided by the same weights: the shares, or the exact amounts (so parts of a
    same-currency expense are their amounts exactly; a refund's, negative, weigh as their absolute
    values)."""
    weights = {user_id: shares if shares is not None else abs(cents) for user_id, shares, cents in split}
    base = split_by_weights(base_amount, weights)
    return [
        {
            "expense_id": expense_id,
            "user_id": user_id,
            "ledger_id": ledger_id,
            "shares": shares,
            "amount_minor": cents,
            "base_amount_minor": base[user_id],
        }
        for user_id, shares, cents in split
    ]
