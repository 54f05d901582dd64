"""location coordinates, the organization's location check, the visit's opening and start
times, and the visit location check (distance only)

Revision ID: c8d2e4f6a1b3
Revises: d5a3e9c1b7f2
Create Date: 2026-12-07 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.modelbase


revision: str = 'c8d2e4f6a1b3'
down_revision: str | None = 'd5a3e9c1b7f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
    with op.batch_alter_table('organization', schema=None) as batch_op:
        # Off for every organization until an owner turns it on. A plain '0' (false on
        # both databases) rather than sa.false(): SQLite then adds the column in place
        # instead of copying the table, whose DROP would cascade to every organization's rows.
        batch_op.add_column(
            sa.Column('location_check', sa.Boolean(), nullable=False, server_default='0')
        )
    with op.batch_alter_table('visit_proof', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('opened_at', app.modelbase.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('start_at', app.modelbase.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        'visit_location_check',
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('distance_m', sa.Integer(), nullable=True),
        sa.Column('accuracy_m', sa.Integer(), nullable=True),
        sa.Column('checked_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
        sa.Column('recorded_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['org_id'], ['organization.id'],
            name='fk_visit_location_check_org_id_organization', ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['shop_id'], ['shop.id'], name='fk_visit_location_check_shop_id_shop',
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('shop_id', name='uq_visit_location_check_shop'),
    )
    with op.batch_alter_table('visit_location_check', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_visit_location_check_org_id'), ['org_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_visit_location_check_shop_id'), ['shop_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_visit_location_check_recorded_at'), ['recorded_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('visit_location_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_location_check_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_visit_location_check_shop_id'))
        batch_op.drop_index(batch_op.f('ix_visit_location_check_org_id'))
    op.drop_table('visit_location_check')
    with op.batch_alter_table('visit_proof', schema=None) as batch_op:
        batch_op.drop_column('start_at')
        batch_op.drop_column('opened_at')
    _drop_column('organization', 'location_check')
    _drop_column('location', 'longitude')
    _drop_column('location', 'latitude')


def _drop_column(table: str, column: str) -> None:
    """SQLite (3.35 and later) drops a plain column in place: a batch copy of the table would
    DROP it, and the foreign keys' ON DELETE CASCADE would empty the tables pointing at it."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_column(column)
