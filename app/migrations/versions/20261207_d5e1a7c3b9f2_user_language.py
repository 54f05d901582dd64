"""user and complaint language: the interface language a person chose (None follows the
browser), and the language a customer wrote a complaint in (the replies to them use it)

Revision ID: d5e1a7c3b9f2
Revises: c8d2e4f6a1b3
Create Date: 2026-12-07 20:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd5e1a7c3b9f2'
down_revision: str | None = 'c8d2e4f6a1b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('recovery_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('recovery_case', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('language')
