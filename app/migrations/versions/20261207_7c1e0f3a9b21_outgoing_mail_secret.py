"""an outbox message's one-time secret, kept out of its stored body (invite e-mails)

Revision ID: 7c1e0f3a9b21
Revises: 5e2b9c4d7a11
Create Date: 2026-12-07 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e0f3a9b21"
down_revision: str | None = "5e2b9c4d7a11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outgoing_mail") as batch_op:
        batch_op.add_column(sa.Column("secret", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("outgoing_mail") as batch_op:
        batch_op.drop_column("secret")
