"""The phone's "Start the visit": sent through the page's offline queue (touchstone-queue.js)
as JSON, acknowledged by name so the queue drops it only once it is kept."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from app.errors import DomainError
from app.i18n.current import request_language
from app.i18n.message import text_in
from app.modelbase import ident
from app.orgs.models import Role
from app.tenancy import Tenant, require_role
from audits.deps import ShopDep
from audits.proof.services import location_check_input
from audits.services import phone_time, shop_visit_start

router = APIRouter(include_in_schema=False)

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def visit_start_body(tenant: Tenant, shop: Any, body: object) -> dict[str, Any]:
    """Keep a visit start sent as JSON (the page's queue and the API alike) and say what was
    kept; DomainError for a bad field. The acknowledgement names the start, never the
    distance: that is the reviewer's."""
    if not isinstance(body, dict):
        raise DomainError("Send the visit's start as a JSON object.")
    check = location_check_input(body.get("location_check"))
    proof, stored = shop_visit_start(
        session=tenant.session,
        shop=shop,
        actor_id=tenant.user_id,
        started_at=phone_time(body.get("started_at")),
        check=check,
    )
    return {
        "ok": True,
        "ack": "visit-start",
        "shop_id": ident(shop),
        "start_at": _iso(proof.start_at),
        # Whether a location check is kept for this visit ("measured", "declined",
        # "unavailable"), or null: none asked for.
        "location_check": str(stored.outcome) if stored is not None else None,
    }


@router.post("/shops/{shop_id}/visit-start")
async def visit_start_save(request: Request, tenant: ShopperDep, shop: ShopDep) -> Response:
    try:
        body = await request.json()
    except ValueError:
        body = None
    try:
        return JSONResponse(await run_in_threadpool(visit_start_body, tenant, shop, body))
    except DomainError as exc:
        tenant.session.rollback()
        return JSONResponse(
            {"detail": text_in(exc.message, request_language(request)), "field": exc.field},
            status_code=exc.status_code,
        )
