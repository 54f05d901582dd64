"""Pay pages: the owner's payment runs (/payments) and a shopper's own pay (/pay). Staff
(viewers) have neither: fees and payments are not theirs to see."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.i18n.catalogs import N_
from app.i18n.current import request_language
from app.i18n.message import message
from app.modelbase import utcnow
from app.orgs.models import Role
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, Tenant, path_loader, require_role
from audits.expenses import queries as expense_queries
from audits.pay import queries, services
from audits.pay.csv_export import run_csv
from audits.pay.models import PaymentRun
from audits.pay.queries import FeeState

router = APIRouter(include_in_schema=False)

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]
RunDep = Annotated[PaymentRun, Depends(path_loader(PaymentRun))]

MSG_RUN_MADE = (
    "Payment run #{id} made: {count} shop{s}{more}. Export it, pay it, then mark it paid."
)
MSG_RUN_PAID = N_("Payment run #%(id)s marked paid. Its shoppers see it paid.")
MSG_RUN_CANCELLED = N_("Payment run #%(id)s cancelled: its shops are owed again.")
MSG_BAD_DATE = N_("Give a date, such as 2026-12-01.")


def _today(tenant: Tenant) -> date:
    return queries.local_day(utcnow(), tenant.org.timezone)


def _payments_page(
    request: Request,
    tenant: Tenant,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    tz, session = tenant.org.timezone, tenant.session
    preview: list[queries.Payee] = []
    earlier = 0
    data, _ = parse_form(services.PaymentPeriod, form)
    if data is not None and not errors:
        preview = queries.payees(
            queries.owed_lines(session, data.period_from, data.period_until, tz)
        )
        earlier = queries.owed_before(session, data.period_from, tz)
    runs = queries.payment_runs(session)
    context: dict[str, Any] = {
        "form": form,
        "errors": errors,
        "preview": preview,
        "preview_totals": queries.totals(
            (line.amount_minor, line.currency) for p in preview for line in p.lines
        ),
        "earlier": earlier,
        "runs": [(run, queries.run_totals(session, run.id)) for run in runs],  # type: ignore[arg-type]
        "money": queries.money,
        "long_day": lambda d: queries.long_day(d, tz),
        "receipt_required": expense_queries.receipt_required(session),
    }
    return render(request, "pay/payments.html", context, status_code=status_code)


def _period_form(period_from: str, period_until: str) -> tuple[dict[str, str], dict[str, str]]:
    form = {"period_from": period_from.strip(), "period_until": period_until.strip()}
    _, errors = parse_form(services.PaymentPeriod, form)
    for name in ("period_from", "period_until"):
        if name in errors and errors[name] != services.MSG_PERIOD:
            errors[name] = MSG_BAD_DATE
    if "__all__" in errors:  # the order of the two days: said next to the end
        errors["period_until"] = errors.pop("__all__")
    return form, errors


@router.get("/payments")
def payments_page(
    request: Request,
    tenant: OwnerDep,
    period_from: Annotated[str, Query(max_length=20)] = "",
    period_until: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    today = _today(tenant)
    form, errors = _period_form(
        period_from or today.replace(day=1).isoformat(), period_until or today.isoformat()
    )
    return _payments_page(request, tenant, form, errors, 400 if errors else 200)


@router.post("/payments")
def payment_run_make(
    request: Request,
    tenant: OwnerDep,
    period_from: Annotated[str, Form(max_length=20)] = "",
    period_until: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form, errors = _period_form(period_from, period_until)
    data, _ = parse_form(services.PaymentPeriod, form)
    if data is None or errors:
        return _payments_page(request, tenant, form, errors, 400)
    try:
        run = services.payment_run_create(
            session=tenant.session,
            org_id=tenant.org_id,
            period=data,
            tz=tenant.org.timezone,
            actor_id=tenant.user_id,
        )
    except DomainError as exc:
        return _payments_page(request, tenant, form, domain_errors(exc), exc.status_code)
    lines = queries.run_lines(tenant.session, run.id, tenant.org.timezone)  # type: ignore[arg-type]
    count = sum(1 for x in lines if x.kind == "fee")
    spent = len(lines) - count
    more = f" and {spent} expense{'' if spent == 1 else 's'}" if spent else ""
    flash(
        request,
        MSG_RUN_MADE.format(id=run.id, count=count, s="" if count == 1 else "s", more=more),
    )
    return redirect(request, f"/payments/{run.id}")


def _run_page(
    request: Request, tenant: Tenant, run: PaymentRun, error: str = "", status_code: int = 200
) -> Response:
    tz = tenant.org.timezone
    lines = queries.run_lines(tenant.session, run.id, tz)  # type: ignore[arg-type]
    return render(
        request,
        "pay/run.html",
        {
            "run": run,
            "payees": queries.payees(lines),
            "run_totals": queries.totals((x.amount_minor, x.currency) for x in lines),
            "count": sum(1 for x in lines if x.kind == "fee"),
            "expense_count": sum(1 for x in lines if x.kind == "expense"),
            "error": error,
            "money": queries.money,
            "long_day": lambda d: queries.long_day(d, tz),
        },
        status_code=status_code,
    )


@router.get("/payments/{payment_run_id}")
def payment_run_page(request: Request, tenant: OwnerDep, run: RunDep) -> Response:
    return _run_page(request, tenant, run)


@router.get("/payments/{payment_run_id}/export.csv")
def payment_run_export(tenant: OwnerDep, run: RunDep) -> Response:
    lines = queries.run_lines(tenant.session, run.id, tenant.org.timezone)  # type: ignore[arg-type]
    return Response(
        run_csv(run, lines),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="payment-run-{run.id}.csv"',
        },
    )


@router.post("/payments/{payment_run_id}/paid")
def payment_run_paid(request: Request, tenant: OwnerDep, run: RunDep) -> Response:
    try:
        services.payment_run_mark_paid(
            session=tenant.session, run=run, actor_id=tenant.user_id, tz=tenant.org.timezone
        )
    except DomainError as exc:
        return _run_page(request, tenant, run, exc.message, exc.status_code)
    flash(request, message(MSG_RUN_PAID, id=run.id))
    return redirect(request, f"/payments/{run.id}")


@router.post("/payments/{payment_run_id}/cancel")
def payment_run_cancel(request: Request, tenant: OwnerDep, run: RunDep) -> Response:
    run_id = run.id
    try:
        services.payment_run_cancel(session=tenant.session, run=run)
    except DomainError as exc:
        return _run_page(request, tenant, run, exc.message, exc.status_code)
    flash(request, message(MSG_RUN_CANCELLED, id=run_id))
    return redirect(request, "/payments")


@router.get("/pay")
def my_pay(request: Request, tenant: ShopperDep) -> Response:
    pay = queries.shopper_pay(
        tenant.session, tenant.user_id, tenant.org.timezone, request_language(request)
    )
    return render(
        request,
        "pay/mine.html",
        {
            "pay": pay,
            "FeeState": FeeState,
            "owed": pay.total_words(FeeState.owed),
            "paid": pay.total_words(FeeState.paid),
        },
    )
