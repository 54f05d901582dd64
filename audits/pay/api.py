"""The pay JSON API under /api/v1: what is owed for a period, payment runs (make, read,
export, mark paid, cancel) for owners, and a shopper's own pay. Staff have no part in it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from app.orgs.models import Role
from app.tenancy import OwnerDep, Tenant, path_loader, require_role
from audits.pay import queries, services
from audits.pay.csv_export import run_csv
from audits.pay.models import PaymentRun
from audits.pay.queries import FeeState

router = APIRouter(tags=["pay"])

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]
RunDep = Annotated[PaymentRun, Depends(path_loader(PaymentRun))]


class LinePublic(BaseModel):
    shop_id: int
    shopper_id: int
    shopper_name: str
    shopper_email: str
    location_name: str
    approved_on: date
    amount_minor: int
    currency: str
    kind: str  # "fee" or "expense"
    what_for: str  # an expense's "what for"; "" for a fee
    expense_id: str  # "" for a fee


class PayeePublic(BaseModel):
    shopper_id: int
    name: str
    email: str
    totals: dict[str, int]  # minor units per currency code, fees and expenses
    fee_totals: dict[str, int]
    expense_totals: dict[str, int]
    lines: list[LinePublic]


class OwedPublic(BaseModel):
    period_from: date
    period_until: date
    totals: dict[str, int]
    payees: list[PayeePublic]
    owed_before: int  # fees approved before the period and in no run yet


class RunPublic(BaseModel):
    id: int
    period_from: date
    period_until: date
    created_at: datetime
    paid_at: datetime | None
    status: str  # "made" (not paid yet) or "paid"
    totals: dict[str, int]
    payees: list[PayeePublic]


class FeeItemPublic(BaseModel):
    shop_id: int
    location_name: str
    amount_minor: int
    currency: str
    state: str  # pending, owed, paid, not_owed
    reason: str
    run_id: int | None


class ExpenseItemPublic(BaseModel):
    expense_id: str
    shop_id: int
    location_name: str
    what_for: str
    amount_minor: int
    currency: str
    state: str  # pending, owed, paid, not_owed (as fees)
    status: str  # the claim's own: claimed, approved, rejected
    reason: str
    run_id: int | None


class MyPayPublic(BaseModel):
    owed: dict[str, int]  # fees and expenses owed, per currency
    paid: dict[str, int]  # fees and expenses paid, per currency
    items: list[FeeItemPublic]
    expenses: list[ExpenseItemPublic]


def _payees(lines: list[queries.PayLine]) -> list[PayeePublic]:
    return [
        PayeePublic(
            shopper_id=p.shopper_id,
            name=p.name,
            email=p.email,
            totals=p.totals,
            fee_totals=p.fee_totals,
            expense_totals=p.expense_totals,
            lines=[LinePublic.model_validate(line, from_attributes=True) for line in p.lines],
        )
        for p in queries.payees(lines)
    ]


def _run_public(tenant: Tenant, run: PaymentRun) -> RunPublic:
    lines = queries.run_lines(tenant.session, run.id, tenant.org.timezone)  # type: ignore[arg-type]
    return RunPublic(
        id=run.id,  # type: ignore[arg-type]
        period_from=run.period_from,
        period_until=run.period_until,
        created_at=run.created_at,
        paid_at=run.paid_at,
        status="paid" if run.paid_at else "made",
        totals=queries.totals((x.amount_minor, x.currency) for x in lines),
        payees=_payees(lines),
    )


def _period(period_from: date, period_until: date) -> services.PaymentPeriod:
    try:
        return services.PaymentPeriod(period_from=period_from, period_until=period_until)
    except ValidationError as exc:
        message = str(exc.errors()[0].get("ctx", {}).get("error") or services.MSG_PERIOD)
        raise services.PeriodError(message, field="period_until") from None


@router.get("/payments/owed", response_model=OwedPublic)
def owed(
    tenant: OwnerDep,
    period_from: Annotated[date, Query()],
    period_until: Annotated[date, Query()],
) -> OwedPublic:
    period = _period(period_from, period_until)
    tz = tenant.org.timezone
    lines = queries.owed_lines(tenant.session, period.period_from, period.period_until, tz)
    return OwedPublic(
        period_from=period.period_from,
        period_until=period.period_until,
        totals=queries.totals((x.amount_minor, x.currency) for x in lines),
        payees=_payees(lines),
        owed_before=queries.owed_before(tenant.session, period.period_from, tz),
    )


@router.get("/payments", response_model=list[RunPublic])
def runs(tenant: OwnerDep) -> list[RunPublic]:
    return [_run_public(tenant, run) for run in queries.payment_runs(tenant.session)]


@router.post("/payments", response_model=RunPublic, status_code=201)
def run_make(tenant: OwnerDep, body: services.PaymentPeriod) -> RunPublic:
    run = services.payment_run_create(
        session=tenant.session,
        org_id=tenant.org_id,
        period=body,
        tz=tenant.org.timezone,
        actor_id=tenant.user_id,
    )
    return _run_public(tenant, run)


@router.get("/payments/{payment_run_id}", response_model=RunPublic)
def run_read(tenant: OwnerDep, run: RunDep) -> RunPublic:
    return _run_public(tenant, run)


@router.get("/payments/{payment_run_id}/export.csv", response_class=Response)
def run_export(tenant: OwnerDep, run: RunDep) -> Response:
    lines = queries.run_lines(tenant.session, run.id, tenant.org.timezone)  # type: ignore[arg-type]
    return Response(
        run_csv(run, lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="payment-run-{run.id}.csv"'},
    )


@router.post("/payments/{payment_run_id}/paid", response_model=RunPublic)
def run_paid(tenant: OwnerDep, run: RunDep) -> RunPublic:
    services.payment_run_mark_paid(
        session=tenant.session, run=run, actor_id=tenant.user_id, tz=tenant.org.timezone
    )
    return _run_public(tenant, run)


@router.delete("/payments/{payment_run_id}", status_code=204, response_class=Response)
def run_cancel(tenant: OwnerDep, run: RunDep) -> Response:
    services.payment_run_cancel(session=tenant.session, run=run)
    return Response(status_code=204)


@router.get("/pay", response_model=MyPayPublic)
def my_pay(tenant: ShopperDep) -> MyPayPublic:
    pay = queries.shopper_pay(tenant.session, tenant.user_id, tenant.org.timezone)
    return MyPayPublic(
        owed=pay.total(FeeState.owed),
        paid=pay.total(FeeState.paid),
        items=[
            FeeItemPublic(
                shop_id=i.shop_id,
                location_name=i.location_name,
                amount_minor=i.amount_minor,
                currency=i.currency,
                state=str(i.state),
                reason=i.reason,
                run_id=i.run_id,
            )
            for i in pay.items
        ],
        expenses=[
            ExpenseItemPublic(
                expense_id=e.expense_id,
                shop_id=e.shop_id,
                location_name=e.location_name,
                what_for=e.what_for,
                amount_minor=e.amount_minor,
                currency=e.currency,
                state=str(e.state),
                status=e.status,
                reason=e.reason,
                run_id=e.run_id,
            )
            for e in pay.expenses
        ],
    )
