"""The logo of an organization: one picture, cleaned on upload, kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field, utcnow


class OrgLogo(OrgOwned, table=True):
    """Kept in the database, not under DATA_DIR: it is small (at most MAX_SIDE pixels a
    side), and the report workers that print posters, on whatever machine, read it there."""

    __tablename__ = "org_logo"
    __table_args__ = (UniqueConstraint("org_id", name="uq_org_logo_org"),)

    id: int | None = Field(default=None, primary_key=True)
    content_type: str = Field(sa_type=String(40))
    data: bytes = Field(sa_type=LargeBinary)
    width: int
    height: int
    updated_at: datetime = utc_field(default_factory=utcnow)
