"""report jobs: meeting packs printing in the background, their progress shared by workers

Revision ID: d4e5f6a7b8c9
Revises: c3f1a2b4d5e6
Create Date: 2026-11-23 06:35:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.modelbase

revision: str = 'd4e5f6a7b8c9'
down_revision: str | None = 'c3f1a2b4d5e6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_job',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name='fk_report_job_created_by_user', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name='fk_report_job_org_id_organization', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_job_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_job_org_id'))
    op.drop_table('report_job')
