"""Reads of shoppers' pay: each shop's fee state, what is owed for a period, a payment run's
lines and totals, and what one shopper is owed and was paid (docs/definitions.md, "Fees")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlmodel import Session, col, select

from app.i18n.catalogs import N_, gettext
from app.i18n.languages import DEFAULT_LANGUAGE, locale_of
from app.orgs.models import Location, User
from audits.board.models import ReleaseReason, ShopRelease
from audits.board.queries import NO_MINOR_UNIT, fee_words
from audits.expenses.models import ExpenseClaim, ExpenseStatus
from audits.models import Shop, ShopStatus
from audits.pay.models import PaymentLine, PaymentRun


class FeeState(StrEnum):
    """Where a shop's fee stands for its shopper; never left unsaid."""

    pending = "pending"  # the shopper holds it or handed it in: owed once approved
    owed = "owed"  # approved, not paid yet (in a run or not)
    paid = "paid"  # in a payment run marked paid
    not_owed = "not_owed"  # sent back to fix, or taken off the shopper: the reason says which


FEE_STATE_LABELS = {
    FeeState.pending: N_("Owed once approved"),
    FeeState.owed: N_("Owed"),
    FeeState.paid: N_("Paid"),
    FeeState.not_owed: N_("Not owed"),
}

# Shown to the shopper in their language (`shopper_pay(..., lang=)`): %(name)s placeholders.
REASON_HELD = N_("Owed once you hand it in and it is approved.")
REASON_SUBMITTED = N_("Handed in: owed once it is approved.")
REASON_RETURNED = N_(
    "Sent back to fix, so not owed yet; owed once it is approved. The note: %(note)s"
)
REASON_NO_SHOW = N_(
    "Not started by its deadline (%(day)s): it went to another shopper, no fee is owed."
)
REASON_TAKEN_BACK = N_(
    "Taken back by the organization on %(day)s before it was started: no fee is owed."
)
REASON_APPROVED = N_("Approved on %(day)s.")
REASON_IN_RUN = N_("Approved on %(day)s; in payment run #%(run)s, not paid yet.")
REASON_PAID = N_("Paid on %(day)s (payment run #%(run)s).")


def money(amount_minor: int, currency: str) -> str:
    """ "EUR 25.00", "JPY 3000" (docs/guide/shoppers.md, "Fees")."""
    return fee_words(amount_minor, currency)


def decimal_text(amount_minor: int, currency: str) -> str:
    """The amount as a plain decimal for a spreadsheet or a bank file: "25.00", "3000"."""
    if currency in NO_MINOR_UNIT:
        return str(amount_minor)
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


