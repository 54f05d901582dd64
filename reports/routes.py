"""Report pages for owners and staff: the journey at a glance and one touchpoint's dashboard.

Both pages read the same builders as the printed reports (`reports.summary`), so the numbers
on screen are the ones in the PDF. The filter bar asks with htmx for the results part only and
pushes the address, so the URL of what is on screen can be shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.errors import DomainError
from app.orgs.models import Organization
from app.templating import is_htmx, render
from app.tenancy import ReaderDep, Tenant
from reports.charts import FEW_SHOPS
from reports.filters import PAPERS, ReportFilters, parse_filters
from reports.loop.summary import unfiled_cases, unfiled_words
from reports.pdf.documents import location_chart, locations_period, range_label
from reports.periods import PeriodSlot
from reports.stats import RANK_MIN
from reports.summary import (
    CardSummary,
    card_summaries,
    org_locations,
    org_regions,
    signed_points,
    touchpoint_report,
)
from touchpoints import queries as journey_queries
from touchpoints.deps import TouchpointDep
from touchpoints.models import Stage, Touchpoint

router = APIRouter(include_in_schema=False)

# `from` is a Python keyword, so the handlers take it under another name.
FromQuery = Annotated[str, Query(alias="from")]
ToQuery = Annotated[str, Query(alias="to")]
LocationQuery = Annotated[list[str] | None, Query(alias="location")]

# The fields of the filter bar, in the order parse_filters checks them.
FILTER_FIELDS = ("period", "from", "to", "location", "region")
MSG_FIX_FILTERS = "Fix the filter marked above to see results."


def period_name(slot: PeriodSlot, other: PeriodSlot | None = None) -> str:
    """A period as said in a meeting: "Oct", "Q3", "week 44"; with the year when `other`
    (the period it is compared with) lies in another year, or when there is no `other`."""
    same_year = other is not None and other.start.year == slot.start.year
    year = "" if same_year else f" {slot.start.year}"
    if "-W" in slot.key:
        return f"week {int(slot.key.split('-W')[1])}{year}"
    if "-Q" in slot.key:
        return f"{slot.key.split('-')[1]}{year}"
    return f"{slot.start:%b}{year}"


# Registered on the shared Jinja environment by app.wiring at start-up.
TEMPLATE_GLOBALS: dict[str, object] = {
    "period_name": period_name,
    "signed_points": signed_points,
    "FEW_SHOPS": FEW_SHOPS,
    "RANK_MIN": RANK_MIN,
    "PAPERS": PAPERS,
}


# --- filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterInput:
    """The filter bar as the person filled it in: empty dates mean the default range."""

    period: str = "month"
    start: str = ""
    end: str = ""
    locations: tuple[str, ...] = ()
    region: str = ""

    def params(self, **extra: object) -> str:
        """The query string that asks for the same view (plus `extra`), without empties."""
        pairs: list[tuple[str, object]] = [("period", self.period or "month")]
        pairs += [("from", self.start)] if self.start else []
        pairs += [("to", self.end)] if self.end else []
        pairs += [("location", loc) for loc in self.locations]
        pairs += [("region", self.region)] if self.region else []
        pairs += list(extra.items())
        return urlencode(pairs)


def _input(
    period: str, start: str, end: str, locations: list[str] | None, region: str
) -> FilterInput:
    return FilterInput(
        period=period.strip() or "month",
        start=start.strip(),
        end=end.strip(),
        locations=tuple(loc.strip() for loc in locations or () if loc.strip()),
        region=region.strip(),
    )


def _parse(
    session: Session, org: Organization, raw: FilterInput
) -> tuple[ReportFilters | None, dict[str, str]]:
    """The checked filters, or None and the message keyed by the field it is about."""
    try:
        filters = parse_filters(
            session,
            org,
            period=raw.period,
            start=raw.start,
            end=raw.end,
            locations=raw.locations,
            region=raw.region,
        )
    except DomainError as exc:
        field = exc.field if exc.field in FILTER_FIELDS else "period"
        return None, {field: exc.message}
    return filters, {}


def _csv_query(session: Session, filters: ReportFilters | None) -> str:
    """from/to/location for the CSV downloads, which know locations but not regions: a
    region becomes the list of its locations."""
    if filters is None:
        return ""
    ids: list[int] = list(filters.location_ids or ())
    if filters.region is not None:
        in_region = [loc.id for loc in org_locations(session) if loc.region == filters.region]
        ids = [i for i in in_region if i is not None and (not ids or i in ids)]
    pairs: list[tuple[str, object]] = [
        ("from", filters.start.isoformat()),
        ("to", filters.end.isoformat()),
    ]
    pairs += [("location", i) for i in ids]
    return urlencode(pairs)


def _filter_context(
    tenant: Tenant,
    request: Request,
    raw: FilterInput,
    filters: ReportFilters | None,
    errors: dict[str, str],
    action: str,
) -> dict[str, Any]:
    all_locations = org_locations(tenant.session)
    regions = org_regions(tenant.session)
    fields = ["period", "from", "to"]
    fields += ["location"] if all_locations else []
    fields += ["region"] if regions or "region" in errors else []
    return {
        "raw": raw,
        "filters": filters,
        "errors": errors,
        "action": action,
        "all_locations": all_locations,
        "regions": regions,
        "filter_fields": fields,
        "range_label": range_label(filters) if filters else "",
        "csv_query": _csv_query(tenant.session, filters),
        # The fragment carries the error slots of the filter bar out of band.
        "oob": is_htmx(request) and not _history_restore(request),
        "MSG_FIX_FILTERS": MSG_FIX_FILTERS,
    }


def _history_restore(request: Request) -> bool:
    # htmx asks for the whole page when its history cache misses (back button after a
    # pushed URL); the fragment alone would replace the page body.
    return request.headers.get("hx-history-restore-request") == "true"


def _show(
    request: Request, template: str, fragment: str, context: dict[str, Any], errors: bool
) -> Response:
    return render(
        request,
        template,
        context,
        fragment=None if _history_restore(request) else fragment,
        status_code=400 if errors else 200,
    )


# --- the reports home -----------------------------------------------------------------------


@dataclass(frozen=True)
class GlanceLine:
    touchpoint: Touchpoint
    card: CardSummary


def overview_context(
    tenant: Tenant, request: Request, raw: FilterInput | None = None
) -> tuple[dict[str, Any], bool]:
    """What the reports home shows; also the staff's start page (`/`)."""
    raw = raw or FilterInput()
    filters, errors = _parse(tenant.session, tenant.org, raw)
    stages: list[tuple[Stage, list[GlanceLine]]] = []
    if filters is not None:
        journey = journey_queries.journey(tenant.session)
        touchpoints = [tp for view in journey for tp in view.touchpoints]
        cards = card_summaries(tenant.session, touchpoints, filters, near=tenant.org.near_target)
        stages = [
            (view.stage, [GlanceLine(tp, cards[tp.id or 0]) for tp in view.touchpoints])
            for view in journey
        ]
    context = _filter_context(tenant, request, raw, filters, errors, "/reports")
    context["stages"] = stages
    # Cases no touchpoint holds yet are in no card's rates: said once, here, for the range.
    context["unfiled_line"] = (
        "" if filters is None else unfiled_words(unfiled_cases(tenant.session, filters))
    )
    return context, bool(errors)


