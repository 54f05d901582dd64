"""Expense pages: the phone's queue posts (a claim, its receipt, taking one off), the receipt
picture, and the owner's decisions on the shop page. Staff (viewers) have none of it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import ValidationError

from app.config import Settings
from app.errors import DomainError, NotFoundError
from app.i18n.catalogs import N_
from app.i18n.current import request_language
from app.i18n.message import message, text_in
from app.modelbase import ident
from app.orgs.models import Role
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep, Tenant, require_role
from audits.deps import ShopDep
from audits.expenses import queries, services
from audits.expenses.models import ExpenseClaim
from audits.fill.routes import read_upload
from audits.models import Shop

router = APIRouter(include_in_schema=False)

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]
# The receipt is the owner's and the shop's shopper's (ShopDep admits only their own shop).
PayerDep = Annotated[Tenant, Depends(require_role(Role.owner, Role.shopper))]

# Registered on the shared Jinja environment by app.wiring at start-up.
TEMPLATE_GLOBALS: dict[str, object] = {
    "expense_receipt_url": queries.receipt_url,
    "expense_amount_text": queries.amount_text,
    "expense_words": queries.amount_words,
    "EXPENSE_LABELS": queries.STATUS_LABELS,
}

MSG_APPROVED = "Expense approved: it is paid with the shop’s fee."
MSG_REJECTED = "Expense rejected. The shopper sees your reason."
MSG_RULES = N_("Saved: %(what)s.")


def _data_dir(request: Request) -> Any:
    settings: Settings = request.app.state.settings
    return settings.data_dir


def _refused(request: Request, exc: DomainError, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"detail": text_in(exc.message, request_language(request)), "field": exc.field, **extra},
        status_code=exc.status_code,
    )


def expense_ack(shop: Shop, claim: ExpenseClaim) -> dict[str, Any]:
    """What the queue reads as "kept": the kind, the shop and the phone's id, and the claim."""
    return {
        "ok": True,
        "ack": "expense",
        "shop_id": ident(shop),
        "expense_id": str(claim.id),
        "amount_minor": claim.amount_minor,
        "currency": claim.currency,
        "what_for": claim.what_for,
        "status": str(claim.status),
        "has_receipt": claim.receipt_path is not None,
    }


