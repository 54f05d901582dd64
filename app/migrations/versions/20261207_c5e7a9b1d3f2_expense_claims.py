"""expense claims and the receipt rule (audits/expenses)

Revision ID: c5e7a9b1d3f2
Revises: b7c1d9e2f4a6
Create Date: 2026-12-07 20:55:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.modelbase


revision: str = "c5e7a9b1d3f2"
down_revision: str | None = "b7c1d9e2f4a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("expense_claim",
    sa.Column("org_id", sa.Integer(), nullable=False),
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("shop_id", sa.Integer(), nullable=False),
    sa.Column("shopper_id", sa.Integer(), nullable=False),
    sa.Column("amount_minor", sa.Integer(), nullable=False),
    sa.Column("currency", sa.String(length=3), nullable=False),
    sa.Column("what_for", sa.String(length=200), nullable=False),
    sa.Column("status", sa.String(length=10), nullable=False),
    sa.Column("reject_reason", sa.String(length=1000), nullable=False),
    sa.Column("receipt_id", sa.Uuid(), nullable=True),
    sa.Column("receipt_path", sa.String(length=300), nullable=True),
    sa.Column("receipt_type", sa.String(length=40), nullable=True),
    sa.Column("created_at", app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.Column("updated_at", app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.Column("decided_at", app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column("decided_by", sa.Integer(), nullable=True),
    sa.Column("run_id", sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(["decided_by"], ["user.id"], name="fk_expense_claim_decided_by_user", ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name="fk_expense_claim_org_id_organization", ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["run_id"], ["payment_run.id"], name="fk_expense_claim_run_id_payment_run", ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["shop_id"], ["shop.id"], name="fk_expense_claim_shop_id_shop", ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["shopper_id"], ["user.id"], name="fk_expense_claim_shopper_id_user", ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("expense_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expense_claim_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expense_claim_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expense_claim_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expense_claim_shopper_id"), ["shopper_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expense_claim_status"), ["status"], unique=False)

    op.create_table("expense_rules",
    sa.Column("org_id", sa.Integer(), nullable=False),
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("receipt_required", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name="fk_expense_rules_org_id_organization", ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("org_id", name="uq_expense_rules_org")
    )
    with op.batch_alter_table("expense_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expense_rules_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("expense_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expense_rules_org_id"))
    op.drop_table("expense_rules")
    with op.batch_alter_table("expense_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expense_claim_status"))
        batch_op.drop_index(batch_op.f("ix_expense_claim_shopper_id"))
        batch_op.drop_index(batch_op.f("ix_expense_claim_shop_id"))
        batch_op.drop_index(batch_op.f("ix_expense_claim_run_id"))
        batch_op.drop_index(batch_op.f("ix_expense_claim_org_id"))
    op.drop_table("expense_claim")
