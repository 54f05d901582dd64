"""JSON API of the reports: trends, a touchpoint's PDF, meeting-pack jobs."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.db import DatabaseDep, SessionDep
from app.tenancy import ReaderDep, path_loader
from reports.deps import CacheDep, FiltersDep, JobDep, RendererDep
from reports.filters import filters_from_params, parse_filters
from reports.jobs import job_pdf, job_start
from reports.models import ReportJob
from reports.printing import pack_filename, touchpoint_pdf
from reports.routes_print import pdf_response
from reports.summary import touchpoint_report
from touchpoints.models import Touchpoint

router = APIRouter(prefix="/reports", tags=["reports"])
TouchpointDep = Annotated[Touchpoint, Depends(path_loader(Touchpoint))]


class PeriodOut(BaseModel):
    key: str
    label: str
    start: date
    end: date
    score: float | None
    shops: int


class QuestionOut(BaseModel):
    lineage: str
    text: str
    weight: float
    critical: bool
    periods: list[str]
    scores: list[float | None]
    fails: list[int]
    latest: float | None
    change: float | None


class CriticalOut(BaseModel):
    shop_id: int
    day: date
    location: str
    question: str


class LocationOut(BaseModel):
    period: str
    location_id: int
    location: str
    region: str
    score: float | None
    shops: int


class CommentOut(BaseModel):
    day: date
    location: str
    about: str
    text: str


class TrendOut(BaseModel):
    touchpoint_id: int
    touchpoint: str
    stage: str
    target: float
    filters: dict[str, Any]
    headline: str
    latest: PeriodOut | None
    previous: PeriodOut | None
    change: float | None
    periods: list[PeriodOut]
    questions: list[QuestionOut]
    critical_fails: list[CriticalOut]
    critical_total: int
    locations: list[LocationOut]
    comments: list[CommentOut]


class PackRequest(BaseModel):
    period: str = "month"
    start: str | None = Field(default=None, alias="from")
    end: str | None = Field(default=None, alias="to")
    location: list[int] = Field(default_factory=list)
    region: str | None = None
    paper: str = "a4"


class JobOut(BaseModel):
    id: uuid.UUID
    status: str
    done: int
    total: int
    step: str
    message: str
    params: dict[str, Any]
    pdf_url: str | None


def _period(p: Any) -> PeriodOut | None:
    if p is None:
        return None
    return PeriodOut(
        key=p.slot.key,
        label=p.slot.label,
        start=p.slot.start,
        end=p.slot.end,
        score=p.score,
        shops=p.shops,
    )


@router.get("/touchpoints/{touchpoint_id}/trend", response_model=TrendOut)
def touchpoint_trend_api(
    tenant: ReaderDep, session: SessionDep, touchpoint: TouchpointDep, filters: FiltersDep
) -> TrendOut:
    """The touchpoint's trend, questions, critical fails, locations and comments — the data
    of its dashboard and PDF. Approved shops only; no shopper identity."""
    r = touchpoint_report(session, tenant.org, touchpoint, filters)
    keys = [s.key for s in r.table_slots]
    return TrendOut(
        touchpoint_id=touchpoint.id or 0,
        touchpoint=touchpoint.name,
        stage=r.stage.name,
        target=touchpoint.target,
        filters=filters.as_params(),
        headline=r.headline,
        latest=_period(r.latest),
        previous=_period(r.previous),
        change=r.change,
        periods=[p for p in map(_period, r.periods) if p is not None],
        questions=[
            QuestionOut(
                lineage=q.lineage,
                text=q.text,
                weight=q.weight,
                critical=q.critical,
                periods=keys,
                scores=[c.pct if c else None for c in q.cells],
                fails=[c.fails if c else 0 for c in q.cells],
                latest=q.latest.pct if q.latest else None,
                change=q.change,
            )
            for q in r.questions
        ],
        critical_fails=[
            CriticalOut(shop_id=c.shop_id, day=c.day, location=c.location, question=c.text)
            for c in r.critical
        ],
        critical_total=r.critical_total,
        locations=[
            LocationOut(
                period=row.period_key,
                location_id=row.location_id,
                location=row.location,
                region=row.region,
                score=row.mean_score,
                shops=row.shops,
            )
            for row in r.locations
        ],
        comments=[CommentOut(**vars(c)) for c in r.comments],
    )


@router.get(
    "/touchpoints/{touchpoint_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def touchpoint_pdf_api(
    tenant: ReaderDep,
    session: SessionDep,
    touchpoint: TouchpointDep,
    filters: FiltersDep,
    renderer: RendererDep,
    cache: CacheDep,
) -> Response:
    """The touchpoint's PDF report (rendered in a worker process, cached by its data)."""
    printed = touchpoint_pdf(
        session, tenant.org, touchpoint, filters, renderer=renderer, cache=cache
    )
    return pdf_response(printed.pdf, printed.filename, cached=printed.cached)


def _job_out(job: ReportJob) -> JobOut:
    done = job.status == "done"
    return JobOut(
        id=job.id,
        status=job.status,
        done=job.done,
        total=job.total,
        step=job.step,
        message=job.message,
        params=job.params,
        pdf_url=f"/api/v1/reports/jobs/{job.id}/pdf" if done else None,
    )


@router.post("/pack", status_code=202, response_model=JobOut)
def pack_start_api(
    body: PackRequest,
    tenant: ReaderDep,
    session: SessionDep,
    db: DatabaseDep,
    renderer: RendererDep,
    cache: CacheDep,
) -> JobOut:
    """Start printing the meeting pack; poll the job until `status` is done."""
    filters = parse_filters(
        session,
        tenant.org,
        period=body.period,
        start=body.start,
        end=body.end,
        locations=body.location,
        region=body.region,
        paper=body.paper,
    )
    job = job_start(
        session=session,
        db=db,
        org=tenant.org,
        user_id=tenant.user_id,
        filters=filters,
        renderer=renderer,
        cache=cache,
    )
    return _job_out(job)


@router.get("/jobs/{job_id}", response_model=JobOut)
def pack_job_api(tenant: ReaderDep, job: JobDep) -> JobOut:
    """The pack's progress; `pdf_url` once it is done."""
    return _job_out(job)


@router.get(
    "/jobs/{job_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def pack_job_pdf_api(
    tenant: ReaderDep, session: SessionDep, cache: CacheDep, job: JobDep
) -> Response:
    filters = filters_from_params(session, tenant.org, job.params)
    return pdf_response(job_pdf(job, cache), pack_filename(tenant.org, filters), cached=True)
