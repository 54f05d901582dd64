"""The expenses JSON API under /api/v1: a shopper's claims on their own shop (put by the
client's id, list, delete before hand-in, receipt photo) and the owner's decisions. Staff
(viewers) have no part in it: expenses are pay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.orgs.models import Role
from app.tenancy import OwnerDep, Tenant, require_role
from audits.deps import ShopDep
from audits.expenses import queries, services
from audits.expenses.models import ExpenseClaim
from audits.expenses.routes import receipt_upload

router = APIRouter(tags=["expenses"])

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]
PayerDep = Annotated[Tenant, Depends(require_role(Role.owner, Role.shopper))]


class ExpensePublic(BaseModel):
    id: uuid.UUID
    shop_id: int
    amount_minor: int
    currency: str
    what_for: str
    status: str  # claimed, approved, rejected
    reject_reason: str
    receipt_url: str | None
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=4000)


class ExpensesApproved(BaseModel):
    approved: int


def _public(claim: ExpenseClaim) -> ExpensePublic:
    return ExpensePublic(
        id=claim.id,
        shop_id=claim.shop_id,
        amount_minor=claim.amount_minor,
        currency=claim.currency,
        what_for=claim.what_for,
        status=str(claim.status),
        reject_reason=claim.reject_reason,
        receipt_url=queries.receipt_url(claim),
        created_at=claim.created_at,
        updated_at=claim.updated_at,
        decided_at=claim.decided_at,
    )


@router.get("/shops/{shop_id}/expenses", response_model=list[ExpensePublic])
def expenses_list(tenant: PayerDep, shop: ShopDep) -> list[ExpensePublic]:
    """The shop's expense claims: the owner's, and its shopper's own."""
    return [_public(c) for c in queries.shop_expenses(tenant.session, shop)]


@router.put(
    "/shops/{shop_id}/expenses/{expense_id}",
    response_model=ExpensePublic,
    responses={
        201: {"description": "A new claim", "model": ExpensePublic},
        400: {"description": "No currency given and the shop has no fee currency"},
        404: {"description": "No such shop (or not yours)"},
        409: {"description": "Handed in already, decided already, or the id is another's"},
        422: {"description": "Amount not above 0, unknown currency, or no “what for”"},
    },
)
def expense_put(
    tenant: ShopperDep, shop: ShopDep, expense_id: uuid.UUID, body: services.ExpenseInput
) -> JSONResponse:
    """Create or update a claim under the client's id (safe to send again: an upsert)."""
    claim, created = services.expense_upsert(
        session=tenant.session,
        shop=shop,
        actor_id=tenant.user_id,
        expense_id=expense_id,
        data=body,
    )
    return JSONResponse(_public(claim).model_dump(mode="json"), status_code=201 if created else 200)


@router.delete("/shops/{shop_id}/expenses/{expense_id}", status_code=204, response_class=Response)
def expense_delete(
    request: Request, tenant: ShopperDep, shop: ShopDep, expense_id: uuid.UUID
) -> Response:
    """Take a claim off before hand-in; an id already gone answers 204 too."""
    services.expense_remove(
        session=tenant.session,
        shop=shop,
        actor_id=tenant.user_id,
        expense_id=expense_id,
        data_dir=request.app.state.settings.data_dir,
    )
    return Response(status_code=204)


@router.post(
    "/shops/{shop_id}/expenses/{expense_id}/receipt",
    status_code=201,
    responses={
        200: {"description": "This receipt id was stored already (a resend)"},
        400: {"description": "Not a JPEG, PNG or WebP image, or a bad `id`"},
        404: {"description": "No such shop or expense (or not yours)"},
        409: {"description": "Handed in or decided already"},
        413: {"description": "Larger than 10 MB"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["photo"],
                        "properties": {
                            "photo": {"type": "string", "format": "binary"},
                            "id": {"type": "string", "format": "uuid"},
                        },
                    }
                }
            },
        }
    },
)
async def receipt_post(
    request: Request, tenant: ShopperDep, shop: ShopDep, expense_id: uuid.UUID
) -> JSONResponse:
    """The claim's receipt photo (multipart: `photo`, and the client's `id` for it)."""
    return await receipt_upload(request, tenant, shop, expense_id)


@router.post("/shops/{shop_id}/expenses/{expense_id}/approve", response_model=ExpensePublic)
def expense_approve(tenant: OwnerDep, shop: ShopDep, expense_id: uuid.UUID) -> ExpensePublic:
    claim = services.expense_approve(
        session=tenant.session, shop=shop, expense_id=expense_id, actor_id=tenant.user_id
    )
    return _public(claim)


@router.post("/shops/{shop_id}/expenses/{expense_id}/reject", response_model=ExpensePublic)
def expense_reject(
    tenant: OwnerDep, shop: ShopDep, expense_id: uuid.UUID, body: RejectBody
) -> ExpensePublic:
    claim = services.expense_reject(
        session=tenant.session,
        shop=shop,
        expense_id=expense_id,
        actor_id=tenant.user_id,
        reason=body.reason,
    )
    return _public(claim)


@router.post("/shops/{shop_id}/expenses/approve", response_model=ExpensesApproved)
def expenses_approve_all(tenant: OwnerDep, shop: ShopDep) -> ExpensesApproved:
    """Approve every claim of an approved shop still waiting (as “approve with the shop”)."""
    count = services.expenses_approve_with_shop(
        session=tenant.session, shop=shop, actor_id=tenant.user_id
    )
    return ExpensesApproved(approved=count)
