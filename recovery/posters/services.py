"""Public keys, public complaint addresses, their QR codes and the printable posters.

A complaint form's address carries an unguessable key instead of an id, so that nobody can
walk the organizations (or an organization's locations) by counting. Keys are made with the
organization or location (app/orgs/models.py public_key_new; a migration filled older rows)
and never change afterwards: a poster on a wall has to keep working. So everything here
only reads.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import segno
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import DomainError, NotFoundError
from app.i18n.catalogs import N_
from app.i18n.current import using
from app.i18n.message import message
from app.i18n.printing import report_language
from app.orgs.models import SHORT_CODE_ALPHABET, SHORT_CODE_LENGTH, Location, Organization
from app.templating import templates
from recovery.models import FIX_WINDOW_HOURS

PAPERS: dict[str, str] = {"a4": "A4", "letter": "US Letter"}
Paper = Literal["a4", "letter"]
MSG_PAPER = N_("Choose a4 or letter.")
MSG_NO_KEY = N_("This place has no complaint address yet. Run `touchstone migrate` to give it one.")
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,24}")
SHORT_CODE_PATTERN = re.compile(f"[{SHORT_CODE_ALPHABET}]{{{SHORT_CODE_LENGTH}}}")
MSG_BASE_LOOPBACK = N_(
    "BASE_URL is %(base)s, an address of this computer only: a customer's phone cannot reach it. "
    "Set BASE_URL to the public https address of Touchstone before you print a poster."
)
MSG_BASE_HTTP = N_(
    "BASE_URL is %(base)s, plain http: a customer's phone may warn about it or refuse it. "
    "Set BASE_URL to the public https address of Touchstone before you print a poster."
)


def complaint_locations(*, session: Session, org: Organization) -> list[Location]:
    """The organization's locations that have a complaint address, by name (only reads)."""
    return list(
        session.exec(
            select(Location)
            .where(Location.org_id == org.id, col(Location.public_key).is_not(None))
            .order_by(col(Location.name))
        ).all()
    )


def complaint_path(org_key: str, location_key: str | None = None) -> str:
    return f"/complain/{org_key}" + (f"/{location_key}" if location_key else "")


def complaint_url(settings: Settings, org_key: str, location_key: str | None = None) -> str:
    """The full address printed on a poster and inside its QR code."""
    return settings.base_url.rstrip("/") + complaint_path(org_key, location_key)


def short_path(code: str) -> str:
    return f"/c/{code}"


def short_url(settings: Settings, code: str) -> str:
    """The short complaint address, `{BASE_URL}/c/{code}`."""
    return settings.base_url.rstrip("/") + short_path(code)


def typed(url: str) -> str:
    """An address as people type it: without `https://` (browsers add it)."""
    return url.split("://", 1)[-1]


def short_code_parse(value: str) -> str | None:
    """A typed code as stored (case-insensitive), or None when it cannot be one."""
    code = value.strip().upper()
    return code if SHORT_CODE_PATTERN.fullmatch(code) else None


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url_problem(settings: Settings) -> str | None:
    """Why posters built from BASE_URL would not work where they hang; None if they would."""
    base = settings.base_url.strip()
    parts = urlsplit(base)
    if _loopback((parts.hostname or "").lower()):
        return message(MSG_BASE_LOOPBACK, base=base)
    if parts.scheme.lower() != "https":
        return message(MSG_BASE_HTTP, base=base)
    return None


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
    short: str
    paper: Paper
    # Why BASE_URL would not work on a wall (printed in small print); None when it would.
    problem: str | None = None
    logo: str | None = None  # the organization's logo as a data: URI (the printer reads no network)

    @property
    def filename(self) -> str:
        place = self.location.name if self.location else self.org.name
        slug = re.sub(r"[^\w]+", "-", place, flags=re.UNICODE).strip("-").lower() or "poster"
        return f"complaint-poster-{slug}-{self.paper}.pdf"


def poster_for(
    *,
    org: Organization,
    location: Location | None,
    paper: Paper,
    settings: Settings,
    logo: str | None = None,
) -> Poster:
    """What one poster shows (only reads)."""
    org_key = org.public_key
    location_key = location.public_key if location is not None else None
    code = location.short_code if location is not None else org.short_code
    if org_key is None or code is None or (location is not None and location_key is None):
        raise NotFoundError(MSG_NO_KEY)
    return Poster(
        org=org,
        location=location,
        url=complaint_url(settings, org_key, location_key),
        short=typed(short_url(settings, code)),
        paper=paper,
        problem=base_url_problem(settings),
        logo=logo,
    )


def poster_html(poster: Poster) -> str:
    # Printed for customers, in the organization's report language.
    lang = report_language(poster.org)
    with using(lang):
        return templates.get_template("recovery/poster.html").render(
            lang=lang,
            poster=poster,
            qr=qr_svg(poster.url),
            page_size="A4" if poster.paper == "a4" else "letter",
            fix_hours=FIX_WINDOW_HOURS,
        )
