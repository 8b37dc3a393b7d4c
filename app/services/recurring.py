"""Recurring expenses: rules whose occurrences become ordinary expenses once due.

Due occurrences are created once a day for every rule (`run_daily`, at start-up and at each local
midnight: app.main), and for one rule when it is created, changed or resumed. Requests never
check. Each rule keeps `next_date`, so "is anything due?" is one indexed query. Every occurrence
is inserted if absent under a unique (recurring_id, occurrence_date): two workers at once create
it once, and only the one whose insert happened counts it in the monthly totals.

Occurrences go through the one writer (app.services.expenses.add_expenses), paid and split as the
rule says (no split: equal shares among the owners and editors of the day). A rule whose payer or a
part's member leaves is paused (pause_rules_naming), and one the writer refuses is paused, not run.
"""

import calendar
from datetime import date, timedelta
from typing import cast

from sqlalchemy import Select, Table, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app import rates
from app.access import LedgerAccess, ObjectScope
from app.errors import Invalid, NotFound
from app.models import DailyRun, Expense, RecurringRule, RecurringSplit
from app.money import to_decimal
from app.schemas.expenses import RecurringIn, RecurringUpdate, SplitIn
from app.services import lock_ledger, locked_roles, member_object
from app.services.categories import canonical_category
from app.services.conversion import minor_amount
from app.services.expenses import add_expenses
from app.services.splits import Part, by_weights, check_paid_by, check_split, split_parts

LAST_DAY = date(2999, 12, 31)
_SCHEDULE = ("frequency", "interval", "start_date", "end_date", "day_of_month")


def _owned(access: LedgerAccess) -> Select[RecurringRule]:
    return select(RecurringRule).where(RecurringRule.ledger_id == access.ledger_id)


def occurrence(rule: RecurringRule, n: int) -> date | None:
    """The rule's n-th occurrence (from 0), ignoring its end; None beyond the year 2999."""
    start = rule.start_date
    if rule.frequency == "weekly":
        day = start + timedelta(weeks=n * rule.interval)
        return day if day <= LAST_DAY else None
    if rule.frequency == "monthly":
        year, month = divmod(start.year * 12 + start.month - 1 + n * rule.interval, 12)
        month += 1
        wanted = rule.day_of_month or start.day
    else:  # yearly
        year, month, wanted = start.year + n * rule.interval, start.month, start.day
    if year > LAST_DAY.year:
        return None
    # The 31st falls on the last day of shorter months; Feb 29 on Feb 28 outside leap years.
    return date(year, month, min(wanted, calendar.monthrange(year, month)[1]))


def first_on_or_after(rule: RecurringRule, day: date) -> date | None:
    """The first occurrence on or after `day` within the rule's end, or None."""
    start = rule.start_date
    if day <= start:
        n = 0
    elif rule.frequency == "weekly":
        n = (day - start).days // (7 * rule.interval)
    elif rule.frequency == "monthly":
        n = ((day.year - start.year) * 12 + day.month - start.month) // rule.interval - 1
    else:
        n = (day.year - start.year) // rule.interval - 1
    n = max(n, 0)
    found = occurrence(rule, n)
    while found is not None and found < day:
        n += 1
        found = occurrence(rule, n)
    if found is None or (rule.end_date is not None and found > rule.end_date):
        return None
    return found


def _materialise_rule(session: Session, rule: RecurringRule, today: date, *, by: int | None) -> None:
    """Write the rule's occurrences due by `today` through the one writer, paid and split as the rule
    says; `by` is who asks (None: the daily run)."""
    days = []
    day = rule.next_date
    while day is not None and day <= today:
        days.append(day)
        day = first_on_or_after(rule, day + timedelta(days=1))
    occurrences = [
        Expense(
            user_id=rule.user_id,
            date=when,
            category=rule.category,
            category_key=rule.category_key,
            amount_minor=rule.amount_minor,
            currency=rule.currency,
            description=rule.description,
            recurring_id=rule.id,
            occurrence_date=when,
        )
        for when in days
    ]
    if occurrences:
        # Skips (and does not count) an occurrence already there.
        add_expenses(session, rule.ledger_id, occurrences, by=by, paid_by=rule.paid_by, split=_split_in(rule))
    rule.next_date = day


