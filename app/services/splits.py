"""Exact division of money among ledger members, and the payments that even a ledger up.

Pure functions on integer minor units. The ledger services store the parts they return beside
each expense, so a member's share of a ledger's history stays a SQL aggregate.
"""

from collections.abc import Mapping


def split_by_weights(total: int, weights: Mapping[int, int]) -> dict[int, int]:
    """Divide `total` by the members' integer weights, exactly.

    Each part is rounded down; the units left over go one each to the parts with the largest
    remainders, ties to the lower user id. So 10000 by three equal weights is 3334, 3333, 3333.
    """
    if not weights or any(weight <= 0 for weight in weights.values()):
        raise ValueError("weights must be a non-empty mapping of positive integers")
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
