"""recovery cases, measures, action items, alerts

Revision ID: 022fd5db9113
Revises: d4e5f6a7b8c9
Create Date: 2026-11-29 12:25:11.619756
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.modelbase

revision: str = '022fd5db9113'
down_revision: str | None = 'd4e5f6a7b8c9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('public_post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('public_post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_post_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_post_created_at'), ['created_at'], unique=False)

    op.create_table('measure',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('higher_is_better', sa.Boolean(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('aggregate', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('touchpoint_id', 'name', name='uq_measure_touchpoint_name')
    )
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measure_touchpoint_id'), ['touchpoint_id'], unique=False)

    op.create_table('recovery_case',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('reported_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('customer_name', sa.String(length=120), nullable=False),
    sa.Column('customer_contact', sa.String(length=200), nullable=False),
    sa.Column('contact_removed_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_note', sa.Text(), nullable=False),
    sa.Column('fixed_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fix_note', sa.Text(), nullable=False),
    sa.Column('surprised_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column('surprise_note', sa.Text(), nullable=False),
    sa.Column('followed_up_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=True),
    sa.Column('follow_up_note', sa.Text(), nullable=False),
    sa.Column('triage_what', sa.Text(), nullable=False),
    sa.Column('cause_category', sa.String(length=16), nullable=True),
    sa.Column('triage_why', sa.Text(), nullable=False),
    sa.Column('triage_change', sa.Text(), nullable=False),
    sa.Column('champion', sa.Boolean(), nullable=False),
    sa.Column('closed_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.Column('report_day', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('recovery_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_case_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recovery_case_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_recovery_case_report', ['touchpoint_id', 'report_day'], unique=False)
        batch_op.create_index(batch_op.f('ix_recovery_case_touchpoint_id'), ['touchpoint_id'], unique=False)

    op.create_table('action_item',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('team', sa.String(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('meeting_on', sa.Date(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('recovery_case_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recovery_case_id'], ['recovery_case.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_item_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_item_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_item_touchpoint_id'), ['touchpoint_id'], unique=False)

    op.create_table('alert',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('recovery_case_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.Column('emailed_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dismissed_at', app.modelbase.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dismissed_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['dismissed_by'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recovery_case_id'], ['recovery_case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'key', name='uq_alert_org_key')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_org_id'), ['org_id'], unique=False)

    op.create_table('measure_value',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', app.modelbase.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('measure_id', 'location_id', 'period_start', name='uq_measure_value_slot')
    )
    with op.batch_alter_table('measure_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_value_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measure_value_measure_id'), ['measure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measure_value_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_key', sa.String(length=24), nullable=True))
        batch_op.create_unique_constraint('uq_location_public_key', ['public_key'])

    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_key', sa.String(length=24), nullable=True))
        # Existing organizations get the same defaults a new one does.
        batch_op.add_column(sa.Column('alert_margin', sa.Integer(), nullable=False, server_default='10'))
        batch_op.add_column(sa.Column('contact_retention_days', sa.Integer(), nullable=True, server_default='365'))
        batch_op.create_unique_constraint('uq_organization_public_key', ['public_key'])



def downgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_constraint('uq_organization_public_key', type_='unique')
        batch_op.drop_column('contact_retention_days')
        batch_op.drop_column('alert_margin')
        batch_op.drop_column('public_key')

    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_constraint('uq_location_public_key', type_='unique')
        batch_op.drop_column('public_key')

    with op.batch_alter_table('measure_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_value_org_id'))
        batch_op.drop_index(batch_op.f('ix_measure_value_measure_id'))
        batch_op.drop_index(batch_op.f('ix_measure_value_location_id'))

    op.drop_table('measure_value')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_org_id'))
        batch_op.drop_index(batch_op.f('ix_alert_created_at'))

    op.drop_table('alert')
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_item_touchpoint_id'))
        batch_op.drop_index(batch_op.f('ix_action_item_status'))
        batch_op.drop_index(batch_op.f('ix_action_item_org_id'))

    op.drop_table('action_item')
    with op.batch_alter_table('recovery_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_case_touchpoint_id'))
        batch_op.drop_index('ix_recovery_case_report')
        batch_op.drop_index(batch_op.f('ix_recovery_case_org_id'))
        batch_op.drop_index(batch_op.f('ix_recovery_case_location_id'))

    op.drop_table('recovery_case')
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_touchpoint_id'))
        batch_op.drop_index(batch_op.f('ix_measure_org_id'))

    op.drop_table('measure')
    with op.batch_alter_table('public_post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_post_created_at'))
        batch_op.drop_index(batch_op.f('ix_public_post_address'))

    op.drop_table('public_post')