def _catch_up(session: Session, rule: RecurringRule, today: date, *, by: int | None) -> None:
    """What is due, or, if the writer refuses it (its payer or a part's member has left, the ledger
    would hold too much, no rate), the rule paused, for a member to fix and resume: nothing written."""
    try:
        _materialise_rule(session, rule, today, by=by)
    except Invalid:
        rule.paused = True


def materialise_due(session: Session, *, today: date) -> None:
    """Create every occurrence due by `today`, in every ledger."""
    stmt = select(RecurringRule.id, RecurringRule.ledger_id).where(
        RecurringRule.next_date <= today, RecurringRule.paused.is_(False)
    )
    due = session.execute(stmt.order_by(RecurringRule.id)).all()
    if not due:
        return
    for rule_id, ledger_id in due:
        lock_ledger(session, ledger_id)
        # Read under the lock: another worker may have written it, a member paused or deleted it.
        rule = session.scalars(_live(rule_id).where(RecurringRule.paused.is_(False))).first()
        if rule is not None:
            _catch_up(session, rule, today, by=None)
    session.commit()


def _live(rule_id: int) -> Select[RecurringRule]:
    """The rule as committed now, not as the session last read it."""
    return select(RecurringRule).where(RecurringRule.id == rule_id).execution_options(populate_existing=True)


DAILY_JOB = "recurring"


def run_daily(session: Session, *, today: date) -> bool:
    """Create what fell due by `today` for every rule, if no worker has yet today; True if this one did.

    The claim is an update of one row (an insert the first time), committed with the occurrences:
    a second worker waits on the row's lock, then finds the day taken. A worker that fails
    mid-way rolls its claim back, so the next tick (or another worker) tries again.
    """
    claim = update(DailyRun).where(DailyRun.job == DAILY_JOB, DailyRun.day < today).values(day=today)
    if session.execute(claim).rowcount == 0:  # type: ignore[attr-defined]
        session.add(DailyRun(job=DAILY_JOB, day=today))
        try:
            session.flush()
        except IntegrityError:  # the row exists and already says today (or a later day)
            session.rollback()
            return False
    materialise_due(session, today=today)
    session.commit()
    return True


def list_rules(session: Session, *, access: LedgerAccess) -> list[RecurringRule]:
    return list(session.scalars(_owned(access).order_by(RecurringRule.next_date, RecurringRule.id)))


def get_rule(
    session: Session, *, scope: ObjectScope, rule_id: int, write: bool = False
) -> tuple[RecurringRule, LedgerAccess]:
    """The rule in any of the caller's ledgers, and the caller's access to its ledger."""
    return member_object(session, RecurringRule, scope, rule_id, "Recurring expense not found", write=write)


def _check(rule: RecurringRule, base: str) -> None:
    if rule.currency != base and rates.lookup(rule.currency, base, rule.start_date) is None:
        # Every occurrence is on or after the start, so it will have a rate too.
        raise Invalid(
            ("body", "currency"),
            f"No ECB rate is known for {rule.currency} to {base} on {rule.start_date.isoformat()}: "
            f"a recurring expense in {rule.currency} needs one",
        )
    if rule.end_date is not None and rule.end_date < rule.start_date:
        raise Invalid(("body", "end_date"), "end_date must be on or after start_date")
    if rule.day_of_month is not None and rule.frequency != "monthly":
        raise Invalid(("body", "day_of_month"), "day_of_month is for monthly rules only")


