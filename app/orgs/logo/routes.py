"""The owner's logo page (upload, replace, remove) and the logo's public address."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from app.db import SessionDep
from app.errors import DomainError, NotFoundError
from app.forms import domain_errors
from app.i18n.catalogs import N_
from app.orgs.logo import queries, services
from app.templating import flash, redirect, render
from app.tenancy import OwnerDep

router = APIRouter(include_in_schema=False)
MSG_SAVED = N_("Logo saved. It is on your posters and your complaint page.")
MSG_REMOVED = N_("Logo removed.")


def _page(request: Request, tenant: OwnerDep, status_code: int = 200, **extra: Any) -> Response:
    logo = queries.logo_of(tenant.session, tenant.org_id)
    return render(
        request,
        "orgs/logo.html",
        {"logo": logo, "logo_src": queries.logo_url(tenant.org, logo), "errors": {}, **extra},
        fragment="orgs/_logo.html",
        status_code=status_code,
    )


@router.get("/settings/logo")
def logo_page(request: Request, tenant: OwnerDep) -> Response:
    return _page(request, tenant)


@router.post("/settings/logo")
async def logo_upload(request: Request, tenant: OwnerDep) -> Response:
    raw = b""
    async with request.form() as form:  # closes the uploaded file's spool when done
        upload = form.get("logo")
        if isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read(services.MAX_BYTES + 1)
    try:
        services.logo_set(session=tenant.session, org_id=tenant.org_id, raw=raw)
    except DomainError as exc:
        return _page(request, tenant, 400, errors=domain_errors(exc))
    if not request.headers.get("hx-request"):
        flash(request, MSG_SAVED)
        return redirect(request, "/settings/logo")
    return _page(request, tenant, notice=MSG_SAVED)


@router.post("/settings/logo/remove")
def logo_remove(request: Request, tenant: OwnerDep) -> Response:
    services.logo_remove(session=tenant.session, org_id=tenant.org_id)
    if not request.headers.get("hx-request"):
        flash(request, MSG_REMOVED)
        return redirect(request, "/settings/logo")
    return _page(request, tenant, notice=MSG_REMOVED)


@router.get("/logo/{public_key}")
def logo_public(public_key: str, *, session: SessionDep) -> Response:
    """The logo for the public complaint pages, by the organization's unguessable key (the
    same key as its complaint address, so it shows nothing that address does not)."""
    logo = queries.logo_by_public_key(session, public_key)
    if logo is None:
        raise NotFoundError("No logo here.")
    return Response(
        logo.data,
        media_type=logo.content_type,
        # The address changes with each new logo (?v=), so a day of caching is safe.
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
