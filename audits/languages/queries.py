"""The wording a shop's pages show: its questions and touchpoints in the shop's language,
with the primary wording (and a mark) where a translation is missing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.modelbase import ident
from app.orgs.languages import language_name
from app.orgs.models import Organization
from audits.models import Shop
from audits.queries import Section
from touchpoints.translations.queries import (
    Wording,
    question_wording,
    touchpoint_description,
    touchpoint_name,
)


def shop_language(shop: Shop, org: Organization) -> str:
    """The language the shop is read in: the shopper's choice while the organization still
    uses it, else the primary language."""
    languages = list(org.languages or ["en"])
    return shop.language if shop.language in languages else languages[0]


def filled_in(shop: Shop, org: Organization) -> str | None:
    """The name of the language the shopper read the checklist in, when not the primary one
    (the owner reads questions in the primary language, the comments as they were written)."""
    code = shop_language(shop, org)
    return None if code == org.primary_language else language_name(code)


@dataclass(frozen=True)
class ShopWording:
    language: str
    language_label: str
    primary: bool  # the shop is read in the primary language: nothing to mark
    primary_language: str
    questions: dict[int, Wording]  # by question id
    touchpoints: dict[int, dict[str, Any]]  # by touchpoint id: name, description, untranslated
    choices: list[tuple[str, str]]  # the organization's languages, (code, own name)


def shop_wording(shop: Shop, org: Organization, sections: Sequence[Section]) -> ShopWording:
    languages = list(org.languages or ["en"])
    code = shop_language(shop, org)
    primary = languages[0]
    return ShopWording(
        language=code,
        language_label=language_name(code),
        primary=code == primary,
        primary_language=primary,
        questions={
            ident(q): question_wording(q, code, primary) for s in sections for q in s.questions
        },
        touchpoints={
            ident(s.touchpoint): {
                "name": touchpoint_name(s.touchpoint, code),
                "description": touchpoint_description(s.touchpoint, code),
                "untranslated": code != primary
                and not ((s.touchpoint.translations or {}).get(code) or {}).get("name"),
            }
            for s in sections
        },
        choices=[(c, language_name(c)) for c in languages],
    )
