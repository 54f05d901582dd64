"""Setting the language a shop is filled in."""

from __future__ import annotations

from sqlmodel import Session

from app.errors import InvalidError
from app.orgs.languages import not_used_message
from app.orgs.models import Organization
from audits.models import Shop


def shop_language_set(*, session: Session, shop: Shop, org: Organization, language: str) -> Shop:
    """Show the shop's checklist in `language`, one of the organization's. Answers never
    depend on it: values are stored as yes/no, numbers and option positions."""
    code = (language or "").strip().lower()
    languages = list(org.languages or ["en"])
    if code not in languages:
        raise InvalidError(not_used_message(code, languages), field="language")
    shop.language = code
    session.add(shop)
    session.commit()
    return shop
