"""Expense claims: what a shopper spent on a shop, its receipt, and the owner's decision."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class ExpenseStatus(StrEnum):
    claimed = "claimed"  # the shopper added it; waiting for the owner's decision
    approved = "approved"  # owed, paid with the shop's fee in a payment run
    rejected = "rejected"  # not owed; the reason is shown to the shopper


class ExpenseClaim(OrgOwned, table=True):
    """One expense of a shop. The id is made on the phone (the offline queue may send the same
    claim again after a lost reply: a resend is an update). The receipt is a cleaned photo
    under DATA_DIR/photos/<org id>/receipts/; `receipt_id` is the phone's id for it, so a resent
    receipt is recognised too. `run_id` is the payment run that claimed it once approved."""

    __tablename__ = "expense_claim"

    id: uuid.UUID = Field(primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    shopper_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    # Minor units (cents) of `currency` (ISO 4217); always more than 0.
    amount_minor: int
    currency: str = Field(sa_type=String(3))
    what_for: str = Field(sa_type=String(200))
    status: ExpenseStatus = Field(default=ExpenseStatus.claimed, sa_type=String(10), index=True)
    reject_reason: str = Field(default="", sa_type=String(1000))
    receipt_id: uuid.UUID | None = None
    receipt_path: str | None = Field(default=None, sa_type=String(300))
    receipt_type: str | None = Field(default=None, sa_type=String(40))
    created_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)
    decided_at: datetime | None = utc_field(default=None)
    decided_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    run_id: int | None = Field(
        default=None, foreign_key="payment_run.id", index=True, ondelete="SET NULL"
    )


class ExpenseRules(OrgOwned, table=True):
    """One row per organization; none means the default: a receipt is required."""

    __tablename__ = "expense_rules"
    __table_args__ = (UniqueConstraint("org_id", name="uq_expense_rules_org"),)

    id: int | None = Field(default=None, primary_key=True)
    receipt_required: bool = True
