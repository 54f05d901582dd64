"""question conditions (show_if) and evidence rules (photo_required, comment_on_fail)

Revision ID: a6c3e9d1f247
Revises: 8d2f4a6b1c30
Create Date: 2026-12-07 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a6c3e9d1f247"
down_revision: str | None = "8d2f4a6b1c30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("show_if", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("photo_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("comment_on_fail", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The defaults filled the existing rows; new rows get theirs from the model.
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.alter_column("photo_required", existing_type=sa.Boolean(), server_default=None)
        batch_op.alter_column("comment_on_fail", existing_type=sa.Boolean(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("comment_on_fail")
        batch_op.drop_column("photo_required")
        batch_op.drop_column("show_if")
