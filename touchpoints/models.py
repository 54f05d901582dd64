"""Stages, touchpoints and their versioned checklist questions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, field_validator, model_validator
from pydantic import Field as PydField
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.i18n.catalogs import N_
from app.modelbase import OrgOwned, RowId, utc_field, utcnow


class Channel(StrEnum):
    phone = "phone"
    walk_in = "walk_in"
    sales = "sales"
    problem = "problem"
    billing = "billing"
    web = "web"
    email = "email"
    other = "other"


CHANNEL_LABELS = {
    Channel.phone: "Phone",
    Channel.walk_in: "Walk-in",
    Channel.sales: "Sales conversation",
    Channel.problem: "Problem handling",
    Channel.billing: "Billing",
    Channel.web: "Web",
    Channel.email: "E-mail",
    Channel.other: N_("Other"),
}


class Mode(StrEnum):
    people = "people"
    machine = "machine"
    both = "both"


MODE_LABELS = {Mode.people: "People", Mode.machine: "Machine", Mode.both: "People and machine"}


class QuestionKind(StrEnum):
    yes_no = "yes_no"
    scale = "scale"
    number = "number"
    choice = "choice"
    text = "text"


KIND_LABELS = {
    QuestionKind.yes_no: "Yes / no",
    QuestionKind.scale: "Scale 1–5",
    QuestionKind.number: "Number with a pass rule",
    QuestionKind.choice: "Single choice with points",
    QuestionKind.text: "Free text (not scored)",
}


class NumberRule(StrEnum):
    at_most = "at_most"
    at_least = "at_least"


RULE_LABELS = {NumberRule.at_most: "at most", NumberRule.at_least: "at least"}


class QuestionStatus(StrEnum):
    active = "active"  # the current version, asked in new shops
    superseded = "superseded"  # an older version, kept for the shops that asked it
    retired = "retired"  # removed from the checklist, kept for its history


# --- stages ------------------------------------------------------------------------------


class StageBase(SQLModel):
    name: str = Field(sa_type=String(120), min_length=1, max_length=120)


class Stage(StageBase, OrgOwned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    position: int = 0
    archived_at: datetime | None = utc_field(default=None)
    created_at: datetime = utc_field(default_factory=utcnow)


class StageCreate(StageBase):
    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("enter a name for the stage")
        return v


class StageUpdate(StageCreate):
    pass


class StagePublic(StageBase):
    id: int
    position: int
    archived: bool


# --- touchpoints -------------------------------------------------------------------------


class TouchpointBase(SQLModel):
    name: str = Field(sa_type=String(120), min_length=1, max_length=120)
    channel: Channel = Field(default=Channel.walk_in, sa_type=String(16))
    mode: Mode = Field(default=Mode.people, sa_type=String(16))
    team: str = Field(default="", sa_type=String(120), max_length=120)
    description: str = Field(default="", sa_type=Text, max_length=2000)
    target: int = Field(default=80, ge=0, le=100)


class Touchpoint(TouchpointBase, OrgOwned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="stage.id", index=True)
    position: int = 0
    archived_at: datetime | None = utc_field(default=None)
    template_key: str | None = Field(default=None, sa_type=String(80))
    created_at: datetime = utc_field(default_factory=utcnow)
    # Its name and description in the organization's other languages (touchpoints/wording.py):
    # {"es": {"name": ..., "description": ...}}; None: none given.
    translations: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class TouchpointCreate(TouchpointBase):
    stage_id: RowId

    @field_validator("name", "team", "description")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("name")
    @classmethod
    def _name_given(cls, v: str) -> str:
        if not v:
            raise ValueError("enter a name for the touchpoint")
        return v


class TouchpointUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    stage_id: RowId | None = None
    channel: Channel | None = None
    mode: Mode | None = None
    team: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    target: int | None = Field(default=None, ge=0, le=100)

    @field_validator("name", "team", "description")
    @classmethod
    def _strip(cls, v: str | None) -> str | None:
        return v.strip() if v is not None else None

    @field_validator("name")
    @classmethod
    def _name_given(cls, v: str | None) -> str | None:
        if v is not None and not v:
            raise ValueError("enter a name for the touchpoint")
        return v


class TouchpointPublic(TouchpointBase):
    id: int
    stage_id: int
    position: int
    archived: bool
    # Name and description per other language (touchpoints/translations).
    translations: dict[str, Any] | None = None


# --- questions ---------------------------------------------------------------------------


class ChoiceOption(BaseModel):
    label: str = PydField(min_length=1, max_length=200)
    points: float = PydField(ge=0, le=100)

    @field_validator("label")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("every option needs a label")
        return v


class QuestionConfig(BaseModel):
    """Kind-specific settings; which ones are required depends on the kind."""

    scale_labels: list[str] | None = None  # five labels, for 1..5
    rule: NumberRule | None = None
    threshold: float | None = None
    unit: str = ""
    options: list[ChoiceOption] | None = None


MSG_SCALE_LABELS = "A 1–5 scale needs a label for each of its five points."
MSG_NUMBER_RULE = "Choose the pass rule: at most or at least."
MSG_NUMBER_THRESHOLD = "Enter the number that passes, such as 3 (rings) or 2 (minutes)."
MSG_CHOICE_OPTIONS = "A choice question needs at least two options."
MSG_CHOICE_POINTS = "At least one option must be worth points."
MSG_TEXT_CRITICAL = "A free-text question is not scored, so it cannot be critical."
MSG_WEIGHT_ZERO = "A scored question needs a weight above 0."
MSG_TEXT_COMMENT_ON_FAIL = "A free-text question is not scored, so it cannot fail."


def _rule_error(field: str, message: str) -> PydanticCustomError:
    # The field rides along in the error's context, so pages can show the message next to
    # the right input and the API can name it.
    return PydanticCustomError("question_rule", message, {"field": field})


class QuestionFields(BaseModel):
    """What an owner writes for a question; validated the same way by pages and API."""

    text: str = PydField(min_length=1, max_length=500)
    guidance: str = PydField(default="", max_length=2000)
    kind: QuestionKind
    weight: float = PydField(default=1.0, ge=0, le=100)
    allow_na: bool = False
    critical: bool = False
    required: bool = True
    scale_labels: list[str] | None = None
    rule: NumberRule | None = None
    threshold: float | None = None
    unit: str = PydField(default="", max_length=40)
    options: list[ChoiceOption] | None = None
    # Shown only when earlier answers meet this rule (touchpoints/conditions.py: the rule
    # language); None: always shown. Checked against the checklist by the services.
    show_if: dict[str, Any] | None = PydField(
        default=None,
        description=(
            "Ask this question only when earlier answers meet this rule; null: always. A test "
            'names an earlier question of the touchpoint by lineage: {"question": …, "is": '
            '"yes"|"no"|"na"|"passed"|"failed"}, {"question": …, "between": [1, 2]} (scale) or '
            '{"question": …, "in": [0, 2]} (choice option indexes); {"all": […]} and '
            '{"any": […]} combine them. See docs/guide/journey.md, "Conditional questions".'
        ),
    )
    # Evidence rules: hand-in waits for a photo, or for a comment when the answer fails.
    photo_required: bool = PydField(
        default=False, description="Hand-in waits for a photo of the answer (unless N/A)."
    )
    comment_on_fail: bool = PydField(
        default=False,
        description="Hand-in waits for a comment when the answer fails (under half its points).",
    )

    @field_validator("text", "guidance", "unit")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("text")
    @classmethod
    def _text_given(cls, v: str) -> str:
        if not v:
            raise ValueError("enter the question")
        return v

    @model_validator(mode="after")
    def _kind_rules(self) -> QuestionFields:
        if self.kind == QuestionKind.scale:
            labels = [s.strip() for s in (self.scale_labels or [])]
            if len(labels) != 5 or not all(labels):
                raise _rule_error("scale_labels", MSG_SCALE_LABELS)
            self.scale_labels = labels
        if self.kind == QuestionKind.number:
            if self.rule is None:
                raise _rule_error("rule", MSG_NUMBER_RULE)
            if self.threshold is None:
                raise _rule_error("threshold", MSG_NUMBER_THRESHOLD)
        if self.kind == QuestionKind.choice:
            if not self.options or len(self.options) < 2:
                raise _rule_error("options", MSG_CHOICE_OPTIONS)
            if max(o.points for o in self.options) <= 0:
                raise _rule_error("options", MSG_CHOICE_POINTS)
        if self.kind == QuestionKind.text:
            if self.critical:
                raise _rule_error("critical", MSG_TEXT_CRITICAL)
            if self.comment_on_fail:
                raise _rule_error("comment_on_fail", MSG_TEXT_COMMENT_ON_FAIL)
            self.weight = 0
        elif self.weight <= 0:
            raise _rule_error("weight", MSG_WEIGHT_ZERO)
        return self

    def config(self) -> dict[str, Any]:
        """The kind-specific part, as stored on the question row."""
        if self.kind == QuestionKind.scale:
            return {"scale_labels": self.scale_labels}
        if self.kind == QuestionKind.number:
            return {"rule": self.rule, "threshold": self.threshold, "unit": self.unit}
        if self.kind == QuestionKind.choice:
            return {"options": [o.model_dump() for o in self.options or []]}
        return {}


class Question(OrgOwned, table=True):
    """One version of a checklist question.

    `lineage` ties the versions of one question together; exactly one version of a lineage
    is `active` (or the lineage is retired). Shops store the id of the version they asked.
    """

    __table_args__ = (UniqueConstraint("lineage", "version", name="uq_question_lineage_version"),)

    id: int | None = Field(default=None, primary_key=True)
    touchpoint_id: int = Field(foreign_key="touchpoint.id", index=True)
    lineage: str = Field(sa_type=String(36), index=True)
    version: int = 1
    status: QuestionStatus = Field(default=QuestionStatus.active, sa_type=String(16))
    position: int = 0
    text: str = Field(sa_type=String(500))
    guidance: str = Field(default="", sa_type=Text)
    kind: QuestionKind = Field(sa_type=String(16))
    config: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    weight: float = 1.0
    allow_na: bool = False
    critical: bool = False
    required: bool = True
    created_at: datetime = utc_field(default_factory=utcnow)
    # The condition that shows it (touchpoints/conditions.py), part of the version: a change
    # makes a new version once answered. The evidence rules, like `required`, are not.
    show_if: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    photo_required: bool = False
    comment_on_fail: bool = False
    # This version's wording in the organization's other languages (touchpoints/wording.py):
    # {"es": {"text", "guidance", "options": [labels], "scale_labels": [five]}}. A fix to a
    # translation rewrites it in place (answers keep counting); a change of meaning makes a
    # new version, which starts with the translations of the one before.
    translations: dict[str, Any] | None = Field(default=None, sa_type=JSON)

    def fields(self) -> QuestionFields:
        return QuestionFields(
            text=self.text,
            guidance=self.guidance,
            kind=self.kind,
            weight=self.weight,
            allow_na=self.allow_na,
            critical=self.critical,
            required=self.required,
            show_if=self.show_if,
            photo_required=self.photo_required,
            comment_on_fail=self.comment_on_fail,
            **self.config,
        )


class QuestionPublic(QuestionFields):
    id: int
    touchpoint_id: int
    lineage: str
    version: int
    status: QuestionStatus
    position: int
    # This version's wording per other language (touchpoints/translations): text, guidance,
    # options (labels in the options' order) and scale_labels; a part left out is untranslated.
    translations: dict[str, Any] | None = None


# --- measures ----------------------------------------------------------------------------


class MeasurePeriod(StrEnum):
    """How often a measure's values are entered. Reports roll them up to longer periods."""

    week = "week"
    month = "month"


