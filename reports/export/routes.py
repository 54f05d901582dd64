"""CSV downloads for owners and staff: shops.csv and answers.csv (see reports.export.queries)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.tenancy import ReaderDep
from reports.export.params import ExportOptionsDep
from reports.export.queries import export_response

router = APIRouter(include_in_schema=False)


@router.get("/reports/export/shops.csv")
def shops_csv(tenant: ReaderDep, options: ExportOptionsDep) -> StreamingResponse:
    return export_response(tenant, "shops", options)


@router.get("/reports/export/answers.csv")
def answers_csv(tenant: ReaderDep, options: ExportOptionsDep) -> StreamingResponse:
    return export_response(tenant, "answers", options)
