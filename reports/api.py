"""JSON API of the reports: trends, a touchpoint's PDF, meeting-pack jobs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.db import SessionDep
from app.figures import score_text
from app.status import target_status
from app.tenancy import ReaderDep, path_loader
from reports.deps import CacheDep, FiltersDep, JobDep, RendererDep
from reports.filters import filters_from_params, parse_filters
from reports.loop.summary import ActionLine, LoopReport, MeasureLine, RatePeriod, Ratio
from reports.pdf.jobs import job_pdf, job_start
from reports.pdf.models import ReportJob
from reports.pdf.routes import pdf_response
from reports.pdf.services import pack_filename, touchpoint_pdf
from reports.stats import RANK_MIN
from reports.summary import PeriodScore, touchpoint_report
from touchpoints.models import Touchpoint

router = APIRouter(prefix="/reports", tags=["reports"])
TouchpointDep = Annotated[Touchpoint, Depends(path_loader(Touchpoint))]

# Scores and changes are given at full precision (a float, never rounded by the server);
# the `*_text` fields beside them are the same figure as pages and PDFs print it.
EXACT = "full precision, not rounded (0–100 scale)"
EXACT_CHANGE = "full precision, not rounded, in points (latest minus previous)"
AS_SHOWN = (
    "as pages and PDFs show it: rounded once, half away from zero, to one decimal, "
    "whole numbers bare; '—' when there is none"
)


class PeriodOut(BaseModel):
    key: str
    label: str
    start: date
    end: date
    score: float | None = Field(
        description=f"Mean section score of the period's approved shops; {EXACT}; null: no shops"
    )
    score_text: str = Field(description=f"`score` {AS_SHOWN}")
    shops: int
    interval_low: float | None = Field(
        default=None,
        description="Lower end of the score's 95 % interval (Student t on the shop scores, "
        f"cut at 0); {EXACT}; null with fewer than 2 shops",
    )
    interval_high: float | None = Field(
        default=None,
        description=f"Upper end of the 95 % interval (cut at 100); {EXACT}; null as above",
    )
    margin_text: str = Field(
        default="",
        description="The ± half-width of the interval as printed ('± 4.1'); '' without one",
    )
    status: str | None = Field(
        default=None,
        description="The score against the target: 'met', 'near' or 'below' "
        "(docs/definitions.md, 'Status against target'); null: no shops",
    )


class QuestionOut(BaseModel):
    lineage: str
    text: str
    weight: float
    critical: bool
    periods: list[str]
    scores: list[float | None] = Field(
        description=f"Mean share of points × 100 per period; {EXACT}; null: not asked"
    )
    scores_text: list[str] = Field(description=f"`scores` {AS_SHOWN}")
    fails: list[int]
    latest: float | None = Field(description=f"The latest period's score; {EXACT}")
    change: float | None = Field(description=f"Latest minus previous period; {EXACT_CHANGE}")
    change_text: str = Field(description=f"`change` {AS_SHOWN}")


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
    score: float | None = Field(description=f"Mean section score in `period`; {EXACT}")
    score_text: str = Field(description=f"`score` {AS_SHOWN}")
    shops: int
    rank: int | None = Field(
        default=None,
        description="1 for the best; equal printed scores share a rank; null: fewer than "
        f"{RANK_MIN} shops, too few to rank (listed after the ranked ones)",
    )


class CommentOut(BaseModel):
    day: date
    location: str
    about: str
    text: str


class RatioOut(BaseModel):
    """'7 of 9 (78 %)' as numbers: `percent` is whole, halves up; null when `of` is 0."""

    count: int
    of: int
    percent: int | None


class RecoveryPeriodOut(BaseModel):
    """One period's recovery cases, counted only: no case, customer or contact is named."""

    key: str
    label: str
    start: date
    end: date
    cases: int
    fixed_within_24h: RatioOut  # of the cases whose 24 h are over, or that were fixed
    satisfied: RatioOut  # followed up and fully satisfied, of every case
    surprised: RatioOut  # of every case
    champions: int


