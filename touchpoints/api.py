"""JSON API for the journey: stages, touchpoints, versioned questions and templates."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, model_validator

from app.modelbase import RowId, ident
from app.tenancy import OwnerDep, ReaderDep
from touchpoints import queries, services
from touchpoints.deps import QuestionDep, StageDep, TouchpointDep
from touchpoints.library import template_sets
from touchpoints.models import (
    Channel,
    Mode,
    Question,
    QuestionFields,
    QuestionPublic,
    QuestionStatus,
    Stage,
    StageCreate,
    StagePublic,
    StageUpdate,
    Touchpoint,
    TouchpointCreate,
    TouchpointPublic,
    TouchpointUpdate,
)

router = APIRouter(tags=["journey"])


class Order(BaseModel):
    """The complete list of ids in their new order; a stale or partial list is refused."""

    ids: list[RowId] = Field(min_length=1)


class StageWithTouchpoints(StagePublic):
    touchpoints: list[TouchpointPublic]


class QuestionSaved(BaseModel):
    question: QuestionPublic
    new_version: bool  # True when the edit made a new version (the old one had answers)


class Removed(BaseModel):
    outcome: Literal["deleted", "retired"]


class TemplateTouchpointInfo(BaseModel):
    key: str
    name: str
    stage: str
    channel: Channel
    mode: Mode
    team: str
    target: int
    description: str
    questions: list[QuestionFields]
    on_journey: bool  # already added (or made by hand under the same name and stage)


class TemplateSetInfo(BaseModel):
    key: str
    name: str
    summary: str
    group: str  # the library's shelf: checklists for any business, or one kind of business
    touchpoints: list[TemplateTouchpointInfo]


class ApplyTemplate(BaseModel):
    set_key: str | None = None
    touchpoint_key: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ApplyTemplate:
        if bool(self.set_key) == bool(self.touchpoint_key):
            raise ValueError("give exactly one of set_key or touchpoint_key")
        return self


class Applied(BaseModel):
    created: list[TouchpointPublic]
    skipped: list[str]


def stage_out(stage: Stage) -> StagePublic:
    return StagePublic(
        id=ident(stage), name=stage.name, position=stage.position, archived=bool(stage.archived_at)
    )


def touchpoint_out(tp: Touchpoint) -> TouchpointPublic:
    # Built field by field (not model_dump): rows loaded from the database hold plain
    # strings where the shape expects enums, and validation converts them.
    fields = set(TouchpointPublic.model_fields) - {"archived"}
    return TouchpointPublic(
        **{name: getattr(tp, name) for name in fields}, archived=bool(tp.archived_at)
    )


def question_out(q: Question) -> QuestionPublic:
    return QuestionPublic(
        **q.fields().model_dump(),
        id=ident(q),
        touchpoint_id=q.touchpoint_id,
        lineage=q.lineage,
        version=q.version,
        status=q.status,
        position=q.position,
        translations=q.translations,
    )


# --- journey and stages --------------------------------------------------------------------


@router.get("/journey", response_model=list[StageWithTouchpoints])
def journey(tenant: ReaderDep) -> list[StageWithTouchpoints]:
    """Active stages in order, each with its active touchpoints in order."""
    return [
        StageWithTouchpoints(
            **stage_out(v.stage).model_dump(),
            touchpoints=[touchpoint_out(t) for t in v.touchpoints],
        )
        for v in queries.journey(tenant.session)
    ]


@router.get("/stages", response_model=list[StagePublic])
def stages(tenant: ReaderDep, include_archived: bool = Query(default=False)) -> list[StagePublic]:
    views = queries.journey(tenant.session, include_archived=include_archived)
    return [stage_out(v.stage) for v in views]


@router.post("/stages", response_model=StagePublic, status_code=201)
def stage_create(tenant: OwnerDep, data: StageCreate) -> StagePublic:
    return stage_out(services.stage_create(session=tenant.session, org_id=tenant.org_id, data=data))


@router.patch("/stages/{stage_id}", response_model=StagePublic)
def stage_update(tenant: OwnerDep, stage: StageDep, data: StageUpdate) -> StagePublic:
    return stage_out(services.stage_update(session=tenant.session, stage=stage, data=data))


@router.put("/stages/order", response_model=list[StagePublic])
def stages_reorder(tenant: OwnerDep, order: Order) -> list[StagePublic]:
    return [stage_out(s) for s in services.stages_reorder(session=tenant.session, ids=order.ids)]


@router.post("/stages/{stage_id}/archive", response_model=StagePublic)
def stage_archive(tenant: OwnerDep, stage: StageDep) -> StagePublic:
    services.stage_archive(session=tenant.session, stage=stage)
    return stage_out(stage)


@router.post("/stages/{stage_id}/restore", response_model=StagePublic)
def stage_restore(tenant: OwnerDep, stage: StageDep) -> StagePublic:
    services.stage_restore(session=tenant.session, stage=stage)
    return stage_out(stage)


@router.delete("/stages/{stage_id}", status_code=204)
def stage_delete(tenant: OwnerDep, stage: StageDep) -> Response:
    """Only a stage that never held a touchpoint; archive the others."""
    services.stage_delete(session=tenant.session, stage=stage)
    return Response(status_code=204)


# --- touchpoints ---------------------------------------------------------------------------


@router.get("/touchpoints", response_model=list[TouchpointPublic])
def touchpoints(
    tenant: ReaderDep, include_archived: bool = Query(default=False)
) -> list[TouchpointPublic]:
    views = queries.journey(tenant.session, include_archived=include_archived)
    return [touchpoint_out(t) for v in views for t in v.touchpoints]


@router.post("/touchpoints", response_model=TouchpointPublic, status_code=201)
def touchpoint_create(tenant: OwnerDep, data: TouchpointCreate) -> TouchpointPublic:
    tp = services.touchpoint_create(session=tenant.session, org_id=tenant.org_id, data=data)
    return touchpoint_out(tp)


@router.get("/touchpoints/{touchpoint_id}", response_model=TouchpointPublic)
def touchpoint_read(tenant: ReaderDep, touchpoint: TouchpointDep) -> TouchpointPublic:
    return touchpoint_out(touchpoint)


@router.patch("/touchpoints/{touchpoint_id}", response_model=TouchpointPublic)
def touchpoint_update(
    tenant: OwnerDep, touchpoint: TouchpointDep, data: TouchpointUpdate
) -> TouchpointPublic:
    tp = services.touchpoint_update(session=tenant.session, touchpoint=touchpoint, data=data)
    return touchpoint_out(tp)


@router.put("/stages/{stage_id}/touchpoints/order", response_model=list[TouchpointPublic])
def touchpoints_reorder(tenant: OwnerDep, stage: StageDep, order: Order) -> list[TouchpointPublic]:
    items = services.touchpoints_reorder(session=tenant.session, stage=stage, ids=order.ids)
    return [touchpoint_out(t) for t in items]


@router.post("/touchpoints/{touchpoint_id}/archive", response_model=TouchpointPublic)
def touchpoint_archive(tenant: OwnerDep, touchpoint: TouchpointDep) -> TouchpointPublic:
    services.touchpoint_archive(session=tenant.session, touchpoint=touchpoint)
    return touchpoint_out(touchpoint)


@router.post("/touchpoints/{touchpoint_id}/restore", response_model=TouchpointPublic)
def touchpoint_restore(tenant: OwnerDep, touchpoint: TouchpointDep) -> TouchpointPublic:
    services.touchpoint_restore(session=tenant.session, touchpoint=touchpoint)
    return touchpoint_out(touchpoint)


# --- questions -----------------------------------------------------------------------------


@router.get("/touchpoints/{touchpoint_id}/questions", response_model=list[QuestionPublic])
def questions(
    tenant: ReaderDep,
    touchpoint: TouchpointDep,
    status: QuestionStatus = Query(default=QuestionStatus.active),
) -> list[QuestionPublic]:
    """The checklist in order (`status=retired` or `superseded` for the history)."""
    return [
        question_out(q) for q in queries.questions(tenant.session, ident(touchpoint), status=status)
    ]


@router.post(
    "/touchpoints/{touchpoint_id}/questions", response_model=QuestionPublic, status_code=201
)
def question_create(
    tenant: OwnerDep, touchpoint: TouchpointDep, data: QuestionFields
) -> QuestionPublic:
    q = services.question_create(session=tenant.session, touchpoint=touchpoint, fields=data)
    return question_out(q)


@router.put("/touchpoints/{touchpoint_id}/questions/order", response_model=list[QuestionPublic])
def questions_reorder(
    tenant: OwnerDep, touchpoint: TouchpointDep, order: Order
) -> list[QuestionPublic]:
    items = services.questions_reorder(session=tenant.session, touchpoint=touchpoint, ids=order.ids)
    return [question_out(q) for q in items]


@router.get("/questions/{question_id}", response_model=QuestionPublic)
def question_read(tenant: ReaderDep, question: QuestionDep) -> QuestionPublic:
    return question_out(question)


@router.put("/questions/{question_id}", response_model=QuestionSaved)
def question_update(tenant: OwnerDep, question: QuestionDep, data: QuestionFields) -> QuestionSaved:
    """Replace a question's fields. Once answered, a change of meaning makes a new version."""
    current = services.question_update(session=tenant.session, question=question, fields=data)
    return QuestionSaved(question=question_out(current), new_version=current.id != question.id)


