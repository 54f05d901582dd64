"""Action items: improvements agreed for a touchpoint, their writes and shared reads.

These functions expect an org-scoped session (app.tenancy). An item names a team, never a
person: the point of the staff meeting is to fix the moment, not to find someone to blame.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from app.errors import DomainError
from app.modelbase import RowId, utcnow
from touchpoints.models import ActionItem, ActionSource, ActionStatus, Touchpoint

MSG_TITLE = "Say what will be done."
MSG_TOUCHPOINT_UNKNOWN = "Choose a touchpoint of this journey."

CLOSED_STATES = frozenset({ActionStatus.done, ActionStatus.dropped})


class ActionItemFields(BaseModel):
    """What an owner writes for an action item; pages and API validate the same way."""

    title: str = Field(min_length=1, max_length=300)
    details: str = Field(default="", max_length=4000)
    team: str = Field(default="", max_length=120)
    due_on: date | None = None
    source: ActionSource = ActionSource.other
    meeting_on: date | None = None
    shop_id: RowId | None = None
    recovery_case_id: RowId | None = None

    @field_validator("title", "details", "team")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("title")
    @classmethod
    def _title_given(cls, v: str) -> str:
        if not v:
            raise ValueError(MSG_TITLE)
        return v


def action_item_create(
    *,
    session: Session,
    org_id: int,
    touchpoint_id: int,
    data: ActionItemFields,
    actor_id: int | None,
) -> ActionItem:
    if session.get(Touchpoint, touchpoint_id) is None:
        raise DomainError(MSG_TOUCHPOINT_UNKNOWN, field="touchpoint_id")
    now = utcnow()
    item = ActionItem(
        org_id=org_id,
        touchpoint_id=touchpoint_id,
        **data.model_dump(),
        created_by=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    return item


def action_item_set_status(*, session: Session, item: ActionItem, status: ActionStatus) -> None:
    """Move an item; reaching done or dropped stamps when (reports list what was done since
    the last period), and reopening clears it."""
    if status == item.status:
        return
    now = utcnow()
    item.status = status
    item.closed_at = now if status in CLOSED_STATES else None
    item.updated_at = now
    session.add(item)
    session.flush()


def action_items_for_touchpoint(
    session: Session, touchpoint_id: int, *, open_only: bool = False
) -> list[ActionItem]:
    query = select(ActionItem).where(ActionItem.touchpoint_id == touchpoint_id)
    if open_only:
        query = query.where(col(ActionItem.status).not_in(list(CLOSED_STATES)))
    return list(
        session.exec(
            query.order_by(
                col(ActionItem.due_on).is_(None), col(ActionItem.due_on), col(ActionItem.id)
            )
        )
    )