class RecoveryOut(BaseModel):
    headline: str
    fixed_change: str
    periods: list[RecoveryPeriodOut]  # the periods that have cases, oldest first
    total: RecoveryPeriodOut | None  # the whole range ("total" as its key)


class MeasureValueOut(BaseModel):
    period: str
    value: float | None  # null: no value in that period
    locations: int


class MeasureOut(BaseModel):
    id: int
    name: str
    unit: str
    higher_is_better: bool
    aggregate: str
    values: list[MeasureValueOut]  # one per period of the report's table, oldest first
    change: float | None  # latest period with values minus the one before it with values
    better: bool | None


class ActionItemOut(BaseModel):
    id: int
    title: str
    team: str
    due_on: date | None
    status: str  # the item's status today
    # As the report words it: 'Open', 'Doing', 'Done', or 'Open at 31 Mar' for an item of a
    # range that has ended (whether it was being done then is not kept).
    state: str
    overdue: bool  # for a range that has ended: already past its due day on the last day
    source: str
    meeting_on: date | None
    closed_at: datetime | None


class LoopOut(BaseModel):
    """Closing the loop: the recovery, measures and action-item sections of the dashboard."""

    window_hours: int
    recovery: RecoveryOut
    measures: list[MeasureOut]
    monthly_measures_left_out: int  # a weekly report has no figures for monthly measures
    open_items: list[ActionItemOut]
    # null: the range reaches today and open_items are open now; a day: the range ended
    # before today and open_items are those open at the end of that day, its last.
    open_items_as_of: date | None
    overdue: int
    done_since: date
    done_until: date  # done_items were closed from done_since to this day, both included
    done_items: list[ActionItemOut]


class TrendOut(BaseModel):
    touchpoint_id: int
    touchpoint: str
    stage: str
    target: float
    filters: dict[str, Any]
    headline: str
    latest: PeriodOut | None
    previous: PeriodOut | None
    change: float | None = Field(description=f"Latest minus previous period; {EXACT_CHANGE}")
    change_text: str = Field(description=f"`change` {AS_SHOWN}")
    change_call: str | None = Field(
        default=None,
        description="'up' or 'down' only when the 95 % Welch interval of `change` excludes 0; "
        "'about the same' when it does not; 'too few shops' when either period has a single "
        "shop; null: no previous period with shops",
    )
    change_low: float | None = Field(
        default=None, description=f"Lower end of the Welch 95 % interval of `change`; {EXACT}"
    )
    change_high: float | None = Field(
        default=None, description=f"Upper end of the Welch 95 % interval of `change`; {EXACT}"
    )
    status: str | None = Field(
        default=None,
        description="The latest score against the target: 'met', 'near' or 'below'; null: no shops",
    )
    near_target: float = Field(
        default=0, description="The organization's near band: 'near' is up to this far below"
    )
    periods: list[PeriodOut]
    questions: list[QuestionOut]
    critical_fails: list[CriticalOut]
    critical_total: int
    locations: list[LocationOut]
    comments: list[CommentOut]
    loop: LoopOut


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


def _period(p: PeriodScore | None, target: float, near: float) -> PeriodOut | None:
    if p is None:
        return None
    interval = p.interval
    status = target_status(p.score, target, near)
    return PeriodOut(
        key=p.slot.key,
        label=p.slot.label,
        start=p.slot.start,
        end=p.slot.end,
        score=p.score,
        score_text=score_text(p.score),
        shops=p.shops,
        interval_low=interval.low if interval else None,
        interval_high=interval.high if interval else None,
        margin_text=interval.margin_text if interval else "",
        status=status.key if status else None,
    )


def _ratio(r: Ratio) -> RatioOut:
    return RatioOut(count=r.n, of=r.d, percent=r.pct)


def _rate_period(p: RatePeriod) -> RecoveryPeriodOut:
    return RecoveryPeriodOut(
        key=p.slot.key,
        label=p.slot.label,
        start=p.slot.start,
        end=p.slot.end,
        cases=p.cases,
        fixed_within_24h=_ratio(p.fixed),
        satisfied=_ratio(p.satisfied),
        surprised=_ratio(p.surprised),
        champions=p.champions,
    )


