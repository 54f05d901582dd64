"""The template library's shapes and lookups.

The wording lives in journey files (touchpoints/library_files/*.json, the format an owner
exports and imports: touchpoints/transfer), read and checked at start-up by the same reader
as an upload. library_content.py lists the sets for any business, the library_business
package those for a kind of business."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from touchpoints.models import Channel, Mode, NumberRule, QuestionFields, QuestionKind
from touchpoints.transfer import document
from touchpoints.transfer.models import JourneyFile


@dataclass(frozen=True)
class TemplateQuestion:
    text: str
    guidance: str
    kind: QuestionKind
    weight: float = 1.0
    critical: bool = False
    allow_na: bool = False
    required: bool = True
    scale_labels: tuple[str, str, str, str, str] | None = None
    rule: NumberRule | None = None
    threshold: float | None = None
    unit: str = ""
    options: tuple[tuple[str, float], ...] | None = None  # (label, points)

    def fields(self) -> QuestionFields:
        """Validated exactly like an owner's own question."""
        return QuestionFields(
            text=self.text,
            guidance=self.guidance,
            kind=self.kind,
            weight=self.weight,
            critical=self.critical,
            allow_na=self.allow_na,
            required=self.required,
            scale_labels=list(self.scale_labels) if self.scale_labels else None,
            rule=self.rule,
            threshold=self.threshold,
            unit=self.unit,
            options=(
                [{"label": label, "points": pts} for label, pts in self.options]  # type: ignore[misc]
                if self.options
                else None
            ),
        )

    @classmethod
    def from_fields(cls, fields: QuestionFields) -> TemplateQuestion:
        return cls(
            text=fields.text,
            guidance=fields.guidance,
            kind=fields.kind,
            weight=fields.weight,
            critical=fields.critical,
            allow_na=fields.allow_na,
            required=fields.required,
            scale_labels=tuple(fields.scale_labels) if fields.scale_labels else None,  # type: ignore[arg-type]
            rule=fields.rule,
            threshold=fields.threshold,
            unit=fields.unit,
            options=tuple((o.label, o.points) for o in fields.options) if fields.options else None,
        )


@dataclass(frozen=True)
class TemplateTouchpoint:
    key: str  # unique across the library, e.g. "moments.first-call"
    name: str
    stage: str  # the stage it goes into; created when the journey has none of that name
    channel: Channel
    mode: Mode
    team: str
    target: int
    description: str
    questions: tuple[TemplateQuestion, ...]


# The two shelves of the library page: checklists that fit any business, and whole journeys
# written for one kind of business.
GROUP_CHECKLISTS = "Checklists for any business"
GROUP_BUSINESS = "Journeys for a kind of business"
GROUPS: tuple[str, ...] = (GROUP_CHECKLISTS, GROUP_BUSINESS)
# How a library file names its shelf ("library": {"group": ...}).
FILE_GROUPS = {"checklists": GROUP_CHECKLISTS, "business": GROUP_BUSINESS}
LIBRARY_DIR = Path(__file__).with_name("library_files")


@dataclass(frozen=True)
class TemplateSet:
    key: str
    name: str
    summary: str
    touchpoints: tuple[TemplateTouchpoint, ...]
    group: str = GROUP_CHECKLISTS


def template_set_from(journey: JourneyFile, key: str) -> TemplateSet:
    """A library set from a journey file that names it (`"library": {"key": ...}`)."""
    if journey.library is None or journey.library.key != key:
        raise ValueError(f'the file of set "{key}" must say "library": {{"key": "{key}", ...}}')
    touchpoints = []
    for stage in journey.stages:
        for tp in stage.touchpoints:
            if not tp.template_key:
                raise ValueError(f'every touchpoint of set "{key}" needs its "template_key"')
            touchpoints.append(
                TemplateTouchpoint(
                    key=tp.template_key,
                    name=tp.name,
                    stage=stage.name,
                    channel=tp.channel,
                    mode=tp.mode,
                    team=tp.team,
                    target=tp.target,
                    description=tp.description,
                    questions=tuple(TemplateQuestion.from_fields(q) for q in tp.questions),
                )
            )
    return TemplateSet(
        key=key,
        name=journey.name,
        summary=journey.summary,
        touchpoints=tuple(touchpoints),
        group=FILE_GROUPS[journey.library.group],
    )


def load_sets(*keys: str) -> tuple[TemplateSet, ...]:
    """The library's sets from their files, in the order given; a file that the reader
    refuses stops the start-up with its problems (a broken library is a release bug)."""
    sets = []
    for key in keys:
        path = LIBRARY_DIR / f"{key}.json"
        try:
            sets.append(template_set_from(document.read(path.read_bytes()), key))
        except document.FileRefused as exc:
            where = "; ".join(f"line {p.line}: {p.message}" for p in exc.problems)
            raise RuntimeError(f"{path}: {where}") from exc
    return tuple(sets)


def template_sets() -> tuple[TemplateSet, ...]:
    from touchpoints.library_business import BUSINESS_SETS
    from touchpoints.library_content import TEMPLATE_SETS

    return TEMPLATE_SETS + BUSINESS_SETS


def template_set(key: str) -> TemplateSet | None:
    return next((s for s in template_sets() if s.key == key), None)


def starter_known(*, key: str) -> bool:
    """Whether `key` names a template set (app.providers.STARTER_KNOWN, for POST /orgs)."""
    return template_set(key) is not None


def starter_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every template set by shelf, to start a new organization's journey with
    (app.providers.STARTER_CHOICES, for the account page's form)."""
    return [
        (group, [(s.key, s.name) for s in template_sets() if s.group == group]) for group in GROUPS
    ]


def template_touchpoint(key: str) -> TemplateTouchpoint | None:
    return next((t for s in template_sets() for t in s.touchpoints if t.key == key), None)
