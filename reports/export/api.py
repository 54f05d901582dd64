"""JSON API's CSV downloads: the same exports as the pages, for scripts with a token.

Bad options answer 400 (404 for a location that is not the organization's) as
``{"detail": ..., "field": ...}``, like every domain error of the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from app.tenancy import ReaderDep
from reports.export.queries import STATUSES, export_response

router = APIRouter(tags=["exports"])

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "The CSV file."}
}
StatusQuery = Annotated[
    str, Query(description=f"Which shops: {' or '.join(STATUSES)} (owners only for all).")
]
FromQuery = Annotated[
    str, Query(alias="from", description="First day (YYYY-MM-DD, organization's time zone).")
]
ToQuery = Annotated[
    str, Query(alias="to", description="Last day, inclusive (YYYY-MM-DD, organization's zone).")
]
LocationsQuery = Annotated[
    list[int] | None, Query(alias="location", description="Location ids; may repeat.")
]


@router.get("/exports/shops.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def shops_csv(
    tenant: ReaderDep,
    status: StatusQuery = "approved",
    date_from: FromQuery = "",
    date_to: ToQuery = "",
    location_ids: LocationsQuery = None,
) -> StreamingResponse:
    """One row per shop, with its stored score (approved shops unless status=all)."""
    return export_response(
        tenant,
        "shops",
        status=status,
        date_from=date_from,
        date_to=date_to,
        location_ids=location_ids,
    )


@router.get("/exports/answers.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def answers_csv(
    tenant: ReaderDep,
    status: StatusQuery = "approved",
    date_from: FromQuery = "",
    date_to: ToQuery = "",
    location_ids: LocationsQuery = None,
) -> StreamingResponse:
    """One row per answer of the exported shops, with what its points are computed from."""
    return export_response(
        tenant,
        "answers",
        status=status,
        date_from=date_from,
        date_to=date_to,
        location_ids=location_ids,
    )
