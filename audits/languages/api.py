"""JSON API for the language a shop is filled in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from app.orgs.models import Role
from app.tenancy import Tenant, require_role
from audits.deps import ShopDep
from audits.languages.queries import shop_language
from audits.languages.services import shop_language_set

router = APIRouter(tags=["shops"])

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]


class ShopLanguage(BaseModel):
    language: str = Field(
        max_length=8, description="One of the organization's checklist languages, such as es."
    )


@router.put("/shops/{shop_id}/language", response_model=ShopLanguage)
def shop_language_put(tenant: ShopperDep, shop: ShopDep, data: ShopLanguage) -> ShopLanguage:
    """The shopper reads this shop's checklist in another of the organization's languages;
    one it does not use is a 422 naming `language`."""
    shop_language_set(session=tenant.session, shop=shop, org=tenant.org, language=data.language)
    return ShopLanguage(language=shop_language(shop, tenant.org))
