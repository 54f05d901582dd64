"""Meeting packs printed in the background, with their progress in the database.

A pack takes seconds, longer than a page should hang. The request records a `ReportJob` row
and queues the `pack.print` job (app/jobs) under the row's id; a job worker collects the data
and hands the parts to its render workers, writing its progress to the row so that whichever
web worker answers the next poll sees it. The finished PDF goes to the shared PDF cache.

A worker that dies mid-pack runs the job again when it comes back; printing again is
harmless (the row is simply brought up to date, the PDF cached under its fingerprint), so
the pack is finished once. The heartbeat (`packs.sweep`) queues again any pack whose job
never got queued (the web process died between its commit and the queue).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlmodel import Session, col, select

from app.db import Database
from app.errors import ConflictError, DomainError, GoneError, NotFoundError
from app.jobs import runtime as jobs
from app.jobs.runtime import JobContext
from app.modelbase import utcnow
from app.orgs.models import Organization
from app.pdf import Renderer, get_renderer
from app.tenancy import scope_session
from reports.filters import ReportFilters, filters_from_params
from reports.pdf import warm
from reports.pdf.cache import PdfCache, pdf_cache
from reports.pdf.models import JobStatus, ReportJob
from reports.pdf.services import pack_fingerprint, pack_pdf

log = logging.getLogger(__name__)

MSG_NO_JOB = "There is no such report job."
MSG_NOT_READY = "The meeting pack is not ready yet."
MSG_LOST = (
    "The printing has taken far longer than it should (is a job worker running?). "
    "Please start it again."
)
MSG_FAILED = "The meeting pack could not be printed: {reason}"
PRINT_JOB = "pack.print"
SWEEP_AFTER = timedelta(seconds=30)


def job_start(
    *,
    session: Session,
    org: Organization,
    user_id: int,
    filters: ReportFilters,
    cache: PdfCache,
) -> ReportJob:
    """Record a pack job and queue its printing; a pack already in the cache is done at once."""
    key = pack_fingerprint(session, org, filters)
    job = ReportJob(
        org_id=org.id or 0,
        kind="pack",
        params=filters.as_params(),
        fingerprint=key,
        created_by=user_id,
    )
    if cache.get(key) is not None:
        job.status, job.done, job.total, job.step = JobStatus.done, 1, 1, "Ready"
        job.finished_at = utcnow()
    session.add(job)
    session.commit()
    if job.status == JobStatus.queued:
        jobs.enqueue(PRINT_JOB, job.org_id, str(job.id), job_id=f"pack-{job.id}")
    return job


def pack_print_job(ctx: JobContext, org_id: int, job_id: str) -> None:
    """The `pack.print` job: print the pack of one row (again, after a crash)."""
    with ctx.db.session() as session:
        job = session.get(ReportJob, uuid.UUID(job_id))
        if job is None or job.kind != "pack" or job.status in (JobStatus.done, JobStatus.failed):
            return
    _run(ctx.db, org_id, uuid.UUID(job_id), get_renderer(ctx.state), pdf_cache(ctx.settings))


def packs_sweep_job(ctx: JobContext) -> int:
    """The heartbeat's part: queue (again) the job of every pack still waiting a while after
    it was asked for. A job that exists already is not run twice."""
    cutoff = utcnow() - SWEEP_AFTER
    with ctx.db.session() as session:
        waiting = session.exec(
            select(ReportJob).where(
                col(ReportJob.status).in_((JobStatus.queued, JobStatus.running)),
                col(ReportJob.created_at) < cutoff,
            )
        ).all()
    for job in waiting:
        if job.kind == warm.KIND:  # rendering ahead after an approval (reports.pdf.warm)
            jobs.enqueue(warm.WARM_JOB, job.org_id, str(job.id), job_id=warm.warm_job_id(job))
        else:
            jobs.enqueue(PRINT_JOB, job.org_id, str(job.id), job_id=f"pack-{job.id}")
    return len(waiting)


def _update(db: Database, org_id: int, job_id: uuid.UUID, **values: object) -> None:
    try:
        _write(db, org_id, job_id, values)
    except Exception:  # the database went away (shutdown): the row is left to go stale
        log.exception("could not record the progress of report job %s", job_id)


def _write(db: Database, org_id: int, job_id: uuid.UUID, values: dict[str, object]) -> None:
    with db.write() as session:
        scope_session(session, org_id)
        job = session.get(ReportJob, job_id)
        if job is None:
            return
        for name, value in values.items():
            setattr(job, name, value)
        session.add(job)


def _run(db: Database, org_id: int, job_id: uuid.UUID, renderer: Renderer, cache: PdfCache) -> None:
    _update(db, org_id, job_id, status=JobStatus.running, step="Collecting the results")
    try:
        with db.session() as session:
            scope_session(session, org_id)
            job = session.get(ReportJob, job_id)
            org = session.get(Organization, org_id)
            assert job is not None and org is not None
            filters = filters_from_params(session, org, job.params)

            def progress(done: int, total: int, step: str) -> None:
                _update(db, org_id, job_id, done=done, total=total, step=step[:200])

            printed = pack_pdf(
                session, org, filters, renderer=renderer, cache=cache, progress=progress
            )
        _update(
            db,
            org_id,
            job_id,
            status=JobStatus.done,
            fingerprint=printed.fingerprint,
            finished_at=utcnow(),
        )
    except DomainError as exc:
        _update(
            db,
            org_id,
            job_id,
            status=JobStatus.failed,
            message=MSG_FAILED.format(reason=exc.message),
            finished_at=utcnow(),
        )
    except Exception:  # the job must end in a state the user can see, whatever happened
        log.exception("meeting pack %s failed", job_id)
        _update(
            db,
            org_id,
            job_id,
            status=JobStatus.failed,
            message=MSG_FAILED.format(reason="an unexpected error; it has been logged."),
            finished_at=utcnow(),
        )


def job_get(session: Session, job_id: uuid.UUID, *, org_id: int, time_limit: float) -> ReportJob:
    """The job, with one that has waited far past any possible printing time shown as lost
    (no job worker has taken it up), so nobody watches a progress bar forever. A worker that
    finishes it later still marks it done."""
    job = session.get(ReportJob, job_id)
    if job is None or job.org_id != org_id:
        raise NotFoundError(MSG_NO_JOB)
    if job.status in (JobStatus.queued, JobStatus.running):
        limit = timedelta(seconds=time_limit * max(job.total, 1) + 60)
        if utcnow() - job.created_at > limit:
            job.status, job.message = JobStatus.failed, MSG_LOST
    return job


def job_pdf(job: ReportJob, cache: PdfCache) -> bytes:
    if job.status != JobStatus.done:
        raise ConflictError(job.message or MSG_NOT_READY, field="job")
    pdf = cache.get(job.fingerprint)
    if pdf is None:  # pruned from the cache since: the job has to run again
        raise GoneError(MSG_NOT_READY + " Please print it again.", field="job")
    return pdf
