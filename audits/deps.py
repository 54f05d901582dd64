"""Path loaders for shops: this organization's shop, and for a shopper only their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.db import in_transaction
from app.modelbase import MAX_ID
from app.tenancy import Tenant, TenantDep
from audits.models import Shop
from audits.services import shop_for_member


async def load_shop(tenant: TenantDep, shop_id: Annotated[int, Path(ge=0, le=MAX_ID)]) -> Shop:
    # Every answer save loads its shop: without a hop to the thread pool where that is safe.
    return await in_transaction(tenant.session, _shop, tenant, shop_id)


def _shop(tenant: Tenant, shop_id: int) -> Shop:
    return shop_for_member(
        session=tenant.session, shop_id=shop_id, user_id=tenant.user_id, role=tenant.role
    )


ShopDep = Annotated[Shop, Depends(load_shop)]
