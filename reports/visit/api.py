"""The visit report in the JSON API's tree: `GET /api/v1/shops/{shop_id}/pdf`."""

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

router = APIRouter(prefix="/shops", tags=["reports"])


@router.get(
    "/{shop_id}/pdf",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}},
            "description": "The visit report (`X-Touchstone-Cache: hit` or `miss`).",
        }
    },
)
def visit_pdf_api(
    request: Request,
    tenant: ReaderDep,
    shop: ShopDep,
    renderer: RendererDep,
    cache: CacheDep,
    paper: Annotated[str, Query(description="a4 or letter")] = "a4",
) -> Response:
    """One shop's visit report as a PDF: location, visit time and length, every answer with
    its points and a pass/partial/fail mark, comments, photo thumbnails, the critical rule
    where it applied and how the score was calculated. Owners see the shopper's name; viewers
    get the report without the shopper's identity."""
    printed = visit_pdf(
        tenant.session,
        tenant.org,
        shop,
        with_shopper=tenant.role == Role.owner,
        paper=check_paper(paper),
        renderer=renderer,
        cache=cache,
        data_dir=request.app.state.settings.data_dir,
    )
    return pdf_response(printed.pdf, printed.filename, cached=printed.cached)
