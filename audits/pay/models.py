"""Payment runs: what an owner pays shoppers for a period, line by line."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class PaymentRun(OrgOwned, table=True):
    """The fees owed for a period, claimed as lines when the run is made; paid_at is set
    once, when the owner marks the run paid."""

    __tablename__ = "payment_run"

    id: int | None = Field(default=None, primary_key=True)
    # Shops approved on these days (both included) in the organization's time zone.
    period_from: date
    period_until: date
    created_at: datetime = utc_field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    paid_at: datetime | None = utc_field(default=None)
    paid_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class PaymentLine(OrgOwned, table=True):
    """One shop's fee in one run. A shop has at most one line, ever (the unique constraint):
    two runs made at once cannot both claim it, so a shop is never paid twice."""

    __tablename__ = "payment_line"
    __table_args__ = (UniqueConstraint("shop_id", name="uq_payment_line_shop"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="payment_run.id", index=True, ondelete="CASCADE")
    shop_id: int = Field(foreign_key="shop.id", ondelete="CASCADE")
    shopper_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    # The fee as it stood when the run claimed it (minor units of currency, ISO 4217).
    amount_minor: int
    currency: str = Field(sa_type=String(3))
