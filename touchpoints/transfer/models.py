"""The shapes of a journey file once read and checked: what an import would create."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from touchpoints.models import Channel, Mode, QuestionFields


@dataclass(frozen=True)
class FileProblem:
    """One reason a file is refused: where (the JSON path and the line of the file) and why."""

    message: str
    path: str | None = None  # "$.stages[0].touchpoints[2].questions[1].kind"; None: the file
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class FileTouchpoint:
    name: str
    channel: Channel
    mode: Mode
    team: str
    description: str
    target: int
    questions: tuple[QuestionFields, ...]
    template_key: str | None = None
    # Checklists in several languages (touchpoints/translations): the touchpoint's name and
    # description per other language, and each question's wording, beside `questions`.
    translations: dict[str, Any] | None = None
    question_translations: tuple[dict[str, Any] | None, ...] = ()


@dataclass(frozen=True)
class FileStage:
    name: str
    touchpoints: tuple[FileTouchpoint, ...]


@dataclass(frozen=True)
class LibraryEntry:
    """Only in the template library's own files: the set's key and its shelf."""

    key: str
    group: str  # "checklists" or "business"


@dataclass(frozen=True)
class JourneyFile:
    stages: tuple[FileStage, ...]
    name: str = ""
    summary: str = ""
    library: LibraryEntry | None = None

    @property
    def touchpoint_count(self) -> int:
        return sum(len(s.touchpoints) for s in self.stages)

    @property
    def question_count(self) -> int:
        return sum(len(t.questions) for s in self.stages for t in s.touchpoints)
