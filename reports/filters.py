"""What a report is asked for (period kind, days, locations, region, paper), checked once.

Pages, the API and the CLI all pass their raw inputs through `parse_filters`, so a range that
ends before it starts or a location of another organization is refused with the same words
everywhere, naming the field it is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlmodel import Session, col, select

from app.clock import today_in
from app.errors import DomainError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import MAX_ID
from app.orgs.models import Location, Organization
from reports.language import _
from reports.periods import PeriodSlot, default_start, slots_between
from reports.sql import PERIODS, Period

Paper = Literal["a4", "letter"]
PAPERS: dict[str, str] = {"a4": "A4", "letter": "US Letter"}

MSG_PERIOD = "Choose week, month or quarter."
MSG_PAPER = "Choose A4 or US Letter paper."
MSG_DATE = "Enter a date as YYYY-MM-DD, between the years 1900 and 2999."
MIN_YEAR, MAX_YEAR = 1900, 2999
MSG_RANGE = N_("The range ends before it starts: pick an end on or after %(start)s.")
MSG_LOCATION = N_("%(value)s is not one of this organization's locations.")
MSG_REGION = N_("No location of this organization is in the region %(value)r.")
# A PDF per week over ten years would be thousands of periods: keep ranges printable.
MAX_SLOTS = 160
MSG_TOO_LONG = N_(
    "That range holds %(n)s periods; pick at most %(max)s (a shorter range or a longer period)."
)


@dataclass(frozen=True)
class ReportFilters:
    period: Period
    start: date
    end: date
    location_ids: tuple[int, ...] | None  # None: every location
    region: str | None
    paper: Paper
    location_names: tuple[str, ...] = ()

    @property
    def slots(self) -> list[PeriodSlot]:
        return slots_between(self.period, self.start, self.end)

    def query_args(self) -> dict[str, object]:
        """Keyword arguments for the `reports.queries` functions."""
        return {
            "start": self.start,
            "end": self.end,
            "location_ids": self.location_ids,
            "region": self.region,
        }

    def scope_label(self) -> str:
        """'All locations', 'Region North' or 'Harbour St, Market Sq'."""
        if self.location_names:
            return ", ".join(self.location_names)
        if self.region:
            return _("Region %(region)s", region=self.region)
        return _("All locations")

    def as_params(self) -> dict[str, object]:
        """Canonical, JSON-ready form (fingerprints, job records, links)."""
        return {
            "period": self.period,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "location": list(self.location_ids or ()),
            "region": self.region or "",
            "paper": self.paper,
        }


def org_today(org: Organization) -> date:
    return today_in(org.timezone)


def parse_day(value: str | date | None, field: str) -> date | None:
    """A day typed as YYYY-MM-DD ('' or None: not given); DomainError naming `field`."""
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise DomainError(MSG_DATE, field=field) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:  # far-off years overflow once moved into UTC
        raise DomainError(MSG_DATE, field=field)
    return day


def check_range(first: date | None, last: date | None) -> None:
    if first is not None and last is not None and last < first:
        raise DomainError(message(MSG_RANGE, start=first.isoformat()), field="to")


def check_locations(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Names of the scoped organization's locations `ids`; DomainError at the first id that
    is not one of them (another organization's location is as unknown as a missing one)."""
    wanted = list(dict.fromkeys(ids))
    for location_id in wanted:
        if not 0 <= location_id <= MAX_ID:  # no row has it, and the database would refuse it
            raise DomainError(message(MSG_LOCATION, value=location_id), field="location")
    found = {
        loc.id: loc.name
        for loc in session.exec(select(Location).where(col(Location.id).in_(wanted))).all()
        if loc.id is not None
    }
    for location_id in wanted:
        if location_id not in found:
            raise DomainError(message(MSG_LOCATION, value=location_id), field="location")
    return found


def _location_ids(values: Iterable[str | int] | None) -> list[int]:
    ids: list[int] = []
    for value in values or ():
        text = str(value).strip()
        if not text:
            continue
        try:
            ids.append(int(text))
        except ValueError:
            raise DomainError(message(MSG_LOCATION, value=repr(text)), field="location") from None
    return ids


def parse_filters(
    session: Session,
    org: Organization,
    *,
    period: str | None = "month",
    start: str | date | None = None,
    end: str | date | None = None,
    locations: Iterable[str | int] | None = None,
    region: str | None = None,
    paper: str | None = "a4",
) -> ReportFilters:
    """Check raw report inputs; raise DomainError naming the field at the first bad one."""
    period = (period or "month").strip().lower()
    if period not in PERIODS:
        raise DomainError(MSG_PERIOD, field="period")
    paper = (paper or "a4").strip().lower()
    if paper not in PAPERS:
        raise DomainError(MSG_PAPER, field="paper")
    first, last = parse_day(start, "from"), parse_day(end, "to")
    check_range(first, last)
    last = last or org_today(org)
    first = first or default_start(period, last)
    check_range(first, last)
    count = len(slots_between(period, first, last))
    if count > MAX_SLOTS:
        raise DomainError(message(MSG_TOO_LONG, n=count, max=MAX_SLOTS), field="from")

    ids = _location_ids(locations)
    names: tuple[str, ...] = ()
    if ids:
        found = check_locations(session, ids)
        ids = sorted(set(ids))
        names = tuple(found[i] for i in ids)
    region = (region or "").strip() or None
    if region is not None:
        known = session.exec(select(Location.id).where(Location.region == region)).first()
        if known is None:
            raise DomainError(message(MSG_REGION, value=region), field="region")
    return ReportFilters(
        period=period,  # type: ignore[arg-type]
        start=first,
        end=last,
        location_ids=tuple(ids) or None,
        region=region,
        paper=paper,  # type: ignore[arg-type]
        location_names=names,
    )


def filters_from_params(
    session: Session, org: Organization, params: dict[str, object]
) -> ReportFilters:
    """`ReportFilters.as_params()` (as stored on a report job) checked back into filters."""
    locations = params.get("location") or []
    return parse_filters(
        session,
        org,
        period=str(params.get("period") or "month"),
        start=str(params.get("from") or ""),
        end=str(params.get("to") or ""),
        locations=[str(i) for i in locations] if isinstance(locations, list) else [],
        region=str(params.get("region") or ""),
        paper=str(params.get("paper") or "a4"),
    )
