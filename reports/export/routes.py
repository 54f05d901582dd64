"""CSV downloads for owners and staff: shops.csv and answers.csv (see reports.export.queries)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from app.tenancy import ReaderDep
from reports.export.queries import export_response

router = APIRouter(include_in_schema=False)

# `from` is a Python keyword, so the handlers take it under another name.
FromQuery = Annotated[str, Query(alias="from")]
ToQuery = Annotated[str, Query(alias="to")]
LocationsQuery = Annotated[list[int] | None, Query(alias="location")]


@router.get("/reports/export/shops.csv")
def shops_csv(
    tenant: ReaderDep,
    status: str = "approved",
    date_from: FromQuery = "",
    date_to: ToQuery = "",
    location_ids: LocationsQuery = None,
) -> StreamingResponse:
    return export_response(
        tenant,
        "shops",
        status=status,
        date_from=date_from,
        date_to=date_to,
        location_ids=location_ids,
    )


@router.get("/reports/export/answers.csv")
def answers_csv(
    tenant: ReaderDep,
    status: str = "approved",
    date_from: FromQuery = "",
    date_to: ToQuery = "",
    location_ids: LocationsQuery = None,
) -> StreamingResponse:
    return export_response(
        tenant,
        "answers",
        status=status,
        date_from=date_from,
        date_to=date_to,
        location_ids=location_ids,
    )
