"""An organization's visit rules: what keeps a shopper programme fair."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class WindowRule(StrEnum):
    """What happens to a visit started outside its window."""

    refuse = "refuse"  # the shop cannot be started before it opens or after it is due
    flag = "flag"  # it can, and the shop is marked early or late for the owner


class NoShowRule(StrEnum):
    """Where a shop goes that was not started by its deadline."""

    board = "board"  # back on the job board, for any qualified shopper to claim
    owner = "owner"  # off the shopper, waiting for the owner to post or assign it again


class VisitRules(OrgOwned, table=True):
    """One row per organization; an organization without one has the defaults (all off but
    the window flag, and no-shows back to the board)."""

    __tablename__ = "visit_rules"
    __table_args__ = (UniqueConstraint("org_id", name="uq_visit_rules_org"),)

    id: int | None = Field(default=None, primary_key=True)
    # A shopper may not shop the same location again within this many days (0: no limit).
    lockout_days: int = 0
    # At most this many shops a day per shopper, counted on the visit window's first day in
    # the organization's time zone (0: no limit).
    daily_limit: int = 0
    window_rule: WindowRule = Field(default=WindowRule.flag, sa_type=String(8))
    no_show: NoShowRule = Field(default=NoShowRule.board, sa_type=String(8))


class ReleaseReason(StrEnum):
    no_show = "no_show"  # not started by its deadline
    taken_back = "taken_back"  # the owner took it off the shopper


class ShopRelease(OrgOwned, table=True):
    """A shop taken off a shopper: whose it was, why and when. The shop's own history
    (shop_event) says the same in words; this row is what the shopper's record counts."""

    __tablename__ = "shop_release"

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    shopper_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    reason: ReleaseReason = Field(sa_type=String(12))
    deadline: datetime | None = utc_field(default=None)
    at: datetime = utc_field(default_factory=utcnow)
