"""Writes of shoppers' pay: making a payment run (it claims its lines), marking it paid,
and cancelling one not paid yet."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.errors import ConflictError, DomainError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import ident, utcnow
from audits.expenses.models import ExpenseClaim, ExpenseStatus
from audits.pay import queries
from audits.pay.models import PaymentLine, PaymentRun

MSG_PERIOD = N_("The period ends before it starts: give an end on or after its first day.")
MSG_PERIOD_LONG = N_("Keep a payment run's period under a year (366 days).")
MSG_NOTHING_OWED = N_(
    "Nothing is owed for this period: no approved shop with a fee, and no approved expense, "
    "is left unpaid."
)
MSG_CLAIMED = N_(
    "Another payment run has just taken some of these shops. Look at the runs below, "
    "then make this one again for what is left."
)
MSG_ALREADY_PAID = N_("This payment run was already marked paid on %(day)s: nothing was changed.")
MSG_PAID_CANNOT_CANCEL = N_("This payment run is marked paid, so it cannot be cancelled.")

MAX_PERIOD_DAYS = 366


class PeriodError(DomainError):
    status_code = 422  # as the request's own validation answers a period out of order


class PaymentPeriod(BaseModel):
    """The days a payment run covers, both included, in the organization's time zone."""

    model_config = ConfigDict(extra="forbid")

    period_from: date
    period_until: date

    @model_validator(mode="after")
    def _order(self) -> PaymentPeriod:
        if self.period_until < self.period_from:
            raise ValueError(MSG_PERIOD)
        if (self.period_until - self.period_from).days >= MAX_PERIOD_DAYS:
            raise ValueError(MSG_PERIOD_LONG)
        return self


def payment_run_create(
    *, session: Session, org_id: int, period: PaymentPeriod, tz: str, actor_id: int
) -> PaymentRun:
    """A run of every fee owed for the period, each shop claimed as one line of it.

    Claimed by insert under a unique constraint on the line's shop: of two runs made at once
    for overlapping periods, the second fails on the first's lines and writes nothing (one
    transaction), so a shop is in one run at most, and paid at most once.
    """
    start, end = queries.period_bounds(period.period_from, period.period_until, tz)
    shops = queries.owed_shops(session, start, end)
    expense_ids = [claim.id for claim, _ in queries.owed_expenses(session, start, end)]
    if not shops and not expense_ids:
        raise ConflictError(MSG_NOTHING_OWED)
    run = PaymentRun(
        org_id=org_id,
        period_from=period.period_from,
        period_until=period.period_until,
        created_by=actor_id,
    )
    session.add(run)
    try:
        session.flush()
        session.add_all(
            PaymentLine(
                org_id=org_id,
                run_id=ident(run),
                shop_id=ident(shop),
                shopper_id=shop.shopper_id,  # type: ignore[arg-type]
                amount_minor=shop.fee_minor,  # type: ignore[arg-type]
                currency=shop.fee_currency,
            )
            for shop in shops
        )
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(MSG_CLAIMED) from None
    if expense_ids:
        # Expenses are claimed by one conditional update: one taken by another run meanwhile
        # (or decided again) makes the count short, and the whole run is rolled back.
        claimed = session.execute(
            update(ExpenseClaim)
            .where(
                col(ExpenseClaim.id).in_(expense_ids),
                col(ExpenseClaim.org_id) == org_id,
                col(ExpenseClaim.run_id).is_(None),
                col(ExpenseClaim.status) == ExpenseStatus.approved,
            )
            .values(run_id=ident(run))
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != len(expense_ids):  # type: ignore[attr-defined]
            session.rollback()
            raise ConflictError(MSG_CLAIMED)
    session.commit()
    return run


def payment_run_mark_paid(
    *, session: Session, run: PaymentRun, actor_id: int, tz: str
) -> PaymentRun:
    """Mark the run paid, once: one conditional update, so two presses (or two owners at
    once) pay it once and the second is told when it was paid."""
    marked = session.execute(
        update(PaymentRun)
        .where(
            col(PaymentRun.id) == run.id,
            col(PaymentRun.org_id) == run.org_id,
            col(PaymentRun.paid_at).is_(None),
        )
        .values(paid_at=utcnow(), paid_by=actor_id)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(run)
        day = queries.long_day(run.paid_at, tz) if run.paid_at else "an earlier day"
        raise ConflictError(message(MSG_ALREADY_PAID, day=day))
    session.commit()
    session.refresh(run)
    return run


def payment_run_cancel(*, session: Session, run: PaymentRun) -> None:
    """Cancel a run not paid yet: its lines are freed, owed again for a later run."""
    if run.paid_at is not None:
        raise ConflictError(MSG_PAID_CANNOT_CANCEL)
    # Lines first, then the run only while it is still not paid (else all is rolled back);
    # "fetch" takes the deleted rows out of this session too, so their ids can come again.
    session.execute(
        delete(PaymentLine)
        .where(col(PaymentLine.run_id) == run.id)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(
        update(ExpenseClaim)
        .where(col(ExpenseClaim.run_id) == run.id, col(ExpenseClaim.org_id) == run.org_id)
        .values(run_id=None)
        .execution_options(synchronize_session="fetch")
    )
    deleted = session.execute(
        delete(PaymentRun)
        .where(
            col(PaymentRun.id) == run.id,
            col(PaymentRun.org_id) == run.org_id,
            col(PaymentRun.paid_at).is_(None),
        )
        .execution_options(synchronize_session="fetch")
    )
    if deleted.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ConflictError(MSG_PAID_CANNOT_CANCEL)
    session.commit()