def long_day(moment: datetime | date, tz: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """ "3 March 2026"; "3 de marzo de 2026" in Spanish."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(ZoneInfo(tz)).date()
    if lang == DEFAULT_LANGUAGE:
        return f"{moment.day} {moment:%B %Y}"
    return format_date(moment, "long", locale=locale_of(lang))


def period_bounds(period_from: date, period_until: date, tz: str) -> tuple[datetime, datetime]:
    """The period's days, both included, in the organization's zone, as [start, end) in UTC."""
    zone = ZoneInfo(tz)
    start = datetime.combine(period_from, time(), zone)
    end = datetime.combine(period_until + timedelta(days=1), time(), zone)
    return start, end


def totals(items: Iterable[tuple[int, str]]) -> dict[str, int]:
    """Amounts summed per currency (never across currencies), by currency code."""
    sums: dict[str, int] = defaultdict(int)
    for amount, currency in items:
        sums[currency] += amount
    return dict(sorted(sums.items()))


# --- the owner's side: what is owed, payment runs -----------------------------------------


@dataclass
class PayLine:
    """One shop's fee, owed or in a run: whose, where and when it was approved."""

    shop_id: int
    shopper_id: int
    shopper_name: str
    shopper_email: str
    location_name: str
    approved_on: date
    amount_minor: int
    currency: str
    # "fee" (the shop's fee) or "expense" (an approved expense claim of the shop).
    kind: str = "fee"
    what_for: str = ""
    expense_id: str = ""

    @property
    def amount(self) -> str:
        return money(self.amount_minor, self.currency)


@dataclass
class Payee:
    """One shopper's lines in a period or a run, with their totals per currency."""

    shopper_id: int
    name: str
    email: str
    lines: list[PayLine] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return totals((line.amount_minor, line.currency) for line in self.lines)

    @property
    def totals_words(self) -> str:
        return " + ".join(money(a, c) for c, a in self.totals.items())

    @property
    def fee_totals(self) -> dict[str, int]:
        return totals((x.amount_minor, x.currency) for x in self.lines if x.kind == "fee")

    @property
    def expense_totals(self) -> dict[str, int]:
        return totals((x.amount_minor, x.currency) for x in self.lines if x.kind == "expense")

    def words(self, sums: dict[str, int]) -> str:
        return " + ".join(money(a, c) for c, a in sums.items()) or "—"


def payees(lines: Iterable[PayLine]) -> list[Payee]:
    """Lines grouped per shopper, by name."""
    by_shopper: dict[int, Payee] = {}
    for line in lines:
        payee = by_shopper.setdefault(
            line.shopper_id, Payee(line.shopper_id, line.shopper_name, line.shopper_email)
        )
        payee.lines.append(line)
    return sorted(by_shopper.values(), key=lambda p: (p.name.lower(), p.shopper_id))


def _owed_query(start: datetime | None, end: datetime) -> Any:
    claimed = select(PaymentLine.shop_id).where(col(PaymentLine.shop_id) == col(Shop.id))
    query = select(Shop).where(
        Shop.status == ShopStatus.approved,
        col(Shop.fee_minor).is_not(None),
        col(Shop.shopper_id).is_not(None),
        col(Shop.approved_at) < end,
        ~claimed.exists(),
    )
    if start is not None:
        query = query.where(col(Shop.approved_at) >= start)
    return query.order_by(col(Shop.approved_at), col(Shop.id))


def owed_shops(session: Session, start: datetime | None, end: datetime) -> list[Shop]:
    """Approved shops with a fee, approved in [start, end), that no payment run has claimed."""
    return list(session.exec(_owed_query(start, end)))


def owed_expenses(
    session: Session, start: datetime | None, end: datetime
) -> list[tuple[ExpenseClaim, Shop]]:
    """Approved expense claims of approved shops that no payment run has claimed, owed from
    the later of the two approvals, in [start, end) (docs/definitions.md, "Fees")."""
    query = (
        select(ExpenseClaim, Shop)
        .join(Shop, col(Shop.id) == col(ExpenseClaim.shop_id))
        .where(
            ExpenseClaim.status == ExpenseStatus.approved,
            col(ExpenseClaim.run_id).is_(None),
            Shop.status == ShopStatus.approved,
            col(Shop.approved_at) < end,
            col(ExpenseClaim.decided_at) < end,
        )
    )
    if start is not None:
        query = query.where(
            (col(Shop.approved_at) >= start) | (col(ExpenseClaim.decided_at) >= start)
        )
    query = query.order_by(col(Shop.approved_at), col(Shop.id), col(ExpenseClaim.created_at))
    return [(claim, shop) for claim, shop in session.exec(query).all()]


@dataclass
class _Row:
    shop_id: int
    shopper_id: int
    amount_minor: int
    currency: str
    kind: str = "fee"
    what_for: str = ""
    expense_id: str = ""
    owed_from: datetime | None = None  # an expense: the later of its and its shop's approval


def _expense_row(claim: ExpenseClaim, shop: Shop) -> _Row:
    moments = [m for m in (shop.approved_at, claim.decided_at) if m is not None]
    return _Row(
        shop_id=claim.shop_id,
        shopper_id=claim.shopper_id,
        amount_minor=claim.amount_minor,
        currency=claim.currency,
        kind="expense",
        what_for=claim.what_for,
        expense_id=str(claim.id),
        owed_from=max(moments) if moments else None,
    )


def _pay_lines(session: Session, rows: list[_Row], tz: str) -> list[PayLine]:
    """Rows made into lines with names and days."""
    shop_ids = [r.shop_id for r in rows]
    shops = {s.id: s for s in session.exec(select(Shop).where(col(Shop.id).in_(shop_ids)))}
    loc_ids = {s.location_id for s in shops.values()}
    locations = {
        loc.id: loc.name
        for loc in session.exec(select(Location).where(col(Location.id).in_(loc_ids)))
    }
    users = {
        u.id: u
        for u in session.exec(select(User).where(col(User.id).in_({r.shopper_id for r in rows})))
    }
    lines = []
    for row in rows:
        shop, user = shops[row.shop_id], users.get(row.shopper_id)
        approved = row.owed_from or shop.approved_at or shop.created_at
        lines.append(
            PayLine(
                shop_id=row.shop_id,
                shopper_id=row.shopper_id,
                shopper_name=user.name if user else "",
                shopper_email=user.email if user else "",
                location_name=locations.get(shop.location_id, ""),
                approved_on=approved.astimezone(ZoneInfo(tz)).date(),
                amount_minor=row.amount_minor,
                currency=row.currency,
                kind=row.kind,
                what_for=row.what_for,
                expense_id=row.expense_id,
            )
        )
    return lines


def _ordered(lines: list[PayLine]) -> list[PayLine]:
    """A shop's fee, then its expenses, shop by shop as they came."""
    first: dict[int, int] = {}
    for i, line in enumerate(lines):
        first.setdefault(line.shop_id, i)
    return sorted(lines, key=lambda x: (first[x.shop_id], x.kind != "fee"))


def owed_lines(session: Session, period_from: date, period_until: date, tz: str) -> list[PayLine]:
    """What a run for this period would pay: every unclaimed fee of a shop approved in it,
    and every unclaimed approved expense owed in it."""
    start, end = period_bounds(period_from, period_until, tz)
    rows = [
        _Row(s.id, s.shopper_id, s.fee_minor, s.fee_currency)  # type: ignore[arg-type]
        for s in owed_shops(session, start, end)
    ]
    rows += [_expense_row(c, s) for c, s in owed_expenses(session, start, end)]
    return _ordered(_pay_lines(session, rows, tz))


def owed_before(session: Session, period_from: date, tz: str) -> int:
    """How many fees and expenses owed before the period are still in no run (so not in
    this one)."""
    start, _ = period_bounds(period_from, period_from, tz)
    return len(owed_shops(session, None, start)) + len(owed_expenses(session, None, start))


def payment_runs(session: Session) -> list[PaymentRun]:
    return list(
        session.exec(
            select(PaymentRun).order_by(
                col(PaymentRun.created_at).desc(), col(PaymentRun.id).desc()
            )
        )
    )


def run_lines(session: Session, run_id: int, tz: str) -> list[PayLine]:
    fees = session.exec(
        select(
            PaymentLine.shop_id,
            PaymentLine.shopper_id,
            PaymentLine.amount_minor,
            PaymentLine.currency,
        )
        .where(PaymentLine.run_id == run_id)
        .order_by(col(PaymentLine.id))
    ).all()
    rows = [_Row(*r) for r in fees]
    expenses = session.exec(
        select(ExpenseClaim, Shop)
        .join(Shop, col(Shop.id) == col(ExpenseClaim.shop_id))
        .where(ExpenseClaim.run_id == run_id)
        .order_by(col(Shop.approved_at), col(Shop.id), col(ExpenseClaim.created_at))
    ).all()
    rows += [_expense_row(c, s) for c, s in expenses]
    return _ordered(_pay_lines(session, rows, tz))


def run_totals(session: Session, run_id: int) -> dict[str, int]:
    rows = session.exec(
        select(PaymentLine.amount_minor, PaymentLine.currency).where(PaymentLine.run_id == run_id)
    ).all()
    spent = session.exec(
        select(ExpenseClaim.amount_minor, ExpenseClaim.currency).where(
            ExpenseClaim.run_id == run_id
        )
    ).all()
    return totals([(a, c) for a, c in rows] + [(a, c) for a, c in spent])


# --- the shopper's side ---------------------------------------------------------------------


@dataclass
class FeeItem:
    """One shop's fee as its shopper reads it: how much, its state and why."""

    shop_id: int
    location_name: str
    amount_minor: int
    currency: str
    state: FeeState
    reason: str
    run_id: int | None = None

    @property
    def amount(self) -> str:
        return money(self.amount_minor, self.currency)

    @property
    def label(self) -> str:
        return FEE_STATE_LABELS[self.state]


EXPENSE_LABELS = {
    FeeState.pending: "Waiting for approval",
    FeeState.owed: "Approved, owed",
    FeeState.paid: "Paid",
    FeeState.not_owed: "Not owed",
}

E_REASON_CLAIMED = "Claimed; waiting for the organization to approve it."
E_REASON_RETURNED = (
    "The shop was sent back to fix: this expense is decided once you hand it in again."
)
E_REASON_APPROVED_SHOP_OPEN = "Approved; owed once the shop itself is approved."
E_REASON_APPROVED = "Approved on {day}."
E_REASON_IN_RUN = "Approved on {day}; in payment run #{run}, not paid yet."
E_REASON_PAID = "Paid on {day} (payment run #{run})."
E_REASON_REJECTED = "Rejected: {reason}"
E_REASON_TAKEN = "The shop was taken off you, so this expense is not owed. Ask the organization."


@dataclass
class ExpenseItem:
    """One expense claim as its shopper reads it: what for, how much, its state and why."""

    expense_id: str
    shop_id: int
    location_name: str
    what_for: str
    amount_minor: int
    currency: str
    state: FeeState
    status: str  # the claim's own: claimed, approved, rejected
    reason: str
    run_id: int | None = None

    @property
    def amount(self) -> str:
        return money(self.amount_minor, self.currency)

    @property
    def label(self) -> str:
        if self.status == ExpenseStatus.rejected:
            return "Rejected"
        return EXPENSE_LABELS[self.state]


def expense_state(
    claim: ExpenseClaim, shop: Shop, run: PaymentRun | None, tz: str
) -> tuple[FeeState, str]:
    """Where an expense stands for its shopper, and why: never left unsaid."""
    if claim.status == ExpenseStatus.rejected:
        return FeeState.not_owed, E_REASON_REJECTED.format(reason=claim.reject_reason)
    if shop.shopper_id != claim.shopper_id:
        return FeeState.not_owed, E_REASON_TAKEN
    if claim.status == ExpenseStatus.claimed:
        if shop.status == ShopStatus.returned:
            return FeeState.pending, E_REASON_RETURNED
        return FeeState.pending, E_REASON_CLAIMED
    if shop.status != ShopStatus.approved:
        return FeeState.pending, E_REASON_APPROVED_SHOP_OPEN
    day = long_day(max(m for m in (shop.approved_at, claim.decided_at, claim.created_at) if m), tz)
    if run is not None and run.paid_at is not None:
        return FeeState.paid, E_REASON_PAID.format(day=long_day(run.paid_at, tz), run=run.id)
    if run is not None:
        return FeeState.owed, E_REASON_IN_RUN.format(day=day, run=run.id)
    return FeeState.owed, E_REASON_APPROVED.format(day=day)


@dataclass
class ShopperPay:
    items: list[FeeItem]
    expenses: list[ExpenseItem] = field(default_factory=list)

    def of(self, *states: FeeState) -> list[FeeItem]:
        return [i for i in self.items if i.state in states]

    def total(self, state: FeeState) -> dict[str, int]:
        """Fees and expenses in this state, per currency."""
        both: list[FeeItem | ExpenseItem] = [*self.items, *self.expenses]
        return totals((i.amount_minor, i.currency) for i in both if i.state == state)

    def total_words(self, state: FeeState) -> str:
        return " + ".join(money(a, c) for c, a in self.total(state).items())


def fee_state(
    shop: Shop,
    line: PaymentLine | None,
    run: PaymentRun | None,
    tz: str,
    lang: str = DEFAULT_LANGUAGE,
) -> tuple[FeeState, str]:
    """The state of the fee of a shop its shopper holds (or held to approval), and why (in
    `lang`)."""
    if shop.status == ShopStatus.approved:
        day = long_day(shop.approved_at or shop.created_at, tz, lang)
        if run is not None and run.paid_at is not None:
            paid = long_day(run.paid_at, tz, lang)
            return FeeState.paid, gettext(REASON_PAID, lang, day=paid, run=run.id)
        if run is not None:
            return FeeState.owed, gettext(REASON_IN_RUN, lang, day=day, run=run.id)
        return FeeState.owed, gettext(REASON_APPROVED, lang, day=day)
    if shop.status == ShopStatus.returned:
        return FeeState.not_owed, gettext(REASON_RETURNED, lang, note=shop.return_note or "—")
    if shop.status == ShopStatus.submitted:
        return FeeState.pending, gettext(REASON_SUBMITTED, lang)
    return FeeState.pending, gettext(REASON_HELD, lang)


def shopper_pay(
    session: Session, shopper_id: int, tz: str, lang: str = DEFAULT_LANGUAGE
) -> ShopperPay:
    """Every fee of this shopper's shops: held, owed, paid, and those not owed with why
    (sent back to fix, or taken off them). Only theirs: nothing of another shopper's."""
    shops = list(
        session.exec(
            select(Shop)
            .where(Shop.shopper_id == shopper_id, col(Shop.fee_minor).is_not(None))
            .order_by(col(Shop.id).desc())
        )
    )
    shop_ids = [s.id for s in shops]
    lines = {
        line.shop_id: line
        for line in session.exec(
            select(PaymentLine).where(
                col(PaymentLine.shop_id).in_(shop_ids), PaymentLine.shopper_id == shopper_id
            )
        )
    }
    runs = {
        r.id: r
        for r in session.exec(
            select(PaymentRun).where(col(PaymentRun.id).in_({x.run_id for x in lines.values()}))
        )
    }
    names = _location_names(session, {s.location_id for s in shops})
    items = []
    for shop in shops:
        line = lines.get(shop.id)  # type: ignore[arg-type]
        run = runs.get(line.run_id) if line else None
        state, reason = fee_state(shop, line, run, tz, lang)
        amount, currency = (
            (line.amount_minor, line.currency) if line else (shop.fee_minor, shop.fee_currency)
        )
        items.append(
            FeeItem(
                shop_id=shop.id,  # type: ignore[arg-type]
                location_name=names.get(shop.location_id, ""),
                amount_minor=amount or 0,
                currency=currency,
                state=state,
                reason=reason,
                run_id=run.id if run else None,
            )
        )
    # Shops taken off this shopper (a no-show, or taken back) and not theirs now: said so.
    held = set(shop_ids)
    released = session.exec(
        select(ShopRelease, Shop)
        .join(Shop, col(Shop.id) == col(ShopRelease.shop_id))
        .where(ShopRelease.shopper_id == shopper_id, col(Shop.fee_minor).is_not(None))
        .order_by(col(ShopRelease.at).desc(), col(ShopRelease.id).desc())
    ).all()
    names |= _location_names(session, {shop.location_id for _, shop in released})
    seen: set[int] = set()
    for release, shop in released:
        if shop.id in held or shop.id in seen:
            continue
        seen.add(shop.id)  # type: ignore[arg-type]
        template = REASON_NO_SHOW if release.reason == ReleaseReason.no_show else REASON_TAKEN_BACK
        items.append(
            FeeItem(
                shop_id=shop.id,  # type: ignore[arg-type]
                location_name=names.get(shop.location_id, ""),
                amount_minor=shop.fee_minor or 0,
                currency=shop.fee_currency,
                state=FeeState.not_owed,
                reason=gettext(
                    template, lang, day=long_day(release.deadline or release.at, tz, lang)
                ),
            )
        )
    return ShopperPay(items, shopper_expenses(session, shopper_id, tz))


def shopper_expenses(session: Session, shopper_id: int, tz: str) -> list[ExpenseItem]:
    """Every expense this shopper claimed, newest first, with its state and why."""
    rows = session.exec(
        select(ExpenseClaim, Shop)
        .join(Shop, col(Shop.id) == col(ExpenseClaim.shop_id))
        .where(ExpenseClaim.shopper_id == shopper_id)
        .order_by(col(ExpenseClaim.created_at).desc(), col(ExpenseClaim.id))
    ).all()
    run_ids = {c.run_id for c, _ in rows if c.run_id is not None}
    runs = (
        {r.id: r for r in session.exec(select(PaymentRun).where(col(PaymentRun.id).in_(run_ids)))}
        if run_ids
        else {}
    )
    names = _location_names(session, {shop.location_id for _, shop in rows})
    items = []
    for claim, shop in rows:
        run = runs.get(claim.run_id) if claim.run_id is not None else None
        state, reason = expense_state(claim, shop, run, tz)
        items.append(
            ExpenseItem(
                expense_id=str(claim.id),
                shop_id=claim.shop_id,
                location_name=names.get(shop.location_id, ""),
                what_for=claim.what_for,
                amount_minor=claim.amount_minor,
                currency=claim.currency,
                state=state,
                status=str(claim.status),
                reason=reason,
                run_id=run.id if run else None,
            )
        )
    return items


def _location_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        loc.id: loc.name  # type: ignore[misc]
        for loc in session.exec(select(Location).where(col(Location.id).in_(ids)))
    }


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()
