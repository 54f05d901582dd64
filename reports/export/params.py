"""The options of a CSV export as the query string carries them, for the page and the API.

Both take the same four options; one dependency reads them so the two stay the same.
`from` is a Python keyword, so the handlers take it under another name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from reports.export.queries import STATUSES, ExportOptions


def export_options(
    status: Annotated[
        str, Query(description=f"Which shops: {' or '.join(STATUSES)} (owners only for all).")
    ] = "approved",
    date_from: Annotated[
        str, Query(alias="from", description="First day (YYYY-MM-DD, organization's time zone).")
    ] = "",
    date_to: Annotated[
        str, Query(alias="to", description="Last day, inclusive (YYYY-MM-DD, organization's zone).")
    ] = "",
    location_ids: Annotated[
        list[int] | None, Query(alias="location", description="Location ids; may repeat.")
    ] = None,
) -> ExportOptions:
    return ExportOptions(status, date_from, date_to, location_ids)


ExportOptionsDep = Annotated[ExportOptions, Depends(export_options)]
