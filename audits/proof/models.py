"""What the phone recorded of a visit's time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field


class VisitProof(OrgOwned, table=True):
    """One row per handed-in shop, written again at each hand-in: the phone's time of the
    first and of the last answer (Answer.given_at: the phone's clock, never after the
    server received it), and when the server took the hand-in."""

    __tablename__ = "visit_proof"
    __table_args__ = (UniqueConstraint("shop_id", name="uq_visit_proof_shop"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    started_at: datetime | None = utc_field(default=None)
    ended_at: datetime | None = utc_field(default=None)
    answers: int = 0
    handed_in_at: datetime | None = utc_field(default=None)
