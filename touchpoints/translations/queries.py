"""Reading wordings: a question or touchpoint in a language, with the primary wording where
a translation is missing, and what is still untranslated. Pure functions over the rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.orgs.languages import language_name
from touchpoints.models import Question, QuestionKind, Touchpoint
from touchpoints.translations.models import LanguageStatus


@dataclass(frozen=True)
class Wording:
    """A question version as a reader of `language` sees it. `missing` names the parts
    shown in the primary language because no translation was given ("text", "guidance",
    "options", "scale_labels"); empty in the primary language itself."""

    language: str
    text: str
    guidance: str
    options: list[str] = field(default_factory=list)
    scale_labels: list[str] = field(default_factory=list)
    missing: frozenset[str] = frozenset()

    @property
    def untranslated(self) -> bool:
        return bool(self.missing)


def _primary_labels(question: Question, key: str) -> list[str]:
    config = question.config or {}
    if key == "options":
        return [str(o.get("label", "")) for o in config.get("options") or []]
    return [str(s) for s in config.get("scale_labels") or []]


def _needs(question: Question) -> list[str]:
    """The parts of this question that a translation must give to be complete."""
    parts = ["text"]
    if question.guidance:
        parts.append("guidance")
    if question.kind == QuestionKind.choice and _primary_labels(question, "options"):
        parts.append("options")
    if question.kind == QuestionKind.scale and _primary_labels(question, "scale_labels"):
        parts.append("scale_labels")
    return parts


def _labels(primary: list[str], given: Any) -> tuple[list[str], bool]:
    """The labels in the language, each falling back to its primary label; and whether any
    label fell back."""
    given = given if isinstance(given, list) else []
    out, fell_back = [], False
    for i, label in enumerate(primary):
        mine = given[i] if i < len(given) and isinstance(given[i], str) else ""
        out.append(mine or label)
        fell_back = fell_back or not mine
    return out, fell_back


def question_wording(question: Question, language: str | None, primary: str) -> Wording:
    options = _primary_labels(question, "options")
    scale = _primary_labels(question, "scale_labels")
    if not language or language == primary:
        return Wording(primary, question.text, question.guidance, options, scale)
    given = (question.translations or {}).get(language) or {}
    missing: set[str] = set()
    text = given.get("text") or ""
    guidance = given.get("guidance") or ""
    if not text:
        missing.add("text")
    if question.guidance and not guidance:
        missing.add("guidance")
    options_out, fell = _labels(options, given.get("options"))
    if fell and question.kind == QuestionKind.choice:
        missing.add("options")
    scale_out, fell = _labels(scale, given.get("scale_labels"))
    if fell and question.kind == QuestionKind.scale:
        missing.add("scale_labels")
    return Wording(
        language,
        text or question.text,
        guidance or question.guidance,
        options_out,
        scale_out,
        frozenset(missing),
    )


def question_untranslated(question: Question, language: str) -> list[str]:
    """The parts still missing in `language` (in the order a form lists them)."""
    wording = question_wording(question, language, primary="")
    return [part for part in _needs(question) if part in wording.missing]


def touchpoint_name(touchpoint: Touchpoint, language: str | None) -> str:
    """The touchpoint's name in `language`, else its primary name."""
    given = (touchpoint.translations or {}).get(language or "") or {}
    return str(given.get("name") or touchpoint.name)


def touchpoint_description(touchpoint: Touchpoint, language: str | None) -> str:
    given = (touchpoint.translations or {}).get(language or "") or {}
    return str(given.get("description") or touchpoint.description)


def touchpoint_untranslated(touchpoint: Touchpoint, language: str) -> bool:
    given = (touchpoint.translations or {}).get(language) or {}
    return not given.get("name") or bool(touchpoint.description and not given.get("description"))


def translation_status(
    touchpoint: Touchpoint, questions: Sequence[Question], languages: Sequence[str]
) -> list[LanguageStatus]:
    """Per language of the organization: how many of these questions are untranslated."""
    out = []
    for i, code in enumerate(languages):
        primary = i == 0
        out.append(
            LanguageStatus(
                language=code,
                name=language_name(code),
                primary=primary,
                questions=len(questions),
                untranslated=0
                if primary
                else sum(1 for q in questions if question_untranslated(q, code)),
                touchpoint_untranslated=False
                if primary
                else touchpoint_untranslated(touchpoint, code),
            )
        )
    return out


def translations_carried(question: Question, values: dict[str, Any]) -> dict[str, Any] | None:
    """The translations an edited question keeps: a part whose primary wording changed
    loses its translations (they translated the old words), the others stay.

    `values` are the question's new row values (touchpoints.services)."""
    if not question.translations:
        return None
    new_config = values.get("config") or {}

    def labels(config: dict[str, Any], key: str) -> list[str]:
        if key == "options":
            return [str(o.get("label", "")) for o in config.get("options") or []]
        return [str(s) for s in config.get("scale_labels") or []]

    changed = {
        "text": values.get("text") != question.text,
        "guidance": values.get("guidance") != question.guidance,
        "options": labels(new_config, "options") != labels(question.config or {}, "options"),
        "scale_labels": labels(new_config, "scale_labels")
        != labels(question.config or {}, "scale_labels"),
    }
    kept: dict[str, Any] = {}
    for language, parts in question.translations.items():
        if not isinstance(parts, dict):
            continue
        left = {k: v for k, v in parts.items() if not changed.get(k, True)}
        if left:
            kept[language] = left
    return kept or None


def row_values(row: Any) -> dict[str, Any]:
    """A row's stored columns by name (a copy's starting point; model_dump would warn on
    the enum columns that the database hands back as plain strings)."""
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}


def touchpoint_in(touchpoint: Touchpoint, language: str | None) -> Touchpoint:
    """The touchpoint as a report in `language` names it.

    With a translation, a detached copy that holds the translated name and description: it
    is for drawing only and never added to a session (the row itself stays as it is).
    Without one, the row itself."""
    given = (touchpoint.translations or {}).get(language or "") or {}
    if not given.get("name") and not given.get("description"):
        return touchpoint
    copy = Touchpoint(**row_values(touchpoint))
    copy.name = str(given.get("name") or touchpoint.name)
    copy.description = str(given.get("description") or touchpoint.description)
    return copy


def texts_in(questions: Sequence[Question], language: str | None) -> dict[str, str]:
    """Each version's primary text -> its text in `language`, where one was given: reports
    find questions by the wording stored with what was answered."""
    out: dict[str, str] = {}
    for question in questions:
        given = ((question.translations or {}).get(language or "") or {}).get("text")
        if given:
            out.setdefault(question.text, str(given))
    return out
