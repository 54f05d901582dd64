"""the organization's "near target" band for the met / near / below status

Revision ID: 9d4b7e2a6c13
Revises: f3a9c1d2b4e8
Create Date: 2026-12-07 11:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4b7e2a6c13"
down_revision: str | None = "f3a9c1d2b4e8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        # Existing organizations get the default band of new ones: 5 points below target.
        batch_op.add_column(
            sa.Column("near_target", sa.Integer(), nullable=False, server_default="5")
        )


def downgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("near_target")
