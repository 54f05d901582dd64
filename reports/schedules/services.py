"""Adding, changing, pausing and deleting report schedules; every input checked here once.

The page and the API both pass their raw inputs through `schedule_check`, so a bad address or
an hour of 25 is refused with the same words everywhere, naming its field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.errors import DomainError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import utcnow
from app.orgs.models import Organization
from reports.filters import PAPERS, check_locations, parse_filters
from reports.schedules.models import ReportSchedule
from reports.schedules.occurrences import Rule
from reports.sql import PERIODS
from touchpoints.models import Touchpoint

MSG_REPORT = "Choose the meeting pack or one of this organization's touchpoints."
MSG_FREQUENCY = "Choose weekly or monthly."
MSG_WEEKDAY = "Choose a day of the week."
MSG_MONTH_DAY = (
    "Enter a day of the month from 1 to 31 (29, 30 or 31: the last day in shorter months)."
)
MSG_HOUR = "Choose an hour from 0 to 23."
MSG_NO_RECIPIENT = "Enter at least one e-mail address."
MSG_ADDRESS = N_(
    "%(value)r is not an e-mail address (name@example.com); separate addresses with commas."
)
MSG_TOO_MANY = N_("Enter at most %(max)s addresses.")
MAX_RECIPIENTS = 20
# Deliberately plain: one @, a dot in the domain, no spaces or commas. The SMTP server has
# the last word; this catches typing mistakes where the owner can still fix them.
ADDRESS = re.compile(r"[^@\s,;<>\"\x00-\x1f]+@[^@\s,;<>\"\x00-\x1f]+\.[^@\s,;<>\".\x00-\x1f]+")


@dataclass(frozen=True)
class ScheduleInput:
    """A schedule as typed on the page or sent to the API, before checking."""

    report: str = "pack"  # "pack" or a touchpoint's id
    period: str = "month"
    locations: tuple[str, ...] = ()
    region: str = ""
    paper: str = "a4"
    frequency: str = "weekly"
    weekday: str = "0"
    month_day: str = "1"
    hour: str = "8"
    recipients: str = ""


def recipients_parse(text: str) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or lines; each checked."""
    found = [part for part in re.split(r"[,;\s]+", text or "") if part]
    if not found:
        raise DomainError(MSG_NO_RECIPIENT, field="recipients")
    for address in found:
        if len(address) > 254 or not ADDRESS.fullmatch(address):
            raise DomainError(message(MSG_ADDRESS, value=address[:80]), field="recipients")
    unique = list(dict.fromkeys(a.casefold() for a in found))
    if len(unique) > MAX_RECIPIENTS:
        raise DomainError(message(MSG_TOO_MANY, max=MAX_RECIPIENTS), field="recipients")
    return unique


def _int(value: str | int, low: int, high: int, message: str, field: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DomainError(message, field=field) from None
    if not low <= number <= high:
        raise DomainError(message, field=field)
    return number


def _locations(values: Iterable[str]) -> list[int]:
    ids = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        if not text.isdigit():
            raise DomainError(
                f"{text!r} is not one of this organization's locations.", field="location"
            )
        ids.append(int(text))
    return sorted(set(ids))


def schedule_check(session: Session, org: Organization, raw: ScheduleInput) -> dict[str, Any]:
    """The checked values of a schedule; DomainError naming the field at the first bad one."""
    report = (raw.report or "").strip()
    touchpoint_id: int | None = None
    if report != "pack":
        tp = session.get(Touchpoint, int(report)) if report.isdigit() and len(report) < 10 else None
        if tp is None or tp.archived_at is not None:
            raise DomainError(MSG_REPORT, field="report")
        touchpoint_id = tp.id
    period = (raw.period or "month").strip().lower()
    if period not in PERIODS:
        raise DomainError("Choose week, month or quarter.", field="period")
    paper = (raw.paper or "a4").strip().lower()
    if paper not in PAPERS:
        raise DomainError("Choose A4 or US Letter paper.", field="paper")
    location_ids = _locations(raw.locations)
    if location_ids:
        check_locations(session, location_ids)
    # The region is checked by the same rule as the report pages.
    parse_filters(session, org, period=period, region=raw.region, paper=paper)
    frequency = (raw.frequency or "").strip().lower()
    if frequency not in ("weekly", "monthly"):
        raise DomainError(MSG_FREQUENCY, field="frequency")
    weekday = month_day = 0
    if frequency == "weekly":
        weekday = _int(raw.weekday, 0, 6, MSG_WEEKDAY, "weekday")
        month_day = 1
    else:
        month_day = _int(raw.month_day, 1, 31, MSG_MONTH_DAY, "month_day")
    hour = _int(raw.hour, 0, 23, MSG_HOUR, "hour")
    recipients = recipients_parse(raw.recipients)
    return {
        "kind": "pack" if touchpoint_id is None else "touchpoint",
        "touchpoint_id": touchpoint_id,
        "period": period,
        "location_ids": location_ids,
        "region": (raw.region or "").strip(),
        "paper": paper,
        "frequency": frequency,
        "weekday": weekday,
        "month_day": month_day,
        "hour": hour,
        "recipients": ", ".join(recipients),
    }


def schedule_create(
    *, session: Session, org: Organization, user_id: int | None, raw: ScheduleInput
) -> ReportSchedule:
    """A new schedule; its first report goes at its first occurrence from now on."""
    values = schedule_check(session, org, raw)
    schedule = ReportSchedule(
        org_id=org.id or 0, created_by=user_id, handled_until=utcnow(), **values
    )
    session.add(schedule)
    session.commit()
    return schedule


def schedule_update(
    *, session: Session, org: Organization, schedule: ReportSchedule, raw: ScheduleInput
) -> ReportSchedule:
    """Change a schedule. Its times count from now: an occurrence the old times had and the
    new ones have in the past is not sent (nothing arrives because of an edit)."""
    values = schedule_check(session, org, raw)
    timing = ("frequency", "weekday", "month_day", "hour")
    if any(getattr(schedule, name) != values[name] for name in timing):
        schedule.handled_until = max(schedule.handled_until, utcnow())
    for name, value in values.items():
        setattr(schedule, name, value)
    session.add(schedule)
    session.commit()
    return schedule


def schedule_pause(*, session: Session, schedule: ReportSchedule, paused: bool) -> ReportSchedule:
    """Pause or resume. Resuming does not send what was due while paused: the next report
    goes at the next occurrence."""
    if schedule.paused and not paused:
        schedule.handled_until = max(schedule.handled_until, utcnow())
    schedule.paused = paused
    session.add(schedule)
    session.commit()
    return schedule


def schedule_delete(*, session: Session, schedule: ReportSchedule) -> None:
    session.delete(schedule)
    session.commit()


def schedule_rule(schedule: ReportSchedule, org: Organization) -> Rule:
    return Rule(
        frequency="monthly" if schedule.frequency == "monthly" else "weekly",
        hour=schedule.hour,
        weekday=schedule.weekday,
        month_day=schedule.month_day,
        zone=org.timezone or "UTC",
    )
