"""Public keys, public complaint addresses, their QR codes and the printable posters.

A complaint form's address carries an unguessable key instead of an id, so that nobody can
walk the organizations (or an organization's locations) by counting. Keys are made the
first time an owner looks at the posters page, and never change afterwards: a poster on a
wall has to keep working.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Literal

import segno
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import DomainError
from app.orgs.models import Location, Organization
from app.templating import templates
from recovery.models import FIX_WINDOW_HOURS

PAPERS: dict[str, str] = {"a4": "A4", "letter": "US Letter"}
Paper = Literal["a4", "letter"]
MSG_PAPER = "Choose a4 or letter."
# token_urlsafe(12): 16 characters carrying 96 random bits; the columns hold up to 24.
KEY_BYTES = 12
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,24}")


def public_key_new() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def org_public_key_ensure(*, session: Session, org: Organization) -> str:
    """The organization's public key, made now if it has none (the caller commits)."""
    return _public_key_ensure(session, org)


def location_public_key_ensure(*, session: Session, location: Location) -> str:
    """Like org_public_key_ensure, for one location (org-scoped session)."""
    return _public_key_ensure(session, location)


def _public_key_ensure(session: Session, row: Organization | Location) -> str:
    """The row's public key, made now if it has none.

    The key is set only where it is still empty, then read back: two owners opening the
    page at the same moment end up with the same key, never with a printed poster whose
    key was overwritten a second later.
    """
    if row.public_key is None:
        table = type(row)
        session.execute(
            update(table)
            .where(col(table.id) == row.id, col(table.public_key).is_(None))
            .values(public_key=public_key_new())
        )
        session.refresh(row)
    assert row.public_key is not None
    return row.public_key


def public_keys_ensure(*, session: Session, org: Organization) -> list[Location]:
    """Give the organization and each of its locations a key; commit; return the locations."""
    org_public_key_ensure(session=session, org=org)
    locations = list(
        session.exec(
            select(Location).where(Location.org_id == org.id).order_by(col(Location.name))
        ).all()
    )
    for location in locations:
        location_public_key_ensure(session=session, location=location)
    session.commit()
    return locations


def complaint_path(org_key: str, location_key: str | None = None) -> str:
    return f"/complain/{org_key}" + (f"/{location_key}" if location_key else "")


def complaint_url(settings: Settings, org_key: str, location_key: str | None = None) -> str:
    """The full address printed on a poster and inside its QR code."""
    return settings.base_url.rstrip("/") + complaint_path(org_key, location_key)


def _qr(url: str) -> segno.QRCode:
    # Level M survives a crease or a smudge on a printed poster and keeps the code small.
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str) -> str:
    """The QR code as inline SVG without a fixed size (the poster's CSS sizes it)."""
    return str(_qr(url).svg_inline(scale=1, border=4, omitsize=True, dark="#000"))


def qr_data_uri(url: str) -> str:
    """A small QR preview for the owner's page (an <img>: the CSP allows data: images)."""
    return str(_qr(url).svg_data_uri(scale=4, border=2, dark="#000", light="#fff"))


def paper_parse(value: str) -> Paper:
    value = value.strip().lower()
    if value == "a4":
        return "a4"
    if value == "letter":
        return "letter"
    raise DomainError(MSG_PAPER, field="paper")


@dataclass(frozen=True)
class Poster:
    org: Organization
    location: Location | None
    url: str
    paper: Paper

    @property
    def filename(self) -> str:
        place = self.location.name if self.location else self.org.name
        slug = re.sub(r"[^\w]+", "-", place, flags=re.UNICODE).strip("-").lower() or "poster"
        return f"complaint-poster-{slug}-{self.paper}.pdf"


def poster_for(
    *,
    session: Session,
    org: Organization,
    location: Location | None,
    paper: Paper,
    settings: Settings,
) -> Poster:
    """What one poster shows; makes the keys it needs (committed)."""
    org_key = org_public_key_ensure(session=session, org=org)
    location_key = None
    if location is not None:
        location_key = location_public_key_ensure(session=session, location=location)
    session.commit()
    return Poster(
        org=org, location=location, url=complaint_url(settings, org_key, location_key), paper=paper
    )


def poster_html(poster: Poster) -> str:
    return templates.get_template("recovery/poster.html").render(
        poster=poster,
        qr=qr_svg(poster.url),
        page_size="A4" if poster.paper == "a4" else "letter",
        fix_hours=FIX_WINDOW_HOURS,
    )