def phone_input(body: Any, shop: Shop) -> services.ExpenseInput:
    """The phone sends the amount as typed ("12,40"); the API sends minor units."""
    if not isinstance(body, dict):
        raise DomainError("Send the expense as a JSON object.", field="expense")
    currency = str(body.get("currency") or "").strip().upper() or shop.fee_currency
    amount = services.amount_from_text(str(body.get("amount") or ""), currency)
    try:
        return services.ExpenseInput(
            amount_minor=amount, currency=currency, what_for=str(body.get("what_for") or "")
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "expense"
        message = str(first.get("ctx", {}).get("error") or first["msg"])
        raise DomainError(message, field=field) from None


@router.post("/shops/{shop_id}/expenses/{expense_id}")
async def expense_save(
    request: Request, tenant: ShopperDep, shop: ShopDep, expense_id: uuid.UUID
) -> Response:
    """Keep one claim (upsert on the phone's id): JSON in, JSON out, for the offline queue."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    try:
        data = phone_input(body, shop)

        def save() -> dict[str, Any]:
            claim, _ = services.expense_upsert(
                session=tenant.session,
                shop=shop,
                actor_id=tenant.user_id,
                expense_id=expense_id,
                data=data,
            )
            return expense_ack(shop, claim)

        return JSONResponse(await run_in_threadpool(save))
    except DomainError as exc:
        tenant.session.rollback()
        return _refused(request, exc, expense_id=str(expense_id))


async def receipt_upload(
    request: Request, tenant: Tenant, shop: Shop, expense_id: uuid.UUID
) -> JSONResponse:
    """Shared by the page and the API: 201 for a new receipt, 200 for a resend."""
    raw, receipt_id = await read_upload(request, field="receipt")
    data_dir = _data_dir(request)

    def save() -> JSONResponse:
        try:
            claim, created = services.expense_receipt_add(
                session=tenant.session,
                shop=shop,
                actor_id=tenant.user_id,
                expense_id=expense_id,
                raw=raw,
                data_dir=data_dir,
                receipt_id=receipt_id,
            )
        except DomainError:
            tenant.session.rollback()
            raise
        return JSONResponse(
            {
                "ok": True,
                "ack": "receipt",
                "shop_id": ident(shop),
                "expense_id": str(claim.id),
                "receipt_id": str(claim.receipt_id),
                "url": queries.receipt_url(claim),
                "content_type": claim.receipt_type,
            },
            status_code=201 if created else 200,
        )

    return await run_in_threadpool(save)


@router.post("/shops/{shop_id}/expenses/{expense_id}/receipt")
async def receipt_add_page(
    request: Request, tenant: ShopperDep, shop: ShopDep, expense_id: uuid.UUID
) -> Response:
    try:
        return await receipt_upload(request, tenant, shop, expense_id)
    except DomainError as exc:
        return _refused(request, exc, expense_id=str(expense_id))


@router.post("/shops/{shop_id}/expenses/{expense_id}/remove")
def expense_remove_page(
    request: Request, tenant: ShopperDep, shop: ShopDep, expense_id: uuid.UUID
) -> Response:
    """An expense taken off through the phone's queue (so it works offline)."""
    try:
        removed = services.expense_remove(
            session=tenant.session,
            shop=shop,
            actor_id=tenant.user_id,
            expense_id=expense_id,
            data_dir=_data_dir(request),
        )
    except DomainError as exc:
        tenant.session.rollback()
        return _refused(request, exc, expense_id=str(expense_id))
    return JSONResponse(
        {
            "ok": True,
            "ack": "expense-removed",
            "shop_id": ident(shop),
            "expense_id": str(expense_id),
            "removed": removed,
        }
    )


@router.get("/shops/{shop_id}/expenses/{expense_id}/receipt")
def receipt_show(
    request: Request, tenant: PayerDep, shop: ShopDep, expense_id: uuid.UUID
) -> Response:
    claim = tenant.session.get(ExpenseClaim, expense_id)
    data_dir = _data_dir(request)
    if (
        claim is None
        or claim.shop_id != shop.id
        or claim.receipt_path is None
        or not (data_dir / claim.receipt_path).is_file()
    ):
        raise NotFoundError("Not found.")
    return FileResponse(
        data_dir / claim.receipt_path,
        media_type=claim.receipt_type or "image/jpeg",
        headers={"Cache-Control": "private, max-age=86400"},
    )


def _card(
    request: Request, tenant: Tenant, shop: Shop, claim: ExpenseClaim, **extra: Any
) -> Response:
    status_code = extra.pop("status_code", 200)
    return render(
        request,
        "expenses/_review_expense.html",
        {
            "shop": shop,
            "claim": claim,
            "reject_error": "",
            "reason": "",
            "expense_notice": "",
            "expense_error": "",
            **extra,
        },
        status_code=status_code,
    )


def _decided(request: Request, tenant: Tenant, shop: Shop, claim: ExpenseClaim, msg: str) -> Any:
    if request.headers.get("hx-request"):
        return _card(request, tenant, shop, claim, expense_notice=msg)
    flash(request, msg)
    return redirect(request, f"/shops/{ident(shop)}#expenses")


def _failed(
    request: Request, tenant: Tenant, shop: Shop, expense_id: uuid.UUID, exc: DomainError, **kw: Any
) -> Response:
    tenant.session.rollback()
    claim = tenant.session.get(ExpenseClaim, expense_id)
    if claim is None or claim.shop_id != shop.id:
        raise exc
    if request.headers.get("hx-request"):
        if exc.field == "reason":
            kw["reject_error"] = exc.message
        else:
            kw["expense_error"] = exc.message
        return _card(request, tenant, shop, claim, status_code=exc.status_code, **kw)
    flash(request, exc.message, "error")
    return redirect(request, f"/shops/{ident(shop)}#expense-{expense_id}")


@router.post("/shops/{shop_id}/expenses/{expense_id}/approve")
def expense_approve_page(
    request: Request, tenant: OwnerDep, shop: ShopDep, expense_id: uuid.UUID
) -> Response:
    try:
        claim = services.expense_approve(
            session=tenant.session, shop=shop, expense_id=expense_id, actor_id=tenant.user_id
        )
    except DomainError as exc:
        return _failed(request, tenant, shop, expense_id, exc)
    return _decided(request, tenant, shop, claim, MSG_APPROVED)


@router.post("/shops/{shop_id}/expenses/{expense_id}/reject")
def expense_reject_page(
    request: Request,
    tenant: OwnerDep,
    shop: ShopDep,
    expense_id: uuid.UUID,
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        claim = services.expense_reject(
            session=tenant.session,
            shop=shop,
            expense_id=expense_id,
            actor_id=tenant.user_id,
            reason=reason,
        )
    except DomainError as exc:
        return _failed(request, tenant, shop, expense_id, exc, reason=reason)
    return _decided(request, tenant, shop, claim, MSG_REJECTED)


@router.post("/expenses/rules")
def expense_rules_save(
    request: Request,
    tenant: OwnerDep,
    receipt_required: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    required = receipt_required in ("1", "on", "true", "yes")
    services.expense_rules_set(
        session=tenant.session, org_id=tenant.org_id, receipt_required=required
    )
    what = (
        "every expense needs a receipt photo"
        if required
        else "expenses may be claimed without a receipt photo"
    )
    flash(request, message(MSG_RULES, what=what))
    return redirect(request, "/payments#expense-rules")
