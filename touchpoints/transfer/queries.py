"""Reads for journey files: the journey (or one touchpoint) as a file, and what importing a
file would create here (the preview)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from app.clock import utcnow
from app.errors import ConflictError
from app.i18n.catalogs import N_
from touchpoints import conditions
from touchpoints import queries as journey_queries
from touchpoints.models import Channel, Mode, QuestionStatus, Stage, Touchpoint
from touchpoints.transfer.models import FileStage, FileTouchpoint, JourneyFile

MSG_NOTHING_TO_EXPORT = N_("The journey has no stages yet, so there is nothing to export.")


def export_about(org_name: str) -> dict[str, str]:
    """What an exported file says about where and when it was made (informative only)."""
    return {"exported_from": org_name, "exported_at": utcnow().isoformat(timespec="seconds")}


def _file_touchpoint(session: Session, tp: Touchpoint) -> FileTouchpoint:
    current = journey_queries.questions(session, tp.id, status=QuestionStatus.active)  # type: ignore[arg-type]
    # A rule names earlier questions by lineage here, by their number (from 1) in the file.
    number = {q.lineage: place for place, q in enumerate(current, start=1)}
    questions = []
    for q in current:
        fields = q.fields()
        if fields.show_if:
            rule = conditions.rename(fields.show_if, lambda lineage: number.get(lineage))
            fields = fields.model_copy(update={"show_if": rule})
        questions.append(fields)
    return FileTouchpoint(
        name=tp.name,
        channel=Channel(tp.channel),
        mode=Mode(tp.mode),
        team=tp.team,
        description=tp.description,
        target=tp.target,
        questions=tuple(questions),
        template_key=tp.template_key,
        translations=tp.translations or None,
        question_translations=tuple(q.translations or None for q in current),
    )


def journey_file(session: Session, *, org_name: str) -> JourneyFile:
    """The journey as it stands: its stages and touchpoints in order (archived ones left
    out), each touchpoint with the current version of its questions."""
    stages = tuple(
        FileStage(
            name=view.stage.name,
            touchpoints=tuple(_file_touchpoint(session, tp) for tp in view.touchpoints),
        )
        for view in journey_queries.journey(session)
    )
    if not stages:
        raise ConflictError(MSG_NOTHING_TO_EXPORT)
    return JourneyFile(stages=stages, name=f"The journey of {org_name}")


def touchpoint_file(session: Session, touchpoint: Touchpoint) -> JourneyFile:
    """One touchpoint with its checklist, inside the stage it belongs to."""
    stage = session.get(Stage, touchpoint.stage_id)
    assert stage is not None
    one = FileStage(name=stage.name, touchpoints=(_file_touchpoint(session, touchpoint),))
    return JourneyFile(stages=(one,), name=touchpoint.name)


# --- the preview of an import ----------------------------------------------------------------


@dataclass
class PlannedTouchpoint:
    touchpoint: FileTouchpoint
    name_taken: bool  # the stage already has a touchpoint of this name: the import adds another


@dataclass
class PlannedStage:
    name: str
    exists: bool  # already on the journey: the touchpoints are added to it
    touchpoints: list[PlannedTouchpoint] = field(default_factory=list)


@dataclass
class ImportPlan:
    stages: list[PlannedStage]

    @property
    def new_stages(self) -> int:
        return sum(not s.exists for s in self.stages)

    @property
    def touchpoints(self) -> int:
        return sum(len(s.touchpoints) for s in self.stages)

    @property
    def questions(self) -> int:
        return sum(len(t.touchpoint.questions) for s in self.stages for t in s.touchpoints)

    @property
    def names_taken(self) -> int:
        return sum(t.name_taken for s in self.stages for t in s.touchpoints)


def import_plan(session: Session, journey: JourneyFile) -> ImportPlan:
    """What importing `journey` would create on this organization's journey, stage by stage.

    Stages are matched by name, ignoring case, as the template library matches them
    (services.stage_find_or_create): a stage of the file that the journey has already gets
    the file's touchpoints at its end, any other is added. A stage named twice in the file
    is one stage.
    """
    on_journey = {
        view.stage.name.casefold(): {tp.name.casefold() for tp in view.touchpoints}
        for view in journey_queries.journey(session)
    }
    planned: dict[str, PlannedStage] = {}
    for stage in journey.stages:
        key = stage.name.casefold()
        if key not in planned:
            planned[key] = PlannedStage(name=stage.name, exists=key in on_journey)
        names = on_journey.get(key, set())
        for tp in stage.touchpoints:
            planned[key].touchpoints.append(PlannedTouchpoint(tp, tp.name.casefold() in names))
    return ImportPlan(stages=list(planned.values()))
