"""A reviewer's notes to a shop's shopper, and the rubric marks set on approval."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class NoteKind(StrEnum):
    returned = "returned"  # written when the shop was sent back: what to fix
    approved = "approved"  # written with the approval: how it went


class ReviewNote(OrgOwned, table=True):
    """One note from the reviewer to the shop's shopper, about one question or (question_id
    None) the whole shop, and the shopper's reply to it. Owners and the shop's shopper read
    these; staff never do."""

    __tablename__ = "review_note"

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    question_id: int | None = Field(default=None, foreign_key="question.id", ondelete="CASCADE")
    kind: NoteKind = Field(sa_type=String(10))
    text: str = Field(sa_type=Text)
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow)
    # The shopper's answer; written again replaces it, with the new time.
    reply: str = Field(default="", sa_type=Text)
    reply_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    replied_at: datetime | None = utc_field(default=None)


class ShopRating(OrgOwned, table=True):
    """The review rubric of one approved shop: each mark 1 (poor) to 3 (good), or None when
    the reviewer left it unmarked. Averaged on the owner's shoppers' records page."""

    __tablename__ = "shop_rating"
    __table_args__ = (UniqueConstraint("shop_id", name="uq_shop_rating_shop"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    on_time: int | None = None
    complete: int | None = None
    detail: int | None = None
    rater_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    rated_at: datetime = utc_field(default_factory=utcnow)
