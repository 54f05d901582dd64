"""Answers keep the time the shopper gave them (phone clock) and a revision

Revision ID: c4e8a2f71d96
Revises: e2c4a6b8d0f1
Create Date: 2026-12-07 09:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.modelbase import UTCDateTime

revision: str = "c4e8a2f71d96"
down_revision: str | None = "e2c4a6b8d0f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Answers stored before the phones sent a time count as given when last saved.
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("given_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), nullable=False, server_default="1")
        )
    op.execute("UPDATE answer SET given_at = updated_at")
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.alter_column(
            "given_at", existing_type=UTCDateTime(timezone=True), nullable=False
        )
        batch_op.alter_column(
            "revision", existing_type=sa.Integer(), existing_nullable=False, server_default=None
        )


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("revision")
        batch_op.drop_column("given_at")
