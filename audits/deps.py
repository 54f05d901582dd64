"""Path loaders for shops: this organization's shop, and for a shopper only their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.modelbase import MAX_ID
from app.tenancy import TenantDep
from audits.models import Shop
from audits.services import shop_for_member


def load_shop(tenant: TenantDep, shop_id: Annotated[int, Path(ge=0, le=MAX_ID)]) -> Shop:
    return shop_for_member(
        session=tenant.session, shop_id=shop_id, user_id=tenant.user_id, role=tenant.role
    )


ShopDep = Annotated[Shop, Depends(load_shop)]
