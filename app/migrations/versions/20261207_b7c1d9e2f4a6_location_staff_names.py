"""location staff names: masked as "[staff]" in the comments staff read

Revision ID: b7c1d9e2f4a6
Revises: 4cd2ff4b0dd3
Create Date: 2026-12-07 19:05:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b7c1d9e2f4a6'
down_revision: str | None = '4cd2ff4b0dd3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_names', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_column('staff_names')