def _check_people(roles: dict[int, str], rule: RecurringRule) -> None:
    """A rule that runs needs its payer and the members of its split in the ledger now: they may
    have left since it was saved (which paused it)."""
    if rule.paid_by not in roles:
        raise Invalid(
            ("body", "paid_by"),
            f"User {rule.paid_by}, who pays this recurring expense, is not a member of this ledger "
            "any more: choose who pays (paid_by)",
        )
    for part in rule.splits:
        if part.user_id not in roles:
            raise Invalid(
                ("body", "split"),
                f"User {part.user_id}, in this recurring expense's split, is not a member of this "
                "ledger any more: send a new split, or null for equal shares",
            )


def _check_given(roles: dict[int, str], paid_by: int | None, split: list[SplitIn] | None) -> None:
    """A payer and a split that a body gives name current members, whether the rule runs or not."""
    if paid_by is not None:
        check_paid_by(roles, paid_by)
    if split is not None:
        check_split(roles, split)


def _split_in(rule: RecurringRule) -> list[SplitIn] | None:
    """The rule's split as an expense's body gives it; None: the default."""
    if not rule.splits:
        return None
    return [
        SplitIn(user_id=part.user_id, shares=part.shares)
        if part.shares is not None
        else SplitIn(user_id=part.user_id, amount=to_decimal(part.amount_minor, rule.currency))
        for part in rule.splits
    ]


_SPLITS = cast(Table, RecurringSplit.__table__)


def _write_split(session: Session, rule: RecurringRule, parts: list[Part]) -> None:
    """Store the rule's split (no parts: the default), each part as one occurrence's."""
    session.execute(delete(_SPLITS).where(_SPLITS.c.rule_id == rule.id))
    rows = [
        RecurringSplit(rule_id=rule.id, user_id=user_id, shares=shares, amount_minor=cents)
        for user_id, shares, cents in parts
    ]
    if rows:
        columns = ("rule_id", "user_id", "shares", "amount_minor")
        session.execute(insert(_SPLITS), [{c: getattr(row, c) for c in columns} for row in rows])
    set_committed_value(rule, "splits", rows)  # the answer shows them without a read back


def _resplit(session: Session, rule: RecurringRule, split: list[SplitIn] | None, *, keep: bool) -> None:
    """Store a new split (checked: check_split; None: the default) or, with `keep`, the shares it
    had, of a new amount."""
    if not keep:
        parts = [] if split is None else split_parts(rule.amount_minor, split, rule.currency)
        _write_split(session, rule, parts)
    elif rule.splits:
        if any(part.shares is None for part in rule.splits):
            raise Invalid(
                ("body", "split"), "This recurring expense is split by exact amounts: send the new split too"
            )
        weights = {part.user_id: part.shares or 0 for part in rule.splits}
        _write_split(session, rule, by_weights(rule.amount_minor, weights))


def create_rule(session: Session, *, access: LedgerAccess, data: RecurringIn, today: date) -> RecurringRule:
    """A new rule; one that started in the past back-fills its occurrences up to today."""
    roles = locked_roles(session, access.ledger_id, access.user_id)
    category, key = canonical_category(session, access=access, category=data.category)
    currency = data.currency or access.currency
    rule = RecurringRule(
        ledger_id=access.ledger_id,
        user_id=access.user_id,
        paid_by=access.user_id if data.paid_by is None else data.paid_by,
        category=category,
        category_key=key,
        amount_minor=minor_amount(data.amount, currency),
        currency=currency,
        description=data.description,
        frequency=data.frequency,
        interval=data.interval,
        start_date=data.start_date,
        end_date=data.end_date,
        day_of_month=data.day_of_month,
        paused=data.paused,
    )
    _check_given(roles, rule.paid_by, data.split)
    parts = [] if data.split is None else split_parts(rule.amount_minor, data.split, currency)
    _check(rule, access.currency)
    rule.next_date = first_on_or_after(rule, rule.start_date)
    session.add(rule)
    session.flush()
    _write_split(session, rule, parts)
    if not rule.paused:
        _materialise_rule(session, rule, today, by=access.user_id)
    session.commit()
    return rule


