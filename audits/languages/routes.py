"""The fill page's language picker: a small form that stores the choice on the shop and
reloads the same screen in it (online; a page already open keeps working offline)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.requests import Request
from fastapi.responses import Response

from app.errors import InvalidError
from app.modelbase import ident
from app.orgs.models import Role
from app.templating import flash, redirect
from app.tenancy import Tenant, require_role
from audits.deps import ShopDep
from audits.languages.services import shop_language_set

router = APIRouter(include_in_schema=False)

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]


@router.post("/shops/{shop_id}/language")
def shop_language_pick(
    request: Request,
    tenant: ShopperDep,
    shop: ShopDep,
    language: Annotated[str, Form()] = "",
    section: Annotated[int, Form(ge=0, le=1000)] = 0,
) -> Response:
    try:
        shop_language_set(session=tenant.session, shop=shop, org=tenant.org, language=language)
    except InvalidError as exc:
        flash(request, exc.message, "error")
    return redirect(request, f"/shops/{ident(shop)}/fill?section={section}")
