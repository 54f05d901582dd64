"""JSON API of report schedules (owners): list, add, read, replace, delete.

The same checks as the page (`reports.schedules.services`): a bad address or day is a 400
naming its field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from app.modelbase import RowId
from app.tenancy import OwnerDep, Tenant, path_loader
from reports.schedules import services
from reports.schedules.models import ReportSchedule
from reports.schedules.queries import ScheduleView, schedule_views
from reports.schedules.services import ScheduleInput

router = APIRouter(prefix="/reports/schedules", tags=["reports"])
ScheduleDep = Annotated[ReportSchedule, Depends(path_loader(ReportSchedule))]


class ScheduleIn(BaseModel):
    touchpoint_id: RowId | None = Field(
        default=None, description="The touchpoint whose report is sent; null: the meeting pack"
    )
    period: Literal["week", "month", "quarter"] = "month"
    location: list[RowId] = Field(default_factory=list, max_length=500)
    region: str = Field(default="", max_length=200)
    paper: Literal["a4", "letter"] = "a4"
    frequency: Literal["weekly", "monthly"] = "weekly"
    weekday: int = Field(default=0, ge=0, le=6, description="0 = Monday (weekly)")
    month_day: int = Field(
        default=1, ge=1, le=31, description="1–31 (monthly); past a month's end: its last day"
    )
    hour: int = Field(default=8, ge=0, le=23, description="In the organization's time zone")
    recipients: list[Annotated[str, Field(max_length=254)]] = Field(
        min_length=1, max_length=services.MAX_RECIPIENTS
    )
    paused: bool = False


class ScheduleOut(BaseModel):
    id: int
    touchpoint_id: int | None
    report: str = Field(description="'Meeting pack' or 'Touchpoint: <name>'")
    period: str
    location: list[int]
    region: str
    paper: str
    frequency: str
    weekday: int
    month_day: int
    hour: int
    recipients: list[str]
    paused: bool
    when: str = Field(description="The schedule in words, in the organization's time zone")
    last_sent_at: datetime | None
    next_due_at: datetime | None = Field(description="null while paused")
    problem: str = Field(description="Why the latest report did not go out; '' when it did")


def _out(view: ScheduleView) -> ScheduleOut:
    s = view.schedule
    return ScheduleOut(
        id=s.id or 0,
        touchpoint_id=s.touchpoint_id,
        report=view.report,
        period=s.period,
        location=list(s.location_ids or []),
        region=s.region,
        paper=s.paper,
        frequency=s.frequency,
        weekday=s.weekday,
        month_day=s.month_day,
        hour=s.hour,
        recipients=[a for a in s.recipients.split(", ") if a],
        paused=s.paused,
        when=view.when,
        last_sent_at=view.last_sent,
        next_due_at=view.next_due,
        problem=view.problem,
    )


def _view(tenant: Tenant, schedule: ReportSchedule) -> ScheduleOut:
    return _out(
        next(v for v in schedule_views(tenant.session, tenant.org) if v.schedule is schedule)
    )


def _input(body: ScheduleIn) -> ScheduleInput:
    return ScheduleInput(
        report="pack" if body.touchpoint_id is None else str(body.touchpoint_id),
        period=body.period,
        locations=tuple(str(i) for i in body.location),
        region=body.region,
        paper=body.paper,
        frequency=body.frequency,
        weekday=str(body.weekday),
        month_day=str(body.month_day),
        hour=str(body.hour),
        recipients=", ".join(body.recipients),
    )


@router.get("", response_model=list[ScheduleOut])
def schedules_list_api(tenant: OwnerDep) -> list[ScheduleOut]:
    """Every schedule of the organization, with its last send and next due time."""
    return [_out(v) for v in schedule_views(tenant.session, tenant.org)]


@router.post("", status_code=201, response_model=ScheduleOut)
def schedule_create_api(tenant: OwnerDep, body: ScheduleIn) -> ScheduleOut:
    """Add a schedule; its first report goes at its first time from now on."""
    schedule = services.schedule_create(
        session=tenant.session, org=tenant.org, user_id=tenant.user_id, raw=_input(body)
    )
    if body.paused:
        services.schedule_pause(session=tenant.session, schedule=schedule, paused=True)
    return _view(tenant, schedule)


@router.get("/{report_schedule_id}", response_model=ScheduleOut)
def schedule_get_api(tenant: OwnerDep, schedule: ScheduleDep) -> ScheduleOut:
    return _view(tenant, schedule)


@router.put("/{report_schedule_id}", response_model=ScheduleOut)
def schedule_put_api(tenant: OwnerDep, schedule: ScheduleDep, body: ScheduleIn) -> ScheduleOut:
    """Replace a schedule; `paused` pauses or resumes it (resuming sends nothing missed)."""
    services.schedule_update(
        session=tenant.session, org=tenant.org, schedule=schedule, raw=_input(body)
    )
    services.schedule_pause(session=tenant.session, schedule=schedule, paused=body.paused)
    return _view(tenant, schedule)


@router.delete("/{report_schedule_id}", status_code=204, response_class=Response)
def schedule_delete_api(tenant: OwnerDep, schedule: ScheduleDep) -> Response:
    services.schedule_delete(session=tenant.session, schedule=schedule)
    return Response(status_code=204)
