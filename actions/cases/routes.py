"""The case page's "make an action item" button (the page itself is recovery's)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from actions.cases import services
from app.errors import DomainError
from app.tenancy import OwnerDep
from recovery.routes import CaseDep, case_done, case_failed

router = APIRouter(include_in_schema=False)


@router.post("/recovery/{recovery_case_id}/action-item")
async def case_action_item(request: Request, tenant: OwnerDep, case: CaseDep) -> Response:
    try:
        item, made = services.case_action_item_make(
            session=tenant.session, case=case, actor_id=tenant.user_id
        )
    except DomainError as exc:
        return case_failed(request, tenant, case, "action", {"__all__": exc.message}, {})
    words = "Action item made" if made else "The action item was already made"
    return case_done(request, tenant, case, f"{words}: “{item.title}”.")
