"""Printing from the pages: a touchpoint's PDF, the meeting pack and its progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.db import SessionDep
from app.pdf import attachment
from app.templating import redirect, render
from app.tenancy import ReaderDep, path_loader
from reports.deps import CacheDep, FiltersDep, JobDep, RendererDep
from reports.filters import filters_from_params, parse_filters
from reports.pdf.jobs import job_pdf, job_start
from reports.pdf.models import JobStatus
from reports.pdf.services import pack_filename, touchpoint_pdf
from touchpoints.models import Touchpoint

# Pages, like every other page router: /api/v1/reports is the documented API.
router = APIRouter(tags=["reports"], include_in_schema=False)
TouchpointDep = Annotated[Touchpoint, Depends(path_loader(Touchpoint))]


def pdf_response(pdf: bytes, filename: str, *, cached: bool) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": attachment(filename),
            "X-Touchstone-Cache": "hit" if cached else "miss",
        },
    )


@router.get("/reports/touchpoints/{touchpoint_id}/pdf", name="touchpoint_pdf")
def touchpoint_pdf_page(
    tenant: ReaderDep,
    session: SessionDep,
    touchpoint: TouchpointDep,
    filters: FiltersDep,
    renderer: RendererDep,
    cache: CacheDep,
) -> Response:
    printed = touchpoint_pdf(
        session, tenant.org, touchpoint, filters, renderer=renderer, cache=cache
    )
    return pdf_response(printed.pdf, printed.filename, cached=printed.cached)


@router.post("/reports/pack")
def pack_start_page(
    request: Request,
    tenant: ReaderDep,
    session: SessionDep,
    cache: CacheDep,
    period: Annotated[str, Form()] = "month",
    start: Annotated[str, Form(alias="from")] = "",
    end: Annotated[str, Form(alias="to")] = "",
    location: Annotated[list[str] | None, Form()] = None,
    region: Annotated[str, Form()] = "",
    paper: Annotated[str, Form()] = "a4",
) -> Response:
    filters = parse_filters(
        session,
        tenant.org,
        period=period,
        start=start,
        end=end,
        locations=location,
        region=region,
        paper=paper,
    )
    job = job_start(
        session=session,
        org=tenant.org,
        user_id=tenant.user_id,
        filters=filters,
        cache=cache,
    )
    return redirect(request, f"/reports/jobs/{job.id}")


@router.get("/reports/jobs/{job_id}", response_class=HTMLResponse)
def pack_job_page(request: Request, tenant: ReaderDep, job: JobDep) -> Response:
    return render(
        request,
        "reports/print_job.html",
        {"job": job, "JobStatus": JobStatus},
        fragment="reports/_print_job.html",
    )


@router.get("/reports/jobs/{job_id}/pdf")
def pack_job_pdf_page(
    tenant: ReaderDep, session: SessionDep, cache: CacheDep, job: JobDep
) -> Response:
    filters = filters_from_params(session, tenant.org, job.params)
    return pdf_response(job_pdf(job, cache), pack_filename(tenant.org, filters), cached=True)
