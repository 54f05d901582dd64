"""Reading a logo: for the owner's settings, the public complaint page and the posters."""

from __future__ import annotations

import base64

from sqlmodel import Session, select

from app.orgs.logo.models import OrgLogo
from app.orgs.models import Organization
from app.tenancy import unscoped


def logo_of(session: Session, org_id: int) -> OrgLogo | None:
    """The organization's logo. Read by its id outside any tenant scope, because the public
    complaint pages and the poster printer have none; callers pass the organization they
    already resolved (by the member's session, or by the complaint address's key)."""
    with unscoped(session):
        return session.exec(select(OrgLogo).where(OrgLogo.org_id == org_id)).first()


def logo_by_public_key(session: Session, key: str) -> OrgLogo | None:
    """The logo of the organization whose complaint address has this key (public pages)."""
    org = session.exec(select(Organization).where(Organization.public_key == key)).first()
    return logo_of(session, org.id) if org is not None and org.id is not None else None


def logo_url(org: Organization, logo: OrgLogo | None) -> str | None:
    """The public address of the logo; its time in the query, so a new logo is fetched anew
    (the picture itself is cached for a day)."""
    if logo is None or org.public_key is None:
        return None
    return f"/logo/{org.public_key}?v={int(logo.updated_at.timestamp())}"


def logo_data_uri(logo: OrgLogo | None) -> str | None:
    """The logo inside the page, for a PDF: the printer fetches nothing from the network."""
    if logo is None:
        return None
    return f"data:{logo.content_type};base64,{base64.b64encode(logo.data).decode('ascii')}"
