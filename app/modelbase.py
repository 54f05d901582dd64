"""Shared column types and mixins for every package's tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import pydantic
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# The one clock, re-exported where the models and services have always found it.
from app.clock import utcnow as utcnow

# The largest id a row can have: ids are INTEGER columns, 32 bits on PostgreSQL. A bigger
# number in a request cannot name a row, and the database refuses to compare with it (a
# 500: "integer out of range"; SQLite's driver fails past 64 bits), so requests are checked
# against this first: a 422 that names the field.
MAX_ID = 2**31 - 1
RowId = Annotated[int, pydantic.Field(ge=0, le=MAX_ID)]


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; times are stored in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_field(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class OrgOwned(SQLModel):
    """Marks a table that belongs to one organization; app.tenancy scopes it."""

    org_id: int = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")


def ident(row: Any) -> int:
    """The primary key of a stored row (SQLModel types ids as optional until flushed)."""
    value = row.id
    if value is None:
        raise ValueError(f"{type(row).__name__} has not been stored yet")
    return int(value)
