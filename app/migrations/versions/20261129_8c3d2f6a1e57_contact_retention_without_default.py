"""organization.contact_retention_days loses its server default of 365: a NULL ("keep the
contact details until the case is deleted") was stored as 365 whenever an INSERT left it out

Revision ID: 8c3d2f6a1e57
Revises: 5b1e7c90a2d4
Create Date: 2026-11-29 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c3d2f6a1e57"
down_revision: str | None = "5b1e7c90a2d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows keep the value they have; new organizations get 365 from the model.
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.alter_column(
            "contact_retention_days",
            existing_type=sa.Integer(),
            existing_nullable=True,
            server_default=None,
        )


def downgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.alter_column(
            "contact_retention_days",
            existing_type=sa.Integer(),
            existing_nullable=True,
            server_default="365",
        )
