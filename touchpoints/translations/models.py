"""The shapes of a translation, as owners write them (pages and API validate alike)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydField

# The parts of a question's wording that can be translated, as stored per language.
QUESTION_PARTS = ("text", "guidance", "options", "scale_labels")
TOUCHPOINT_PARTS = ("name", "description")


class QuestionTranslation(BaseModel):
    """One language's wording of a question version. An empty part (or option label) is
    untranslated: the shopper sees the primary wording there, marked as such."""

    model_config = ConfigDict(extra="forbid")

    text: str = PydField(default="", max_length=500)
    guidance: str = PydField(default="", max_length=2000)
    options: list[str] = PydField(
        default_factory=list, description="A label per option, in the options' order."
    )
    scale_labels: list[str] = PydField(
        default_factory=list, description="Five labels, for 1 to 5 (or none)."
    )

    @field_validator("text", "guidance")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("options", "scale_labels")
    @classmethod
    def _labels(cls, v: list[str]) -> list[str]:
        labels = [s.strip() for s in v]
        if any(len(s) > 200 for s in labels):
            raise ValueError("keep each label under 200 characters")
        return labels

    def stored(self) -> dict[str, Any]:
        """The form kept on the question row: empty parts left out."""
        out: dict[str, Any] = {}
        if self.text:
            out["text"] = self.text
        if self.guidance:
            out["guidance"] = self.guidance
        if any(self.options):
            out["options"] = self.options
        if any(self.scale_labels):
            out["scale_labels"] = self.scale_labels
        return out


class QuestionTranslationUpdate(QuestionTranslation):
    meaning_changed: bool = PydField(
        default=False,
        description=(
            "The new wording says something different: once the question has answers, a new "
            "version is made (old shops keep theirs). Left false, a translation fix rewrites "
            "the current version's wording and its answers keep counting."
        ),
    )


class QuestionTranslationSaved(BaseModel):
    question_id: int  # the version now current: a new one when the meaning changed
    new_version: bool
    language: str
    translation: QuestionTranslation
    untranslated: list[str]  # the parts that still show the primary wording


class TouchpointTranslation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = PydField(default="", max_length=120)
    description: str = PydField(default="", max_length=2000)

    @field_validator("name", "description")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    def stored(self) -> dict[str, Any]:
        return {k: v for k, v in (("name", self.name), ("description", self.description)) if v}


class LanguageStatus(BaseModel):
    """How far a touchpoint's checklist is translated into one language."""

    language: str
    name: str  # the language's own name: "Español"
    primary: bool
    questions: int
    untranslated: int  # questions with at least one part still in the primary language
    touchpoint_untranslated: bool  # the touchpoint's name (or description) is missing
