"""Reports rendered ahead of the print: after a shop is approved, the reports it changes.

An approval changes the data stamp of every report of the organization, so the next print of
each would be rendered from scratch (seconds for the meeting pack). The approval therefore
records a `warm` report job in its own transaction (`warm_for_approved_shop`, a listener of
SHOP_APPROVED registered by app/wiring.py), and once it commits the `reports.warm` job
renders, with the default filters (this month, today, A4; what the report pages open with),
the report of every touchpoint in that shop and the meeting pack into the PDF cache. The
next print of them is a cache hit (`X-Touchstone-Cache: hit`).

Approvals in a row share one waiting job: a shop approved while one waits adds its id to it.
The row makes it durable: `packs.sweep` queues again a warm job whose queueing was lost.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.jobs import runtime as jobs
from app.jobs.runtime import JobContext
from app.modelbase import ident, utcnow
from app.orgs.models import Organization
from app.pdf import get_renderer
from app.tenancy import scope_session
from audits.models import Shop, ShopTouchpoint
from reports.filters import parse_filters
from reports.pdf.cache import pdf_cache
from reports.pdf.models import JobStatus, ReportJob
from reports.pdf.services import pack_pdf, touchpoint_pdf
from touchpoints.models import Touchpoint

log = logging.getLogger(__name__)

WARM_JOB = "reports.warm"
KIND = "warm"
_QUEUED = "touchstone_warm_queued"


def warm_job_id(job: ReportJob) -> str:
    return f"warm-{job.id}"


def warm_for_approved_shop(*, session: Session, shop: Shop) -> None:
    """Listens for SHOP_APPROVED, inside the approval's transaction: note the shop on the
    organization's waiting warm job, or make one. Never costs the approval."""
    try:
        with session.begin_nested():
            waiting = session.exec(
                select(ReportJob).where(
                    ReportJob.org_id == shop.org_id,
                    ReportJob.kind == KIND,
                    ReportJob.status == JobStatus.queued,
                )
            ).first()
            if waiting is None:
                waiting = ReportJob(org_id=shop.org_id, kind=KIND, params={"shops": []})
            shops = list(waiting.params.get("shops") or [])
            if ident(shop) not in shops:
                # A new list: the JSON column notices an assignment, not a change in place.
                waiting.params = {"shops": [*shops, ident(shop)]}
            session.add(waiting)
            session.flush()
            session.info.setdefault(_QUEUED, []).append((shop.org_id, str(waiting.id)))
    except Exception:
        log.exception("could not note shop %s for rendering ahead; the approval stands", shop.id)


def after_commit(session: OrmSession) -> None:
    """Queue the warm jobs this commit recorded (registered by app/wiring.py)."""
    for org_id, job_id in dict.fromkeys(session.info.pop(_QUEUED, ())):
        jobs.enqueue(WARM_JOB, org_id, job_id, job_id=f"warm-{job_id}")


def after_rollback(session: OrmSession) -> None:
    session.info.pop(_QUEUED, None)


def _set(ctx: JobContext, org_id: int, job_id: uuid.UUID, **values: object) -> None:
    with ctx.db.write() as session:
        scope_session(session, org_id)
        job = session.get(ReportJob, job_id)
        if job is not None:
            for name, value in values.items():
                setattr(job, name, value)
            session.add(job)


def warm_job(ctx: JobContext, org_id: int, job_id: str) -> int:
    """The `reports.warm` job: render the default reports the row's shops changed. Returns
    how many PDFs were rendered (not found in the cache). Run twice, it finds them cached."""
    key = uuid.UUID(job_id)
    with ctx.db.session() as session:
        job = session.get(ReportJob, key)
        if job is None or job.kind != KIND or job.status in (JobStatus.done, JobStatus.failed):
            return 0
    # Running: approvals from now on make a job of their own (this one may have read its
    # shops already), so none is left out.
    _set(ctx, org_id, key, status=JobStatus.running, step="Rendering ahead")
    rendered = 0
    try:
        renderer, cache = get_renderer(ctx.state), pdf_cache(ctx.settings)
        with ctx.db.session() as session:
            scope_session(session, org_id)
            job = session.get(ReportJob, key)
            org = session.get(Organization, org_id)
            assert job is not None and org is not None
            shops = [int(i) for i in job.params.get("shops") or []]
            filters = parse_filters(session, org)  # the defaults every report page opens with
            touchpoints = session.exec(
                select(Touchpoint)
                .where(
                    col(Touchpoint.id).in_(
                        select(ShopTouchpoint.touchpoint_id).where(
                            col(ShopTouchpoint.shop_id).in_(shops)
                        )
                    ),
                    col(Touchpoint.archived_at).is_(None),
                )
                .order_by(col(Touchpoint.id))
            ).all()
            for tp in touchpoints:
                printed = touchpoint_pdf(session, org, tp, filters, renderer=renderer, cache=cache)
                rendered += not printed.cached
            printed = pack_pdf(session, org, filters, renderer=renderer, cache=cache)
            rendered += not printed.cached
    except Exception:  # a print on demand still works; this was only a head start
        log.exception("rendering ahead (report job %s) failed", job_id)
        _set(ctx, org_id, key, status=JobStatus.failed, finished_at=utcnow())
        return rendered
    _set(ctx, org_id, key, status=JobStatus.done, step="Ready", finished_at=utcnow())
    return rendered