def _locked_rule(
    session: Session, scope: ObjectScope, rule_id: int
) -> tuple[RecurringRule, LedgerAccess, dict[int, str]]:
    """The rule to change, its ledger locked, the caller's right checked against the members' roles
    as they are now, and those roles."""
    rule, access = get_rule(session, scope=scope, rule_id=rule_id, write=True)
    roles = locked_roles(session, access.ledger_id, access.user_id)
    again = session.scalars(_live(rule.id)).first()
    if again is None:
        raise NotFound("Recurring expense not found")
    return again, access, roles


def update_rule(
    session: Session, *, scope: ObjectScope, rule_id: int, data: RecurringUpdate, today: date
) -> RecurringRule:
    """Change a rule; occurrences already created stay as they are, later ones follow the change."""
    rule, access, roles = _locked_rule(session, scope, rule_id)
    if not rule.paused:  # what is due belongs to the rule as it was
        _catch_up(session, rule, today, by=access.user_id)
    changes = data.model_dump(exclude_unset=True)
    new_split = "split" in changes
    changes.pop("split", None)
    split = data.split  # as models, not the dump's dicts
    _check_given(roles, changes.get("paid_by"), split)
    if "category" in changes:
        rule.category, rule.category_key = canonical_category(
            session, access=access, category=changes.pop("category")
        )
    currency = changes.pop("currency", rule.currency)
    amount = changes.pop("amount", None)
    if amount is None and currency != rule.currency:  # the same number, in the new currency
        amount = to_decimal(rule.amount_minor, rule.currency)
    resized = False
    if amount is not None:
        new_amount = minor_amount(amount, currency)
        resized = (new_amount, currency) != (rule.amount_minor, rule.currency)
        rule.amount_minor, rule.currency = new_amount, currency
    resumed = changes.get("paused") is False and rule.paused
    for name, value in changes.items():
        setattr(rule, name, value)
    if rule.frequency != "monthly" and "day_of_month" not in changes:
        rule.day_of_month = None  # left over from when the rule was monthly
    if new_split or resized:
        _resplit(session, rule, split, keep=not new_split)
    if not rule.paused:
        _check_people(roles, rule)
    _check(rule, access.currency)
    if resumed:
        # Occurrences that fell due while paused are skipped, not made up.
        rule.next_date = first_on_or_after(rule, max(today, rule.start_date))
    elif any(name in changes for name in _SCHEDULE):
        # Only the future changes: everything due by today was created above, under the old
        # schedule (an occurrence today under both is kept once, by the unique key).
        rule.next_date = first_on_or_after(rule, max(today, rule.start_date))
    if not rule.paused:
        _materialise_rule(session, rule, today, by=access.user_id)
    session.commit()
    return rule


def delete_rule(session: Session, *, scope: ObjectScope, rule_id: int) -> None:
    """Delete a rule; its past occurrences stay as ordinary expenses."""
    session.delete(_locked_rule(session, scope, rule_id)[0])
    session.commit()


def pause_rules_naming(session: Session, *, ledger_id: int, user_id: int) -> None:
    """Pause the ledger's rules that `user_id` pays or bears a part of, in the caller's transaction,
    as they leave the ledger or are removed: their occurrences would give a former member a balance.
    A member can give such a rule another payer or split and resume it."""
    named = select(RecurringSplit.rule_id).where(RecurringSplit.user_id == user_id)
    session.execute(
        update(RecurringRule)
        .where(
            RecurringRule.ledger_id == ledger_id,
            or_(RecurringRule.paid_by == user_id, RecurringRule.id.in_(named)),
        )
        .values(paused=True)
    )


def move_category(session: Session, *, ledger_id: int, old_key: str, new_key: str, name: str) -> None:
    """The rules of the category `old_key` go on under `new_key`, spelled `name` (a rename or merge:
    app.services.category_edits), in the caller's transaction; their past occurrences are expenses,
    which move with the other expenses."""
    session.execute(
        update(RecurringRule)
        .where(RecurringRule.ledger_id == ledger_id, RecurringRule.category_key == old_key)
        .values(category=name, category_key=new_key)
        .execution_options(synchronize_session=False)
    )
