"""short complaint codes for every organization and location (`/c/{code}`, printed on the
posters for people to type); rows made before them get one now

Revision ID: f3a9c1d2b4e8
Revises: c4e8a2f71d96
Create Date: 2026-12-07 10:00:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3a9c1d2b4e8"
down_revision: str | None = "c4e8a2f71d96"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same codes as app.orgs.models makes (org_short_code_new, location_short_code_new),
# written out here because a migration must not change when the application code does.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
FIRST = {"organization": ALPHABET[:8], "location": ALPHABET[8:]}
LENGTH = 6


def _code(first: str) -> str:
    return secrets.choice(first) + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))


def upgrade() -> None:
    # A plain ADD COLUMN and a unique index: on SQLite a unique constraint would copy the
    # table, and dropping the old organization table would cascade to its locations.
    for name in ("organization", "location"):
        op.add_column(name, sa.Column("short_code", sa.String(length=8), nullable=True))
        op.create_index(f"ix_{name}_short_code", name, ["short_code"], unique=True)
    connection = op.get_bind()
    for name in ("organization", "location"):
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("short_code", sa.String))
        used: set[str] = set()
        for row_id in list(connection.execute(sa.select(table.c.id)).scalars()):
            code = _code(FIRST[name])
            while code in used:
                code = _code(FIRST[name])
            used.add(code)
            connection.execute(table.update().where(table.c.id == row_id).values(short_code=code))


def downgrade() -> None:
    for name in ("location", "organization"):
        op.drop_index(f"ix_{name}_short_code", table_name=name)
        op.drop_column(name, "short_code")