@router.delete("/questions/{question_id}", response_model=Removed)
def question_remove(tenant: OwnerDep, question: QuestionDep) -> Removed:
    """Delete an unanswered question; an answered one is retired and kept for its shops."""
    return Removed(outcome=services.question_remove(session=tenant.session, question=question))  # type: ignore[arg-type]


@router.get("/questions/{question_id}/versions", response_model=list[QuestionPublic])
def question_versions(tenant: ReaderDep, question: QuestionDep) -> list[QuestionPublic]:
    return [question_out(q) for q in queries.versions(tenant.session, question.lineage)]


# --- templates -----------------------------------------------------------------------------


@router.get("/templates", response_model=list[TemplateSetInfo])
def templates(tenant: OwnerDep) -> list[TemplateSetInfo]:
    present = queries.templates_present(tenant.session)
    return [
        TemplateSetInfo(
            key=s.key,
            name=s.name,
            summary=s.summary,
            group=s.group,
            touchpoints=[
                TemplateTouchpointInfo(
                    key=t.key,
                    name=t.name,
                    stage=t.stage,
                    channel=t.channel,
                    mode=t.mode,
                    team=t.team,
                    target=t.target,
                    description=t.description,
                    questions=[q.fields() for q in t.questions],
                    on_journey=t.key in present,
                )
                for t in s.touchpoints
            ],
        )
        for s in template_sets()
    ]


@router.post("/templates/apply", response_model=Applied, status_code=201)
def template_apply(tenant: OwnerDep, data: ApplyTemplate) -> Applied:
    created, skipped = services.template_apply(
        session=tenant.session,
        org_id=tenant.org_id,
        set_key=data.set_key,
        touchpoint_key=data.touchpoint_key,
    )
    return Applied(created=[touchpoint_out(t) for t in created], skipped=skipped)
