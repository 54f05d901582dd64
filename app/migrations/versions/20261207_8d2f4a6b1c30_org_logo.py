"""an organization's logo, for its posters and public complaint page (app/orgs/logo)

Revision ID: 8d2f4a6b1c30
Revises: 7c1e0f3a9b21
Create Date: 2026-12-07 18:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.modelbase

revision: str = "8d2f4a6b1c30"
down_revision: str | None = "7c1e0f3a9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_logo",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.modelbase.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", name="uq_org_logo_org"),
    )
    with op.batch_alter_table("org_logo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_logo_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("org_logo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_logo_org_id"))
    op.drop_table("org_logo")
