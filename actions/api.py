"""JSON API for action items: list and filter, create per touchpoint, edit, status, delete."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field, ValidationError

from actions import services as svc
from app.errors import DomainError
from app.modelbase import RowId, ident
from app.tenancy import OwnerDep, ReaderDep, path_loader
from touchpoints.deps import TouchpointDep
from touchpoints.measures.services import org_today
from touchpoints.models import ActionItem, ActionSource, ActionStatus

router = APIRouter(tags=["action items"])

ActionItemDep = Annotated[ActionItem, Depends(path_loader(ActionItem))]


class ActionItemPublic(svc.ActionItemFields):
    id: int
    touchpoint_id: int
    status: ActionStatus
    overdue: bool
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class ActionItemPatch(BaseModel):
    """Only the fields given change; null clears an optional field."""

    touchpoint_id: RowId | None = None
    title: str | None = Field(default=None, max_length=300)
    details: str | None = Field(default=None, max_length=4000)
    team: str | None = Field(default=None, max_length=120)
    due_on: date | None = None
    source: ActionSource | None = None
    meeting_on: date | None = None
    shop_id: RowId | None = None
    recovery_case_id: RowId | None = None


class StatusChange(BaseModel):
    status: ActionStatus


def item_out(item: ActionItem, today: date) -> ActionItemPublic:
    fields = set(svc.ActionItemFields.model_fields)
    return ActionItemPublic(
        **{name: getattr(item, name) for name in fields},
        id=ident(item),
        touchpoint_id=item.touchpoint_id,
        status=item.status,
        overdue=svc.action_item_is_overdue(item, today),
        created_at=item.created_at,
        updated_at=item.updated_at,
        closed_at=item.closed_at,
    )


@router.get("/action-items", response_model=list[ActionItemPublic])
def action_items(
    tenant: ReaderDep,
    status: ActionStatus | None = Query(default=None),
    include_closed: bool = Query(default=False, description="also done and dropped items"),
    touchpoint_id: RowId | None = Query(default=None),
    team: str = Query(default="", max_length=120),
) -> list[ActionItemPublic]:
    """The organization's items: overdue open ones first, then open by due date, then the
    closed ones (with `include_closed` or a `status`), most recently closed first."""
    today = org_today(tenant.org.timezone)
    filters = svc.ActionFilter(
        status=status,
        touchpoint_id=touchpoint_id,
        team=team.strip(),
        scope="all" if include_closed else "active",
    )
    items = svc.action_items_list(tenant.session, filters=filters, today=today)
    return [item_out(i, today) for i in items]


@router.get("/touchpoints/{touchpoint_id}/action-items", response_model=list[ActionItemPublic])
def touchpoint_action_items(tenant: ReaderDep, touchpoint: TouchpointDep) -> list[ActionItemPublic]:
    """Every item of one touchpoint, open ones first."""
    today = org_today(tenant.org.timezone)
    filters = svc.ActionFilter(touchpoint_id=ident(touchpoint), scope="all")
    items = svc.action_items_list(tenant.session, filters=filters, today=today)
    return [item_out(i, today) for i in items]


@router.post(
    "/touchpoints/{touchpoint_id}/action-items",
    response_model=ActionItemPublic,
    status_code=201,
)
def action_item_create(
    tenant: OwnerDep, touchpoint: TouchpointDep, data: svc.ActionItemFields
) -> ActionItemPublic:
    item = svc.action_item_create(
        session=tenant.session,
        org_id=tenant.org_id,
        touchpoint_id=ident(touchpoint),
        data=data,
        actor_id=tenant.user_id,
    )
    return item_out(item, org_today(tenant.org.timezone))


@router.get("/action-items/{action_item_id}", response_model=ActionItemPublic)
def action_item_read(tenant: ReaderDep, item: ActionItemDep) -> ActionItemPublic:
    return item_out(item, org_today(tenant.org.timezone))


@router.patch("/action-items/{action_item_id}", response_model=ActionItemPublic)
def action_item_update(
    tenant: OwnerDep, item: ActionItemDep, patch: ActionItemPatch
) -> ActionItemPublic:
    given = patch.model_dump(exclude_unset=True)
    touchpoint_id = given.pop("touchpoint_id", None)
    current = {name: getattr(item, name) for name in svc.ActionItemFields.model_fields}
    merged = {**current, **given}
    for required in ("title", "source"):
        if merged.get(required) is None:
            raise DomainError("This field cannot be null.", field=required)
    for text in ("details", "team"):
        merged[text] = merged.get(text) or ""
    try:
        data = svc.ActionItemFields.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else None
        raise DomainError(str(first.get("msg", "Invalid value.")), field=field) from None
    svc.action_item_update(
        session=tenant.session, item=item, data=data, touchpoint_id=touchpoint_id
    )
    return item_out(item, org_today(tenant.org.timezone))


@router.put("/action-items/{action_item_id}/status", response_model=ActionItemPublic)
def action_item_status(
    tenant: OwnerDep, item: ActionItemDep, change: StatusChange
) -> ActionItemPublic:
    """Move an item: open → doing → done, or dropped; done or dropped stamps `closed_at`."""
    svc.action_item_set_status(session=tenant.session, item=item, status=change.status)
    return item_out(item, org_today(tenant.org.timezone))


@router.delete("/action-items/{action_item_id}", status_code=204)
def action_item_delete(tenant: OwnerDep, item: ActionItemDep) -> Response:
    """Remove an item added by mistake (an idea given up on is better dropped)."""
    svc.action_item_delete(session=tenant.session, item=item)
    return Response(status_code=204)
