"""two-step login: TOTP secret, last used step and recovery codes per user; the
organization's "owners must use two-step login" setting

Revision ID: e6ae1bab7468
Revises: 022fd5db9113
Create Date: 2026-11-29 13:40:12.079508
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e6ae1bab7468"
down_revision: str | None = "022fd5db9113"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        # Existing organizations keep password-only logins until an owner turns this on.
        batch_op.add_column(
            sa.Column("owners_two_step", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("totp_recovery_hashes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("totp_recovery_hashes")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")

    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("owners_two_step")
