"""Writing translations: a question version's wording, a touchpoint's name, in one of the
organization's languages other than its primary one.

A translation fix rewrites the current version's wording in place, so the answers given to
it keep counting; when the owner says the meaning changed (and the question has answers),
a new version is made the usual way and old shops keep the version they were asked.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.errors import ConflictError, InvalidError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.orgs.languages import language_name, not_used_message
from app.orgs.models import Organization
from touchpoints import services as journey
from touchpoints.models import Question, QuestionKind, QuestionStatus, Touchpoint
from touchpoints.translations.models import (
    QuestionTranslation,
    QuestionTranslationUpdate,
    TouchpointTranslation,
)
from touchpoints.translations.queries import row_values

MSG_PRIMARY = N_(
    "%(name)s is your primary language: change that wording on the question itself "
    "(or the touchpoint's settings)."
)
MSG_OPTIONS_COUNT = N_(
    "Give one label for each of the %(n)s options, in their order (leave one empty to keep "
    "its primary wording)."
)
MSG_NO_OPTIONS = "This question has no options to translate."
MSG_SCALE_COUNT = "Give five scale labels, for 1 to 5, or none."
MSG_NO_SCALE = "This question has no scale labels to translate."
MSG_NOT_CURRENT = "Only the current version of a question can be translated."


def _language_checked(org: Organization, language: str) -> str:
    code = (language or "").strip().lower()
    languages = list(org.languages or ["en"])
    if code == languages[0]:
        raise InvalidError(message(MSG_PRIMARY, name=language_name(code)), field="language")
    if code not in languages:
        raise InvalidError(not_used_message(code, languages), field="language")
    return code


def _labels_checked(question: Question, data: QuestionTranslation) -> None:
    options = (question.config or {}).get("options") or []
    if data.options and any(data.options):
        if question.kind != QuestionKind.choice:
            raise InvalidError(MSG_NO_OPTIONS, field="options")
        if len(data.options) != len(options):
            raise InvalidError(message(MSG_OPTIONS_COUNT, n=len(options)), field="options")
    scale = (question.config or {}).get("scale_labels") or []
    if data.scale_labels and any(data.scale_labels):
        if question.kind != QuestionKind.scale or not scale:
            raise InvalidError(MSG_NO_SCALE, field="scale_labels")
        if len(data.scale_labels) != 5:
            raise InvalidError(MSG_SCALE_COUNT, field="scale_labels")


def _with(translations: dict[str, Any] | None, language: str, parts: dict[str, Any]) -> dict:
    # A new dict every time: the JSON column notices a new value, not a change inside one.
    out = {k: v for k, v in (translations or {}).items() if k != language}
    if parts:
        out[language] = parts
    return out


def question_translate(
    *,
    session: Session,
    org: Organization,
    question: Question,
    language: str,
    data: QuestionTranslationUpdate,
) -> Question:
    """Store `language`'s wording of the question; returns the version now current."""
    if question.status != QuestionStatus.active:
        raise ConflictError(MSG_NOT_CURRENT)
    code = _language_checked(org, language)
    _labels_checked(question, data)
    touchpoint = session.get(Touchpoint, question.touchpoint_id)
    if touchpoint is None or touchpoint.archived_at is not None:
        raise InvalidError(journey.MSG_TOUCHPOINT_ARCHIVED)
    translations = _with(question.translations, code, data.stored()) or None
    if data.meaning_changed and journey.question_in_use(session, question):
        question.status = QuestionStatus.superseded
        session.add(question)
        session.flush()  # free the lineage's single active slot before adding the next
        keep = row_values(question)
        for name in ("id", "version", "status", "created_at"):
            keep.pop(name)
        successor = Question(**{**keep, "translations": translations}, version=question.version + 1)
        session.add(successor)
        session.commit()
        return successor
    question.translations = translations
    session.add(question)
    session.commit()
    return question


def touchpoint_translate(
    *,
    session: Session,
    org: Organization,
    touchpoint: Touchpoint,
    language: str,
    data: TouchpointTranslation,
) -> Touchpoint:
    code = _language_checked(org, language)
    touchpoint.translations = _with(touchpoint.translations, code, data.stored()) or None
    session.add(touchpoint)
    session.commit()
    return touchpoint
