"""job board: shop fees, posting and job limits, shoppers' qualifications, visit rules
(audits/board)

Revision ID: 7b1d3f5a9c20
Revises: a6c3e9d1f247
Create Date: 2026-12-07 17:26:40.117461
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.modelbase


revision: str = "7b1d3f5a9c20"
down_revision: str | None = "a6c3e9d1f247"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_rules",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lockout_days", sa.Integer(), nullable=False),
        sa.Column("daily_limit", sa.Integer(), nullable=False),
        sa.Column("window_rule", sa.String(length=8), nullable=False),
        sa.Column("no_show", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name="fk_visit_rules_org_id_organization",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", name="uq_visit_rules_org"),
    )
    with op.batch_alter_table("visit_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_rules_org_id"), ["org_id"], unique=False)

    op.create_table(
        "shop_release",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("deadline", app.modelbase.UTCDateTime(timezone=True), nullable=True),
        sa.Column("at", app.modelbase.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name="fk_shop_release_org_id_organization",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name="fk_shop_release_shop_id_shop", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shopper_id"], ["user.id"], name="fk_shop_release_shopper_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shop_release", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_release_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shop_release_shop_id"), ["shop_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shop_release_shopper_id"), ["shopper_id"], unique=False
        )

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("region", sa.String(length=80), nullable=False, server_default="")
        )

    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fee_minor", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("fee_currency", sa.String(length=3), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("posted_at", app.modelbase.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("job_tags", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("job_region", sa.String(length=80), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("window_flag", sa.String(length=8), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.drop_column("window_flag")
        batch_op.drop_column("job_region")
        batch_op.drop_column("job_tags")
        batch_op.drop_column("posted_at")
        batch_op.drop_column("fee_currency")
        batch_op.drop_column("fee_minor")

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("region")
        batch_op.drop_column("tags")

    with op.batch_alter_table("shop_release", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shop_release_shopper_id"))
        batch_op.drop_index(batch_op.f("ix_shop_release_shop_id"))
        batch_op.drop_index(batch_op.f("ix_shop_release_org_id"))

    op.drop_table("shop_release")
    with op.batch_alter_table("visit_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_rules_org_id"))

    op.drop_table("visit_rules")
