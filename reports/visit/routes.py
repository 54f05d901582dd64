"""The visit report from the pages: the shop page and the review queue link here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.orgs.models import Role
from app.tenancy import ReaderDep
from audits.deps import ShopDep
from reports.deps import CacheDep, RendererDep
from reports.pdf.routes import pdf_response
from reports.visit.services import check_paper, visit_pdf

router = APIRouter(tags=["reports"], include_in_schema=False)


@router.get("/shops/{shop_id}/pdf", name="visit_pdf")
def visit_pdf_page(
    request: Request,
    tenant: ReaderDep,
    shop: ShopDep,
    renderer: RendererDep,
    cache: CacheDep,
    paper: Annotated[str, Query()] = "a4",
) -> Response:
    printed = visit_pdf(
        tenant.session,
        tenant.org,
        shop,
        with_shopper=tenant.role == Role.owner,  # staff never learn who the shopper was
        paper=check_paper(paper),
        renderer=renderer,
        cache=cache,
        data_dir=request.app.state.settings.data_dir,
    )
    return pdf_response(printed.pdf, printed.filename, cached=printed.cached)