@router.get("/reports")
def reports_home(
    request: Request,
    tenant: ReaderDep,
    period: str = "month",
    date_from: FromQuery = "",
    date_to: ToQuery = "",
    locations: LocationQuery = None,
    region: str = "",
) -> Response:
    raw = _input(period, date_from, date_to, locations, region)
    context, errors = overview_context(tenant, request, raw)
    return _show(request, "reports/home.html", "reports/_home_results.html", context, errors)


# --- one touchpoint's dashboard ---------------------------------------------------------------


@router.get("/reports/touchpoints/{touchpoint_id}")
def touchpoint_dashboard(
    request: Request,
    tenant: ReaderDep,
    touchpoint: TouchpointDep,
    period: str = "month",
    date_from: FromQuery = "",
    date_to: ToQuery = "",
    locations: LocationQuery = None,
    region: str = "",
) -> Response:
    raw = _input(period, date_from, date_to, locations, region)
    filters, errors = _parse(tenant.session, tenant.org, raw)
    action = f"/reports/touchpoints/{touchpoint.id}"
    context = _filter_context(tenant, request, raw, filters, errors, action)
    report = touchpoint_report(tenant.session, tenant.org, touchpoint, filters) if filters else None
    stage = tenant.session.get(Stage, touchpoint.stage_id)
    # Comparing locations needs more than one of them.
    compare = report if report is not None and len(report.locations) > 1 else None
    context.update(
        # Named in the report language, like the results below (touchpoints/translations).
        touchpoint=report.touchpoint if report is not None else touchpoint,
        stage=stage,
        report=report,
        location_chart=location_chart(compare) if compare else "",
        location_chart_narrow=location_chart(compare, 340) if compare else "",
        locations_period=locations_period(report) if report else "",
    )
    return _show(
        request,
        "reports/touchpoint.html",
        "reports/_touchpoint_results.html",
        context,
        bool(errors),
    )
