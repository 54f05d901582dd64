"""Reads for the schedules page and API: each schedule in words, its last send and next due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.modelbase import utcnow
from app.orgs.models import Location, Organization
from app.outbox.models import MailStatus, OutgoingMail
from reports.filters import PAPERS
from reports.schedules.models import ReportSchedule, ReportSend
from reports.schedules.occurrences import first_after, latest_at_or_before, rule_words
from reports.schedules.services import schedule_rule
from touchpoints.models import Touchpoint

PERIOD_WORDS = {"week": "by week", "month": "by month", "quarter": "by quarter"}


@dataclass(frozen=True)
class ScheduleView:
    schedule: ReportSchedule
    report: str  # "Meeting pack" or "Touchpoint: First phone call"
    when: str  # "Every Monday at 08:00"
    scope: str  # "All locations, by month, A4"
    last_sent: datetime | None
    problem: str  # the last occurrence that did not go out, in words ("" when none)
    next_due: datetime | None  # None while paused
    due_now: bool  # an occurrence has passed and is being sent


def _last_sends(session: Session, ids: list[int]) -> dict[int, tuple[datetime | None, str]]:
    """Per schedule: the newest sent time, and a problem with its newest occurrence."""
    if not ids:
        return {}
    rows = session.exec(
        select(ReportSend, OutgoingMail)
        .join(OutgoingMail, col(OutgoingMail.id) == col(ReportSend.mail_id), isouter=True)
        .where(col(ReportSend.schedule_id).in_(ids))
        .order_by(col(ReportSend.occurrence_at))
    ).all()
    found: dict[int, tuple[datetime | None, str]] = {}
    for send, mail in rows:
        sent, _ = found.get(send.schedule_id, (None, ""))
        problem = ""
        if send.error:
            problem = send.error
        elif mail is not None and mail.status == MailStatus.failed:
            problem = "The e-mail could not be delivered: see Settings → E-mail."
        if mail is not None and mail.sent_at is not None:
            sent = mail.sent_at
        found[send.schedule_id] = (sent, problem)
    return found


def schedule_views(
    session: Session, org: Organization, now: datetime | None = None
) -> list[ScheduleView]:
    now = now or utcnow()
    schedules = session.exec(select(ReportSchedule).order_by(col(ReportSchedule.id))).all()
    names = {
        tp.id: tp.name
        for tp in session.exec(
            select(Touchpoint).where(
                col(Touchpoint.id).in_([s.touchpoint_id for s in schedules if s.touchpoint_id])
            )
        ).all()
    }
    places = {loc.id: loc.name for loc in session.exec(select(Location)).all()}
    sends = _last_sends(session, [s.id for s in schedules if s.id is not None])
    views = []
    for s in schedules:
        rule = schedule_rule(s, org)
        due_now = not s.paused and latest_at_or_before(rule, now) > s.handled_until
        if s.location_ids:
            where = ", ".join(places.get(i, "?") for i in s.location_ids)
        elif s.region:
            where = f"Region {s.region}"
        else:
            where = "All locations"
        last_sent, problem = sends.get(s.id or 0, (None, ""))
        views.append(
            ScheduleView(
                schedule=s,
                report=(
                    "Meeting pack"
                    if s.kind == "pack"
                    else f"Touchpoint: {names.get(s.touchpoint_id, '?')}"
                ),
                when=rule_words(rule),
                scope=f"{where}, {PERIOD_WORDS.get(s.period, s.period)}, "
                f"{PAPERS.get(s.paper, s.paper)}",
                last_sent=last_sent,
                problem=problem,
                next_due=None if s.paused else (now if due_now else first_after(rule, now)),
                due_now=due_now,
            )
        )
    return views
