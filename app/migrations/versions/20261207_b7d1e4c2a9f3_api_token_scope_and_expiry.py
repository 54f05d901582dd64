"""API tokens get a scope (read or write) and an optional expiry

Revision ID: b7d1e4c2a9f3
Revises: 8c3d2f6a1e57
Create Date: 2026-12-07 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.modelbase import UTCDateTime

revision: str = "b7d1e4c2a9f3"
down_revision: str | None = "8c3d2f6a1e57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Tokens made before scopes existed could write: they keep doing so until revoked.
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=16), nullable=False, server_default="write")
        )
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column(
            "scope", existing_type=sa.String(length=16), existing_nullable=False, server_default=None
        )


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scope")
