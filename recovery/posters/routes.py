"""The owner's page of complaint links and QR posters, and the posters as PDFs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.errors import NotFoundError
from app.orgs.logo.queries import logo_data_uri, logo_of, logo_url
from app.orgs.models import Location
from app.pdf import attachment, get_renderer
from app.templating import render
from app.tenancy import OwnerDep, path_loader
from recovery.posters.services import (
    MSG_NO_KEY,
    PAPERS,
    base_url_problem,
    complaint_locations,
    complaint_url,
    paper_parse,
    poster_for,
    poster_html,
    qr_data_uri,
    short_url,
    typed,
)

router = APIRouter(include_in_schema=False)
LocationDep = Annotated[Location, Depends(path_loader(Location))]
PaperQuery = Annotated[str, Query(description="a4 or letter")]


@router.get("/recovery/posters")
def posters_page(request: Request, tenant: OwnerDep) -> Response:
    settings = request.app.state.settings
    # Keys are made with each organization and location, so this page only reads.
    org_key = tenant.org.public_key
    if org_key is None:  # only a row written behind the app's back, before `migrate` filled it
        raise NotFoundError(MSG_NO_KEY)
    locations = complaint_locations(session=tenant.session, org=tenant.org)

    def entry(name: str, url: str, code: str | None, pdf: str) -> dict[str, str | None]:
        short = short_url(settings, code) if code else None
        return {
            "name": name,
            "url": url,
            "qr": qr_data_uri(url),
            "pdf": pdf,
            "short": short,
            "short_typed": typed(short) if short else None,
        }

    org_url = complaint_url(settings, org_key)
    entries = [entry(tenant.org.name, org_url, tenant.org.short_code, "/recovery/posters/org.pdf")]
    for location in locations:
        url = complaint_url(settings, org_key, location.public_key)
        pdf = f"/recovery/posters/location/{location.id}.pdf"
        entries.append(entry(location.name, url, location.short_code, pdf))
    return render(
        request,
        "recovery/posters.html",
        {
            "org_entry": entries[0],
            "location_entries": entries[1:],
            "papers": PAPERS,
            "base_problem": base_url_problem(settings),
            "logo_src": logo_url(tenant.org, logo_of(tenant.session, tenant.org_id)),
        },
    )


def _pdf(request: Request, tenant: OwnerDep, location: Location | None, paper: str) -> Response:
    poster = poster_for(
        org=tenant.org,
        location=location,
        paper=paper_parse(paper),
        settings=request.app.state.settings,
        logo=logo_data_uri(logo_of(tenant.session, tenant.org_id)),
    )
    # One page with one SVG renders in a fraction of a second, but WeasyPrint still belongs
    # in the report workers (time limit, no network, memory kept out of the web process).
    pdf = get_renderer(request.app).render(poster_html(poster)).pdf
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": attachment(poster.filename)},
    )


@router.get("/recovery/posters/org.pdf")
def poster_org_pdf(request: Request, tenant: OwnerDep, paper: PaperQuery = "a4") -> Response:
    return _pdf(request, tenant, None, paper)


@router.get("/recovery/posters/location/{location_id}.pdf")
def poster_location_pdf(
    request: Request, tenant: OwnerDep, location: LocationDep, paper: PaperQuery = "a4"
) -> Response:
    return _pdf(request, tenant, location, paper)
