"""Setting and removing an organization's logo."""

from __future__ import annotations

from sqlmodel import Session

from app.errors import DomainError
from app.i18n.catalogs import N_
from app.images import NotAnImage, clean_image
from app.modelbase import utcnow
from app.orgs.logo.models import OrgLogo
from app.orgs.logo.queries import logo_of

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 800  # enough for a poster's header at print resolution
MSG_LOGO_NONE = N_("Choose a picture file to upload.")
MSG_LOGO_TOO_LARGE = N_("That picture is too large: the limit is 2 MB.")
MSG_LOGO_NOT_IMAGE = N_("That file is not a picture. Upload a PNG, JPEG or WebP image.")


def logo_set(*, session: Session, org_id: int, raw: bytes) -> OrgLogo:
    """Store `raw` as the organization's logo, replacing any other: checked by its content,
    made at most MAX_SIDE pixels a side and re-encoded from its pixels (no metadata)."""
    if not raw:
        raise DomainError(MSG_LOGO_NONE, field="logo")
    if len(raw) > MAX_BYTES:
        raise DomainError(MSG_LOGO_TOO_LARGE, field="logo")
    try:
        data, content_type, width, height = clean_image(raw, max_side=MAX_SIDE)
    except NotAnImage as exc:
        raise DomainError(MSG_LOGO_NOT_IMAGE, field="logo") from exc
    logo = logo_of(session, org_id) or OrgLogo(
        org_id=org_id, content_type=content_type, data=data, width=width, height=height
    )
    logo.content_type, logo.data, logo.width, logo.height = content_type, data, width, height
    logo.updated_at = utcnow()
    session.add(logo)
    session.commit()
    return logo


def logo_remove(*, session: Session, org_id: int) -> None:
    logo = logo_of(session, org_id)
    if logo is not None:
        session.delete(logo)
        session.commit()
