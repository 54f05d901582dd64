"""JSON API for journey files: export the journey or one touchpoint, import a file (with a
dry run that only says what would be created), and the format's JSON Schema.

A refused file answers 422 with every problem: `{"detail": ..., "errors": [{"message",
"path", "line", "column"}]}`; `path` is a JSON path into the file ("$.stages[0].name"),
`line` and `column` count from 1 in the text that was sent, null where a problem concerns
the whole file.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.modelbase import ident
from app.tenancy import OwnerDep
from touchpoints.deps import TouchpointDep
from touchpoints.transfer import document, queries, services
from touchpoints.transfer.models import FileProblem, JourneyFile

router = APIRouter(tags=["journey files"])

MSG_REFUSED = "Nothing was imported: the file has problems."
MSG_TOO_LARGE = "Nothing was imported: the file is larger than 2 MB."


class FileProblemPublic(BaseModel):
    message: str
    path: str | None
    line: int | None
    column: int | None


class ImportRefused(BaseModel):
    detail: str
    errors: list[FileProblemPublic]


class PlannedTouchpointPublic(BaseModel):
    name: str
    questions: int
    name_taken: bool  # the stage already has a touchpoint of this name; another is added
    id: int | None  # the touchpoint made (null in a dry run)


class PlannedStagePublic(BaseModel):
    name: str
    exists: bool  # already on the journey: the touchpoints go at its end
    touchpoints: list[PlannedTouchpointPublic]


class ImportPublic(BaseModel):
    dry_run: bool
    new_stages: int
    touchpoints: int
    questions: int
    stages: list[PlannedStagePublic]


FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A journey file (format version 1; GET /api/v1/journey/schema).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
REFUSED: dict[int | str, dict[str, Any]] = {
    413: {"model": ImportRefused, "description": "Larger than 2 MB; nothing imported"},
    422: {"model": ImportRefused, "description": "Nothing imported; every problem, located"},
}


def refused(problems: list[FileProblem], status_code: int = 422) -> JSONResponse:
    detail = MSG_TOO_LARGE if status_code == 413 else MSG_REFUSED
    body = ImportRefused(
        detail=detail, errors=[FileProblemPublic(**vars(p)) for p in problems]
    ).model_dump()
    return JSONResponse(body, status_code=status_code)


@router.get("/journey/schema", response_model=dict[str, Any])
def journey_schema(tenant: OwnerDep) -> dict[str, Any]:
    """The JSON Schema of journey files (format version 1)."""
    return document.schema()


@router.get("/journey/export", response_model=dict[str, Any])
def journey_export(tenant: OwnerDep) -> dict[str, Any]:
    """The whole journey as a journey file: stages, touchpoints and the current version of
    every question (archived stages and touchpoints are left out). 409 when it is empty."""
    journey = queries.journey_file(tenant.session, org_name=tenant.org.name)
    return document.write(journey, **queries.export_about(tenant.org.name))


@router.get("/touchpoints/{touchpoint_id}/export", response_model=dict[str, Any])
def touchpoint_export(tenant: OwnerDep, touchpoint: TouchpointDep) -> dict[str, Any]:
    """One touchpoint and its questions as a journey file, inside its stage."""
    journey = queries.touchpoint_file(tenant.session, touchpoint)
    return document.write(journey, **queries.export_about(tenant.org.name))


def _plan_out(plan: queries.ImportPlan, made: list[int] | None) -> ImportPublic:
    ids = iter(made or [])
    stages = [
        PlannedStagePublic(
            name=s.name,
            exists=s.exists,
            touchpoints=[
                PlannedTouchpointPublic(
                    name=t.touchpoint.name,
                    questions=len(t.touchpoint.questions),
                    name_taken=t.name_taken,
                    id=next(ids) if made is not None else None,
                )
                for t in s.touchpoints
            ],
        )
        for s in plan.stages
    ]
    return ImportPublic(
        dry_run=made is None,
        new_stages=plan.new_stages,
        touchpoints=plan.touchpoints,
        questions=plan.questions,
        stages=stages,
    )


def _created_in_plan_order(
    plan: queries.ImportPlan, journey: JourneyFile, made: list[int]
) -> list[int]:
    # The service makes touchpoints in file order; the plan lists a stage named twice once.
    by_file = iter(made)
    slots: dict[int, int] = {}
    for stage in journey.stages:
        for tp in stage.touchpoints:
            slots[id(tp)] = next(by_file)
    return [slots[id(t.touchpoint)] for s in plan.stages for t in s.touchpoints]


@router.post(
    "/journey/import",
    response_model=ImportPublic,
    status_code=201,
    responses={200: {"model": ImportPublic, "description": "Dry run: nothing written"}, **REFUSED},
    openapi_extra=FILE_BODY,
)
async def journey_import(
    request: Request,
    tenant: OwnerDep,
    dry_run: bool = Query(default=False, description="Only say what would be created"),
) -> Any:
    """Import a journey file into this organization: stages are matched by name, touchpoints
    and questions are added. All of it is added, or — when the file has any problem — none,
    with every problem and where it is. `dry_run=true` answers 200 with the same summary and
    writes nothing."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > document.MAX_BYTES:
        return refused([FileProblem(message=document.MSG_TOO_LARGE)], 413)
    body = await request.body()
    if len(body) > document.MAX_BYTES:
        return refused([FileProblem(message=document.MSG_TOO_LARGE)], 413)
    try:
        journey = document.read(body, languages=list(tenant.org.languages))
    except document.FileRefused as exc:
        return refused(exc.problems)
    plan = queries.import_plan(tenant.session, journey)
    if dry_run:
        return JSONResponse(_plan_out(plan, None).model_dump(), status_code=200)
    made = services.journey_import(session=tenant.session, org_id=tenant.org_id, journey=journey)
    ids = _created_in_plan_order(plan, journey, [ident(tp) for tp in made])
    return _plan_out(plan, ids)
