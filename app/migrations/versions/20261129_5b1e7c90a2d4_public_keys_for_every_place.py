"""public complaint keys for every organization and location: rows made before keys came
with the row get one now (the posters page used to make them on its first visit)

Revision ID: 5b1e7c90a2d4
Revises: e6ae1bab7468
Create Date: 2026-11-29 15:40:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1e7c90a2d4"
down_revision: str | None = "e6ae1bab7468"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same keys as app.orgs.models.public_key_new makes, written out here because a
# migration must not change when the application code does.
KEY_BYTES = 12


def upgrade() -> None:
    connection = op.get_bind()
    for name in ("organization", "location"):
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("public_key", sa.String))
        ids = connection.execute(
            sa.select(table.c.id).where(table.c.public_key.is_(None))
        ).scalars()
        for row_id in list(ids):
            connection.execute(
                table.update()
                .where(table.c.id == row_id, table.c.public_key.is_(None))
                .values(public_key=secrets.token_urlsafe(KEY_BYTES))
            )


def downgrade() -> None:
    # Nothing to undo: a key that is already printed on a poster must keep working, and the
    # older code reads a present key exactly as this one does.
    pass
