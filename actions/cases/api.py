"""POST /api/v1/recovery-cases/{id}/action-item: the case's action item, made once.

Listed with the recovery cases' endpoints (its router has their tag), where an API user
looks for what can be done with a case.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from actions.cases import services
from app.modelbase import ident
from app.tenancy import OwnerDep
from recovery.api import CaseDep
from touchpoints.models import ActionStatus

router = APIRouter(tags=["recovery"])


class ActionItemMade(BaseModel):
    id: int
    touchpoint_id: int
    title: str
    team: str
    status: ActionStatus
    recovery_case_id: int | None
    created: bool = Field(description="False when the case's item existed already.")


@router.post(
    "/recovery-cases/{recovery_case_id}/action-item",
    response_model=ActionItemMade,
    status_code=201,
    responses={200: {"model": ActionItemMade, "description": "The item existed already."}},
)
def case_action_item(tenant: OwnerDep, case: CaseDep) -> JSONResponse:
    """Turn "what we will do differently" into an action item of the case's touchpoint,
    owned by the touchpoint's team. Calling it again returns the same item (200)."""
    item, made = services.case_action_item_make(
        session=tenant.session, case=case, actor_id=tenant.user_id
    )
    body = ActionItemMade(
        id=ident(item),
        touchpoint_id=item.touchpoint_id,
        title=item.title,
        team=item.team,
        status=item.status,
        recovery_case_id=item.recovery_case_id,
        created=made,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if made else 200)