class MeasureAggregate(StrEnum):
    """How values roll up across locations and into longer periods: counts add up (sum);
    averages and rates are averaged (mean)."""

    sum = "sum"
    mean = "mean"


class Measure(OrgOwned, table=True):
    """An operational count kept per touchpoint (complaints, problems handled, sales...)."""

    __table_args__ = (UniqueConstraint("touchpoint_id", "name", name="uq_measure_touchpoint_name"),)

    id: int | None = Field(default=None, primary_key=True)
    touchpoint_id: int = Field(foreign_key="touchpoint.id", index=True)
    name: str = Field(sa_type=String(120))
    unit: str = Field(default="", sa_type=String(40))
    higher_is_better: bool = True
    period: MeasurePeriod = Field(default=MeasurePeriod.month, sa_type=String(8))
    aggregate: MeasureAggregate = Field(default=MeasureAggregate.sum, sa_type=String(8))
    position: int = 0
    archived_at: datetime | None = utc_field(default=None)
    created_at: datetime = utc_field(default_factory=utcnow)


class MeasureValue(OrgOwned, table=True):
    """One measure's value at one location for one period (the period's first day: a
    Monday for weekly measures, the 1st for monthly ones)."""

    __tablename__ = "measure_value"
    __table_args__ = (
        UniqueConstraint("measure_id", "location_id", "period_start", name="uq_measure_value_slot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True, ondelete="CASCADE")
    location_id: int = Field(foreign_key="location.id", index=True, ondelete="CASCADE")
    period_start: date
    value: float
    updated_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = utc_field(default_factory=utcnow)


# --- action items ------------------------------------------------------------------------


class ActionStatus(StrEnum):
    open = "open"
    doing = "doing"
    done = "done"
    dropped = "dropped"


ACTION_STATUS_LABELS = {
    ActionStatus.open: N_("Open"),
    ActionStatus.doing: N_("Doing"),
    ActionStatus.done: N_("Done"),
    ActionStatus.dropped: N_("Dropped"),
}


class ActionSource(StrEnum):
    meeting = "meeting"
    shop = "shop"
    recovery_case = "recovery_case"
    other = "other"


ACTION_SOURCE_LABELS = {
    ActionSource.meeting: N_("Staff meeting"),
    ActionSource.shop: N_("Mystery shop"),
    ActionSource.recovery_case: N_("Recovery case"),
    ActionSource.other: "Other",
}


class ActionItem(OrgOwned, table=True):
    """An improvement agreed for one touchpoint: what, which team (never a person to
    blame), by when, and where the idea came from."""

    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    touchpoint_id: int = Field(foreign_key="touchpoint.id", index=True)
    title: str = Field(sa_type=String(300))
    details: str = Field(default="", sa_type=Text)
    team: str = Field(default="", sa_type=String(120))
    due_on: date | None = None
    status: ActionStatus = Field(default=ActionStatus.open, sa_type=String(8), index=True)
    source: ActionSource = Field(default=ActionSource.other, sa_type=String(16))
    meeting_on: date | None = None
    shop_id: int | None = Field(default=None, foreign_key="shop.id", ondelete="SET NULL")
    recovery_case_id: int | None = Field(
        default=None, foreign_key="recovery_case.id", ondelete="SET NULL"
    )
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)
    # When it reached done or dropped: reports list what was done since the last period.
    closed_at: datetime | None = utc_field(default=None)
