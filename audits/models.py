"""Mystery shops and the answers given in them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class ShopStatus(StrEnum):
    assigned = "assigned"
    in_progress = "in_progress"
    submitted = "submitted"
    returned = "returned"
    approved = "approved"


class Shop(OrgOwned, table=True):
    """One mystery-shopping visit to one location, covering one or more touchpoints."""

    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="location.id", index=True)
    shopper_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    status: ShopStatus = Field(default=ShopStatus.assigned, sa_type=String(16), index=True)
    scenario: str = Field(default="", sa_type=Text)
    due_from: datetime | None = utc_field(default=None)
    due_until: datetime | None = utc_field(default=None)
    visited_at: datetime | None = utc_field(default=None)
    duration_minutes: int | None = None
    submitted_at: datetime | None = utc_field(default=None)
    approved_at: datetime | None = utc_field(default=None)
    score: float | None = None  # snapshot taken at submission, refreshed on approval
    score_detail: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = utc_field(default_factory=utcnow)


class ShopTouchpoint(OrgOwned, table=True):
    """A touchpoint covered by a shop, in the order the shopper meets it."""

    __tablename__ = "shop_touchpoint"
    __table_args__ = (UniqueConstraint("shop_id", "touchpoint_id", name="uq_shop_touchpoint"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    touchpoint_id: int = Field(foreign_key="touchpoint.id", index=True)
    position: int = 0
    comment: str = Field(default="", sa_type=Text)


class Answer(OrgOwned, table=True):
    """One question answered in one shop. The id is made on the phone, so replays upsert."""

    __table_args__ = (UniqueConstraint("shop_id", "question_id", name="uq_answer_shop_question"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="question.id", index=True)
    value: Any | None = Field(default=None, sa_type=JSON)
    not_applicable: bool = False
    comment: str = Field(default="", sa_type=Text)
    answered_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)
