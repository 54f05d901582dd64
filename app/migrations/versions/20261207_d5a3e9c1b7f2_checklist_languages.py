"""checklist languages: the organization's languages and report language, translations of
touchpoints and question versions, and the language a shop was filled in

Revision ID: d5a3e9c1b7f2
Revises: c5e7a9b1d3f2
Create Date: 2026-12-07 20:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5a3e9c1b7f2"
down_revision: str | None = "c5e7a9b1d3f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing organizations write in English, and print in it, until an owner says otherwise.
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("languages", sa.JSON(), nullable=False, server_default='["en"]')
        )
        batch_op.add_column(
            sa.Column("report_language", sa.String(length=8), nullable=False, server_default="en")
        )
    with op.batch_alter_table("touchpoint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))
    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("translations")
    with op.batch_alter_table("touchpoint", schema=None) as batch_op:
        batch_op.drop_column("translations")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("report_language")
        batch_op.drop_column("languages")
