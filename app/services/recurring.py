"""Recurring expenses: rules whose occurrences become ordinary expenses once due.

Due occurrences are created once a day for every rule (`run_daily`, at start-up and at each local
midnight: app.main), and for one rule when it is created, changed or resumed. Requests never
check. Each rule keeps `next_date`, so "is anything due?" is one indexed query. Every occurrence
is inserted if absent under a unique (recurring_id, occurrence_date): two workers at once create
it once, and only the one whose insert happened counts it in the monthly totals.
"""

import calendar
from datetime import date, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import rates
from app.access import LedgerAccess, ObjectScope
from app.errors import Invalid
from app.models import DailyRun, Expense, RecurringRule
from app.money import to_decimal
from app.schemas.expenses import RecurringIn, RecurringUpdate
from app.services import member_object
from app.services.categories import canonical_category
from app.services.conversion import minor_amount
from app.services.expenses import add_expenses

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


def _materialise_rule(session: Session, rule: RecurringRule, today: date) -> None:
    days = []
    day = rule.next_date
    while day is not None and day <= today:
        days.append(day)
        day = first_on_or_after(rule, day + timedelta(days=1))
    occurrences = [
        Expense(
            ledger_id=rule.ledger_id,
            user_id=rule.user_id,
            paid_by=rule.user_id,
            date=when,
            category=rule.category,
            category_key=rule.category_key,
            amount_cents=rule.amount_cents,
            currency=rule.currency,
            description=rule.description,
            recurring_id=rule.id,
            occurrence_date=when,
        )
        for when in days
    ]
    add_expenses(session, occurrences)  # skips (and does not count) an occurrence already there
    rule.next_date = day


def materialise_due(session: Session, *, today: date) -> None:
    """Create every occurrence due by `today`, in every ledger."""
    stmt = select(RecurringRule).where(RecurringRule.next_date <= today, RecurringRule.paused.is_(False))
    rules = session.scalars(stmt.order_by(RecurringRule.id)).all()
    if not rules:
        return
    for rule in rules:
        _materialise_rule(session, rule, today)
    session.commit()


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


def create_rule(session: Session, *, access: LedgerAccess, data: RecurringIn, today: date) -> RecurringRule:
    """A new rule; one that started in the past back-fills its occurrences up to today."""
    category, key = canonical_category(session, access=access, category=data.category)
    currency = data.currency or access.currency
    rule = RecurringRule(
        ledger_id=access.ledger_id,
        user_id=access.user_id,
        category=category,
        category_key=key,
        amount_cents=minor_amount(data.amount, currency),
        currency=currency,
        description=data.description,
        frequency=data.frequency,
        interval=data.interval,
        start_date=data.start_date,
        end_date=data.end_date,
        day_of_month=data.day_of_month,
        paused=data.paused,
    )
    _check(rule, access.currency)
    rule.next_date = first_on_or_after(rule, rule.start_date)
    session.add(rule)
    session.flush()
    if not rule.paused:
        _materialise_rule(session, rule, today)
    session.commit()
    return rule


def update_rule(
    session: Session, *, scope: ObjectScope, rule_id: int, data: RecurringUpdate, today: date
) -> RecurringRule:
    """Change a rule; occurrences already created stay as they are, later ones follow the change."""
    rule, access = get_rule(session, scope=scope, rule_id=rule_id, write=True)
    if not rule.paused:  # what is due belongs to the rule as it was
        _materialise_rule(session, rule, today)
    changes = data.model_dump(exclude_unset=True)
    if "category" in changes:
        rule.category, rule.category_key = canonical_category(
            session, access=access, category=changes.pop("category")
        )
    currency = changes.pop("currency", rule.currency)
    amount = changes.pop("amount", None)
    if amount is None and currency != rule.currency:  # the same number, in the new currency
        amount = to_decimal(rule.amount_cents, rule.currency)
    if amount is not None:
        rule.amount_cents, rule.currency = minor_amount(amount, currency), currency
    resumed = changes.get("paused") is False and rule.paused
    for name, value in changes.items():
        setattr(rule, name, value)
    if rule.frequency != "monthly" and "day_of_month" not in changes:
        rule.day_of_month = None  # left over from when the rule was monthly
    _check(rule, access.currency)
    if resumed:
        # Occurrences that fell due while paused are skipped, not made up.
        rule.next_date = first_on_or_after(rule, max(today, rule.start_date))
    elif any(name in changes for name in _SCHEDULE):
        # Only the future changes: everything due by today was created above, under the old
        # schedule (an occurrence today under both is kept once, by the unique key).
        rule.next_date = first_on_or_after(rule, max(today, rule.start_date))
    if not rule.paused:
        _materialise_rule(session, rule, today)
    session.commit()
    return rule


def delete_rule(session: Session, *, scope: ObjectScope, rule_id: int) -> None:
    """Delete a rule; its past occurrences stay as ordinary expenses."""
    session.delete(get_rule(session, scope=scope, rule_id=rule_id, write=True)[0])
    session.commit()