def _measure(m: MeasureLine, keys: list[str]) -> MeasureOut:
    return MeasureOut(
        id=m.info.id,
        name=m.info.name,
        unit=m.info.unit,
        higher_is_better=m.info.higher_is_better,
        aggregate=m.info.aggregate,
        values=[
            MeasureValueOut(
                period=key,
                value=None if cell is None else cell.value,
                locations=0 if cell is None else cell.locations,
            )
            for key, cell in zip(keys, m.cells, strict=True)
        ],
        change=m.change,
        better=m.better,
    )


def _action(a: ActionLine) -> ActionItemOut:
    row = a.row
    return ActionItemOut(
        id=row.id,
        title=row.title,
        team=row.team,
        due_on=row.due_on,
        status=row.status,
        state=a.status,
        overdue=a.overdue,
        source=row.source,
        meeting_on=row.meeting_on,
        closed_at=row.closed_at,
    )


def _loop(loop: LoopReport) -> LoopOut:
    """The report's loop objects as JSON. Nothing is computed again here, and nothing in
    them names a customer or a shopper: cases are counted, never listed."""
    keys = [s.key for s in loop.measure_slots]
    total = loop.recovery.total
    return LoopOut(
        window_hours=loop.window_hours,
        recovery=RecoveryOut(
            headline=loop.recovery.headline,
            fixed_change=loop.recovery.fixed_change,
            periods=[_rate_period(p) for p in loop.recovery.periods],
            total=None if total is None else _rate_period(total),
        ),
        measures=[_measure(m, keys) for m in loop.measures],
        monthly_measures_left_out=loop.monthly_left_out,
        open_items=[_action(a) for a in loop.open_items],
        open_items_as_of=loop.as_of,
        overdue=loop.overdue_count,
        done_since=loop.since.start,
        done_until=loop.filters.end,
        done_items=[_action(a) for a in loop.done_items],
    )


@router.get("/touchpoints/{touchpoint_id}/trend", response_model=TrendOut)
def touchpoint_trend_api(
    tenant: ReaderDep, session: SessionDep, touchpoint: TouchpointDep, filters: FiltersDep
) -> TrendOut:
    """The touchpoint's trend, questions, critical fails, locations, comments and closing the
    loop (recovery rates, measures, action items) — the data of its dashboard and PDF.
    Approved shops only; no shopper identity, no customer name or contact."""
    r = touchpoint_report(session, tenant.org, touchpoint, filters)
    assert r.loop is not None  # touchpoint_report always attaches it
    keys = [s.key for s in r.table_slots]
    target, near = touchpoint.target, tenant.org.near_target
    detail = r.change_detail
    return TrendOut(
        touchpoint_id=touchpoint.id or 0,
        touchpoint=touchpoint.name,
        stage=r.stage.name,
        target=touchpoint.target,
        filters=filters.as_params(),
        headline=r.headline,
        latest=_period(r.latest, target, near),
        previous=_period(r.previous, target, near),
        change=r.exact_change,
        change_text=score_text(r.exact_change),
        change_call=detail.call if detail else None,
        change_low=detail.low if detail else None,
        change_high=detail.high if detail else None,
        status=r.status.key if r.status else None,
        near_target=near,
        periods=[out for p in r.periods if (out := _period(p, target, near)) is not None],
        questions=[
            QuestionOut(
                lineage=q.lineage,
                text=q.text,
                weight=q.weight,
                critical=q.critical,
                periods=keys,
                scores=[c.pct if c else None for c in q.cells],
                scores_text=[score_text(c.pct if c else None) for c in q.cells],
                fails=[c.fails if c else 0 for c in q.cells],
                latest=q.latest.pct if q.latest else None,
                change=q.exact_change,
                change_text=score_text(q.exact_change),
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
                score_text=score_text(row.mean_score),
                shops=row.shops,
                rank=rank,
            )
            for rank, row in zip(r.location_ranks, r.locations, strict=True)
        ],
        comments=[CommentOut(**vars(c)) for c in r.comments],
        loop=_loop(r.loop),
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
        org=tenant.org,
        user_id=tenant.user_id,
        filters=filters,
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
