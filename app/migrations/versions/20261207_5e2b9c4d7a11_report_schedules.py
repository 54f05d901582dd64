"""report schedules, their sends, and e-mail attachments (reports/schedules, app/outbox)

Revision ID: 5e2b9c4d7a11
Revises: 53cd18f6b6a3
Create Date: 2026-12-07 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.modelbase

revision: str = "5e2b9c4d7a11"
down_revision: str | None = "53cd18f6b6a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_attachment",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"],
            ["outgoing_mail.id"],
            name="fk_mail_attachment_mail_id_outgoing_mail",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name="fk_mail_attachment_org_id_organization",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_attachment_mail_id"), ["mail_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_attachment_org_id"), ["org_id"], unique=False)

    op.create_table(
        "report_schedule",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("location_ids", sa.JSON(), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("paper", sa.String(length=10), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("month_day", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("handled_until", app.modelbase.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", app.modelbase.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
            name="fk_report_schedule_created_by_user",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name="fk_report_schedule_org_id_organization",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"],
            ["touchpoint.id"],
            name="fk_report_schedule_touchpoint_id_touchpoint",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_schedule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_schedule_org_id"), ["org_id"], unique=False)

    op.create_table(
        "report_send",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_at", app.modelbase.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", app.modelbase.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"],
            ["outgoing_mail.id"],
            name="fk_report_send_mail_id_outgoing_mail",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name="fk_report_send_org_id_organization",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["report_schedule.id"],
            name="fk_report_send_schedule_id_report_schedule",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "occurrence_at", name="uq_report_send_occurrence"),
    )
    with op.batch_alter_table("report_send", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_send_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_report_send_schedule_id"), ["schedule_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("report_send", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_send_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_report_send_org_id"))
    op.drop_table("report_send")
    with op.batch_alter_table("report_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_schedule_org_id"))
    op.drop_table("report_schedule")
    with op.batch_alter_table("mail_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_attachment_org_id"))
        batch_op.drop_index(batch_op.f("ix_mail_attachment_mail_id"))
    op.drop_table("mail_attachment")
