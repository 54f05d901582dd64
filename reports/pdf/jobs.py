"""Meeting packs printed in the background, with their progress in the database.

A pack takes seconds, longer than a page should hang. The request records a job and returns;
a thread of the same web process collects the data and hands the parts to the render
workers, writing its progress to the job row so that whichever web worker answers the next
poll sees it. The finished PDF goes to the shared PDF cache.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from sqlmodel import Session

from app.db import Database
from app.errors import ConflictError, DomainError, GoneError, NotFoundError
from app.modelbase import utcnow
from app.orgs.models import Organization
from app.pdf import Renderer
from app.tenancy import scope_session
from reports.filters import ReportFilters, filters_from_params
from reports.pdf.cache import PdfCache
from reports.pdf.models import JobStatus, ReportJob
from reports.pdf.services import pack_fingerprint, pack_pdf

log = logging.getLogger(__name__)

MSG_NO_JOB = "There is no such report job."
MSG_NOT_READY = "The meeting pack is not ready yet."
MSG_LOST = "The printing stopped without finishing (the server restarted?). Please start it again."
MSG_FAILED = "The meeting pack could not be printed: {reason}"


def job_start(
    *,
    session: Session,
    db: Database,
    org: Organization,
    user_id: int,
    filters: ReportFilters,
    renderer: Renderer,
    cache: PdfCache,
) -> ReportJob:
    """Record a pack job and start printing it; a pack already in the cache is done at once."""
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
        thread = threading.Thread(
            target=_run,
            args=(db, org.id or 0, job.id, renderer, cache),
            name=f"pack-{job.id}",
            daemon=True,
        )
        thread.start()
    return job


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
    """The job, with one that has run far past any possible printing time marked as lost
    (its process died), so nobody watches a progress bar forever."""
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
