"""The template library's shapes and lookups.

The wording lives in library_content.py (checklists for any business) and in the
library_business package (one module per kind of business)."""

from __future__ import annotations

from dataclasses import dataclass

from touchpoints.models import Channel, Mode, NumberRule, QuestionFields, QuestionKind


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


@dataclass(frozen=True)
class TemplateSet:
    key: str
    name: str
    summary: str
    touchpoints: tuple[TemplateTouchpoint, ...]
    group: str = GROUP_CHECKLISTS


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
