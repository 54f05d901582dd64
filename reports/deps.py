"""Dependencies the report pages and API share: the renderer, the PDF cache, the filters."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request

from app.db import SessionDep
from app.pdf import Renderer, get_renderer
from app.tenancy import ReaderDep
from reports.filters import ReportFilters, parse_filters
from reports.pdf.cache import PdfCache, pdf_cache
from reports.pdf.jobs import job_get
from reports.pdf.models import ReportJob


def report_job(
    request: Request, tenant: ReaderDep, session: SessionDep, job_id: uuid.UUID
) -> ReportJob:
    """The organization's pack job named in the path (another organization's: 404)."""
    limit = request.app.state.settings.report_time_limit_seconds
    return job_get(session, job_id, org_id=tenant.org_id, time_limit=limit)


def renderer(request: Request) -> Renderer:
    return get_renderer(request.app)


def cache(request: Request) -> PdfCache:
    return pdf_cache(request.app.state.settings)


def report_filters(
    tenant: ReaderDep,
    session: SessionDep,
    period: Annotated[str, Query(description="week, month or quarter")] = "month",
    start: Annotated[str | None, Query(alias="from", description="first day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(alias="to", description="last day, YYYY-MM-DD")] = None,
    location: Annotated[list[str] | None, Query(description="location ids")] = None,
    region: Annotated[str | None, Query()] = None,
    paper: Annotated[str, Query(description="a4 or letter")] = "a4",
) -> ReportFilters:
    """The report inputs of a query string, checked (a DomainError names the bad field)."""
    return parse_filters(
        session,
        tenant.org,
        period=period,
        start=start,
        end=end,
        locations=location,
        region=region,
        paper=paper,
    )


RendererDep = Annotated[Renderer, Depends(renderer)]
CacheDep = Annotated[PdfCache, Depends(cache)]
FiltersDep = Annotated[ReportFilters, Depends(report_filters)]
JobDep = Annotated[ReportJob, Depends(report_job)]
