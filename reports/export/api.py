"""JSON API's CSV downloads: the same exports as the pages, for scripts with a token.

Bad options answer 400 (404 for a location that is not the organization's) as
``{"detail": ..., "field": ...}``, like every domain error of the API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.tenancy import ReaderDep
from reports.export.params import ExportOptionsDep
from reports.export.queries import export_response

router = APIRouter(tags=["exports"])

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "The CSV file."}
}


@router.get("/exports/shops.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def shops_csv(tenant: ReaderDep, options: ExportOptionsDep) -> StreamingResponse:
    """One row per shop, with its stored score (approved shops unless status=all)."""
    return export_response(tenant, "shops", options)


@router.get("/exports/answers.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def answers_csv(tenant: ReaderDep, options: ExportOptionsDep) -> StreamingResponse:
    """One row per answer of the exported shops, with what its points are computed from."""
    return export_response(tenant, "answers", options)
