"""JSON API for measures: definitions per touchpoint, values (one or many), and CSV import.

Import problems answer 422 with every bad line: `{"detail": ..., "errors": [{"line", "field",
"message"}]}`; `line` is the file's line number (1 is the header), null for the whole file.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.errors import DomainError
from app.modelbase import RowId, ident
from app.tenancy import OwnerDep, ReaderDep, path_loader
from touchpoints.deps import TouchpointDep
from touchpoints.measures import imports as measures_import
from touchpoints.measures import services as svc
from touchpoints.measures.routes import read_csv_upload
from touchpoints.models import Measure, MeasureAggregate, MeasurePeriod, MeasureValue

router = APIRouter(tags=["measures"])

MeasureDep = Annotated[Measure, Depends(path_loader(Measure))]
MSG_IMPORT_REFUSED = "Nothing was imported: the file has problems."


class MeasurePublic(svc.MeasureFields):
    id: int
    touchpoint_id: int
    position: int
    archived: bool


class MeasurePatch(BaseModel):
    """Only the fields given change."""

    name: str | None = Field(default=None, max_length=120)
    unit: str | None = Field(default=None, max_length=40)
    higher_is_better: bool | None = None
    period: MeasurePeriod | None = None
    aggregate: MeasureAggregate | None = None


class MeasureValuePublic(BaseModel):
    location_id: int
    period_start: date
    value: float
    updated_at: str


class ValuesBulk(BaseModel):
    values: list[svc.ValueEntry] = Field(min_length=1, max_length=measures_import.MAX_ROWS)


class Written(BaseModel):
    created: int
    updated: int
    cleared: int
    unchanged: int


class ImportProblemPublic(BaseModel):
    line: int | None
    field: str
    message: str


class ImportSummary(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int


class ImportRefused(BaseModel):
    detail: str
    errors: list[ImportProblemPublic]


def measure_out(m: Measure) -> MeasurePublic:
    return MeasurePublic(
        id=ident(m),
        touchpoint_id=m.touchpoint_id,
        name=m.name,
        unit=m.unit,
        higher_is_better=m.higher_is_better,
        period=m.period,
        aggregate=m.aggregate,
        position=m.position,
        archived=m.archived_at is not None,
    )


def value_out(v: MeasureValue) -> MeasureValuePublic:
    return MeasureValuePublic(
        location_id=v.location_id,
        period_start=v.period_start,
        value=v.value,
        updated_at=v.updated_at.isoformat(),
    )


def _written(counts: svc.WriteCounts) -> Written:
    return Written(
        created=counts.created,
        updated=counts.updated,
        cleared=counts.cleared,
        unchanged=counts.unchanged,
    )


# --- import (before /measures/{measure_id}) ------------------------------------------------


@router.post(
    "/measures/import",
    response_model=ImportSummary,
    responses={422: {"model": ImportRefused, "description": "Nothing imported; every problem"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def measures_import_csv(request: Request, tenant: OwnerDep) -> Any:
    """Import values from a CSV file (columns touchpoint, measure, location, period, value):
    all rows are stored, or — when any row is bad — none, and every problem is listed."""
    got = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        got = await read_csv_upload(request)
    if got is None:
        problems = [
            ImportProblemPublic(line=None, field="file", message=measures_import.MSG_NO_FILE)
        ]
        body = ImportRefused(detail=measures_import.MSG_NO_FILE, errors=problems)
        return JSONResponse(body.model_dump(), status_code=422)
    result = measures_import.measures_import(
        session=tenant.session,
        org_id=tenant.org_id,
        data=got[0],
        today=svc.org_today(tenant.org.timezone),
        actor_id=tenant.user_id,
    )
    if not result.ok:
        body = ImportRefused(
            detail=MSG_IMPORT_REFUSED,
            errors=[ImportProblemPublic(**vars(p)) for p in result.problems],
        )
        return JSONResponse(body.model_dump(), status_code=422)
    return ImportSummary(
        rows=result.rows, created=result.created, updated=result.updated, unchanged=result.unchanged
    )


# --- measures ------------------------------------------------------------------------------


@router.get("/touchpoints/{touchpoint_id}/measures", response_model=list[MeasurePublic])
def measures(
    tenant: ReaderDep, touchpoint: TouchpointDep, include_archived: bool = Query(default=False)
) -> list[MeasurePublic]:
    found = svc.measures_for_touchpoint(
        tenant.session, ident(touchpoint), include_archived=include_archived
    )
    return [measure_out(m) for m in found]


@router.post("/touchpoints/{touchpoint_id}/measures", response_model=MeasurePublic, status_code=201)
def measure_create(
    tenant: OwnerDep, touchpoint: TouchpointDep, data: svc.MeasureFields
) -> MeasurePublic:
    measure = svc.measure_create(
        session=tenant.session, org_id=tenant.org_id, touchpoint=touchpoint, data=data
    )
    return measure_out(measure)


@router.get("/measures/{measure_id}", response_model=MeasurePublic)
def measure_read(tenant: ReaderDep, measure: MeasureDep) -> MeasurePublic:
    return measure_out(measure)


@router.patch("/measures/{measure_id}", response_model=MeasurePublic)
def measure_update(tenant: OwnerDep, measure: MeasureDep, patch: MeasurePatch) -> MeasurePublic:
    current = measure_out(measure).model_dump(include=set(svc.MeasureFields.model_fields))
    given = patch.model_dump(exclude_unset=True)
    for name, value in given.items():
        if value is None:
            raise DomainError("This field cannot be null.", field=name)
    try:
        data = svc.MeasureFields.model_validate({**current, **given})
    except ValueError as exc:
        raise DomainError(svc.MSG_NAME, field="name") from exc
    return measure_out(svc.measure_update(session=tenant.session, measure=measure, data=data))


@router.post("/measures/{measure_id}/archive", response_model=MeasurePublic)
def measure_archive(tenant: OwnerDep, measure: MeasureDep) -> MeasurePublic:
    svc.measure_archive(session=tenant.session, measure=measure)
    return measure_out(measure)


@router.post("/measures/{measure_id}/restore", response_model=MeasurePublic)
def measure_restore(tenant: OwnerDep, measure: MeasureDep) -> MeasurePublic:
    svc.measure_restore(session=tenant.session, measure=measure)
    return measure_out(measure)


# --- values --------------------------------------------------------------------------------


@router.get("/measures/{measure_id}/values", response_model=list[MeasureValuePublic])
def measure_values(
    tenant: ReaderDep,
    measure: MeasureDep,
    since: date | None = Query(default=None, description="first period start to include"),
    until: date | None = Query(default=None, description="last period start to include"),
    location_id: RowId | None = Query(default=None),
) -> list[MeasureValuePublic]:
    rows = svc.measure_values(
        tenant.session, ident(measure), since=since, until=until, location_id=location_id
    )
    return [value_out(v) for v in rows]


@router.put("/measures/{measure_id}/values", response_model=Written)
def measure_value_put(tenant: OwnerDep, measure: MeasureDep, entry: svc.ValueEntry) -> Written:
    """Store one value for a location and period (`value` null clears it). Repeating the
    request changes nothing: the slot is upserted."""
    counts = svc.measure_value_set(
        session=tenant.session,
        measure=measure,
        location_id=entry.location_id,
        period_start=entry.period_start,
        value=entry.value,
        actor_id=tenant.user_id,
    )
    return _written(counts)


@router.put("/measures/{measure_id}/values/bulk", response_model=Written)
def measure_values_put(tenant: OwnerDep, measure: MeasureDep, body: ValuesBulk) -> Written:
    """Store many values of one measure: all of them, or none when any entry is refused
    (the error names it: `values.<index>.<field>`)."""
    counts = svc.measure_values_set(
        session=tenant.session, measure=measure, entries=body.values, actor_id=tenant.user_id
    )
    return _written(counts)
