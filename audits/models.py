"""Mystery shops and the answers given in them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class ShopStatus(StrEnum):
    # On the job board (audits/board): no shopper yet; one who qualifies may claim it.
    open = "open"
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
    comment: str = Field(default="", sa_type=Text)  # the shopper's overall remarks
    return_note: str = Field(default="", sa_type=Text)  # why an owner sent it back
    wave_id: int | None = Field(default=None, foreign_key="wave.id", index=True)
    created_at: datetime = utc_field(default_factory=utcnow)
    # Kept by audits.report_day: the calendar day, in the org's time zone, of visited_at
    # (approved_at when no visit time) — what the reports' periods are made of.
    report_day: date | None = None
    # What the shopper earns for it, in minor units (cents) of fee_currency (ISO 4217); None:
    # no fee set. Shown to the owner and the shop's shopper, never to staff.
    fee_minor: int | None = None
    fee_currency: str = Field(default="", sa_type=String(3))
    # The job board (audits/board): when it was last posted, and who may claim it — shoppers
    # with every one of these qualifications, and (when set) of this region.
    posted_at: datetime | None = utc_field(default=None)
    job_tags: list[str] | None = Field(default=None, sa_type=JSON)
    job_region: str = Field(default="", sa_type=String(80))
    # "early" or "late" when it was started outside its visit window and the organization's
    # visit rules flag rather than refuse that (audits/board/queries.py).
    window_flag: str = Field(default="", sa_type=String(8))
    # The checklist language the shopper chose on the phone; "" until they choose, which
    # reads as the organization's primary language. Answers never depend on it.
    language: str = Field(default="", sa_type=String(8))


class ShopTouchpoint(OrgOwned, table=True):
    """A touchpoint covered by a shop, in the order the shopper meets it."""

    __tablename__ = "shop_touchpoint"
    __table_args__ = (
        UniqueConstraint("shop_id", "touchpoint_id", name="uq_shop_touchpoint"),
        # Covers the report queries: one index range per touchpoint, in day order.
        Index("ix_shop_touchpoint_report", "touchpoint_id", "report_day", "shop_id", "score_pct"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    touchpoint_id: int = Field(foreign_key="touchpoint.id")
    position: int = 0
    comment: str = Field(default="", sa_type=Text)
    # Kept by audits.report_day for the reports: the section percent of the shop's score
    # snapshot, and the shop's report day while the shop is approved (None otherwise).
    score_pct: float | None = None
    report_day: date | None = None


class Answer(OrgOwned, table=True):
    """One question answered in one shop. The id is made on the phone, so replays upsert."""

    __table_args__ = (
        UniqueConstraint("shop_id", "question_id", name="uq_answer_shop_question"),
        # Covers the report queries: one index range per question, in day order.
        Index("ix_answer_report", "question_id", "report_day", "shop_id", "share"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="question.id")
    value: Any | None = Field(default=None, sa_type=JSON)
    not_applicable: bool = False
    comment: str = Field(default="", sa_type=Text)
    answered_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)
    # When the shopper gave this answer, by the phone's clock (clamped: never after the
    # server received it); the newest by this time is kept, not the last to arrive
    # (docs/reliability.md, "Two devices, one answer").
    given_at: datetime = utc_field(default_factory=utcnow)
    # 1 when first stored, one more on every save that changed it.
    revision: int = 1
    # Kept by audits.report_day for the reports: the share 0..1 of the question's points this
    # answer earns (touchpoints.scoring; None when it does not count: N/A, empty, not scored), and
    # the shop's report day while the shop is approved (None otherwise).
    share: float | None = None
    report_day: date | None = None


OPEN_STATES = frozenset({ShopStatus.assigned, ShopStatus.in_progress, ShopStatus.returned})


class Wave(OrgOwned, table=True):
    """Shops planned together: several locations over a date range, shoppers in turn."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120))
    created_at: datetime = utc_field(default_factory=utcnow)


class ShopEvent(OrgOwned, table=True):
    """Every change of a shop's state: who, when, from what to what, and any note."""

    __tablename__ = "shop_event"

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    from_status: str | None = Field(default=None, sa_type=String(16))
    to_status: str = Field(sa_type=String(16))
    note: str = Field(default="", sa_type=Text)
    at: datetime = utc_field(default_factory=utcnow)


class Photo(OrgOwned, table=True):
    """A picture attached to an answer, stored (resized, metadata stripped) under DATA_DIR."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    answer_id: uuid.UUID = Field(foreign_key="answer.id", index=True, ondelete="CASCADE")
    path: str = Field(sa_type=String(300))
    content_type: str = Field(sa_type=String(40))
    width: int
    height: int
    bytes: int
    created_at: datetime = utc_field(default_factory=utcnow)
