"""The split and settle-up arithmetic of shared ledgers: exact parts, balances that even out."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.splits import settle_transfers, split_by_weights

user_ids = st.integers(min_value=1, max_value=10_000)
weights = st.dictionaries(user_ids, st.integers(min_value=1, max_value=1000), min_size=1, max_size=12)
totals = st.integers(min_value=-(10**13), max_value=10**13)


def test_an_equal_three_way_split_gives_the_spare_cent_to_the_lowest_user_id() -> None:
    assert split_by_weights(10_000, {9: 1, 3: 1, 5: 1}) == {3: 3334, 5: 3333, 9: 3333}


def test_leftover_units_go_to_the_largest_remainders_first() -> None:
    # 100 by 1:2:3 is 16.67, 33.33, 50: the 0.67 remainder wins the unit left over.
    assert split_by_weights(100, {1: 1, 2: 2, 3: 3}) == {1: 17, 2: 33, 3: 50}
    # 1 cent by 1:2: user 2's remainder (2/3) beats user 1's (1/3).
    assert split_by_weights(1, {1: 1, 2: 2}) == {1: 0, 2: 1}


def test_a_split_by_one_weight_is_the_whole() -> None:
    assert split_by_weights(12_345, {7: 3}) == {7: 12_345}


@pytest.mark.parametrize("bad", [{}, {1: 0}, {1: 2, 2: -1}])
def test_weights_must_be_positive_and_present(bad: dict[int, int]) -> None:
    with pytest.raises(ValueError, match="weights"):
        split_by_weights(100, bad)


@given(total=totals, weights=weights)
def test_parts_add_up_to_the_whole_and_each_is_its_exact_share_rounded(
    total: int, weights: dict[int, int]
) -> None:
    parts = split_by_weights(total, weights)
    assert sum(parts.values()) == total
    assert list(parts) == sorted(weights)
    whole = sum(weights.values())
    for user_id, part in parts.items():
        floor = total * weights[user_id] // whole
        assert part in (floor, floor + 1)


def test_transfers_pay_the_largest_creditor_from_the_largest_debtor() -> None:
    assert settle_transfers({1: 5000, 2: -3000, 3: -2000}) == [(2, 1, 3000), (3, 1, 2000)]
    assert settle_transfers({1: -700, 2: 300, 3: 400}) == [(1, 3, 400), (1, 2, 300)]
    assert settle_transfers({1: 0, 2: 0}) == []


def test_equal_balances_are_paired_by_the_lower_user_id_first() -> None:
    # Two debtors owe the same and two creditors are owed the same: the lower ids pay and are paid first.
    assert settle_transfers({4: -100, 3: -100, 2: 100, 1: 100}) == [(3, 1, 100), (4, 2, 100)]
    assert settle_transfers({9: 250, 7: 250, 8: -500}) == [(8, 7, 250), (8, 9, 250)]
    assert settle_transfers({5: -250, 2: -250, 6: 500}) == [(2, 6, 250), (5, 6, 250)]


def test_balances_that_do_not_add_up_to_zero_are_refused() -> None:
    with pytest.raises(ValueError, match="zero"):
        settle_transfers({1: 1, 2: 0})


@st.composite
def ledgers(draw: st.DrawFn) -> dict[int, int]:
    members = draw(st.lists(user_ids, min_size=1, max_size=15, unique=True))
    amounts = [draw(st.integers(min_value=-(10**9), max_value=10**9)) for _ in members[1:]]
    return dict(zip(members, [-sum(amounts), *amounts], strict=True))


@given(balances=ledgers())
def test_made_as_settlements_the_transfers_bring_every_balance_to_zero(balances: dict[int, int]) -> None:
    transfers = settle_transfers(balances)
    after = dict(balances)
    for payer, payee, amount in transfers:
        assert amount > 0
        assert payer != payee
        # A settlement from the payer raises the payer's balance and lowers the payee's.
        after[payer] += amount
        after[payee] -= amount
    assert set(after.values()) <= {0}
    assert len(transfers) <= max(0, sum(1 for balance in balances.values() if balance) - 1)
