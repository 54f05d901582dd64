"""Sending scheduled reports: the minute's check and the job that mails one occurrence.

Every minute (the heartbeat, one worker however many there are) `schedules_due_job` looks
for schedules whose latest occurrence is later than their `handled_until`. For each it
stores a `ReportSend` row for (schedule, occurrence) — unique, so a check run twice makes
one — moves `handled_until` to that occurrence, commits, and queues the `report.send` job
under the id `report-send-<row>` (queued twice, it runs once). After downtime the latest
missed occurrence is the one found, so a schedule catches up once, not once per missed week.

The job renders the PDF (through the PDF cache) and, in one transaction, puts the message
with its attachment in the outbox under the key `report-schedule:<id>:<occurrence>` and
notes the message on the row. Run again after a crash it finds the row's message, or the
key taken, and adds nothing; the outbox then sends the message once (app/outbox).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.errors import DomainError
from app.jobs import runtime as jobs
from app.jobs.runtime import JobContext
from app.modelbase import ident, utcnow
from app.orgs.models import Organization
from app.outbox.models import OutgoingMail
from app.outbox.services import mail_queue
from app.pdf import get_renderer
from app.tenancy import scope_session
from reports.filters import ReportFilters, parse_filters
from reports.pdf.cache import pdf_cache
from reports.pdf.documents import range_label
from reports.pdf.services import Printed, pack_pdf, touchpoint_pdf
from reports.schedules.models import ReportSchedule, ReportSend
from reports.schedules.occurrences import latest_at_or_before, rule_words
from reports.schedules.services import schedule_rule
from touchpoints.models import Touchpoint

log = logging.getLogger(__name__)

SEND_JOB = "report.send"
DUE_JOB = "reports.schedules"
# A row whose job has not put its message in the outbox this long after it was made is
# queued again (its process died between the commit and the queue).
SWEEP_AFTER = timedelta(seconds=30)
PDF = "application/pdf"


def send_job_id(send: ReportSend) -> str:
    return f"report-send-{send.id}"


def _due(session: Session, now: datetime) -> list[tuple[ReportSchedule, datetime]]:
    rows = session.exec(
        select(ReportSchedule, Organization)
        .join(Organization, col(Organization.id) == col(ReportSchedule.org_id))
        .where(col(ReportSchedule.paused).is_(False))
    ).all()
    due = []
    for schedule, org in rows:
        occurrence = latest_at_or_before(schedule_rule(schedule, org), now)
        if occurrence > schedule.handled_until:
            due.append((schedule, occurrence))
    return due


def schedules_due_job(ctx: JobContext) -> int:
    """The heartbeat's part (`reports.schedules`): see `schedules_due`."""
    return schedules_due(ctx, utcnow())


def schedules_due(ctx: JobContext, now: datetime) -> int:
    """Make the row of every occurrence due at `now` and queue its job; queue again the job
    of a row left without its message. Returns how many rows were made."""
    with ctx.db.session() as session:
        waiting = bool(_due(session, now))
    made: list[ReportSend] = []
    if waiting:
        with ctx.db.write() as session:
            # Again in the writing transaction: SQLite's write lock, or on PostgreSQL the unique
            # (schedule, occurrence) pair, keeps a second check from making it twice.
            for schedule, occurrence in _due(session, now):
                send = ReportSend(
                    org_id=schedule.org_id, schedule_id=ident(schedule), occurrence_at=occurrence
                )
                schedule.handled_until = occurrence
                session.add_all([send, schedule])
                made.append(send)
            session.flush()
            ids = [ident(send) for send in made]
    else:
        ids = []
    for send_id in ids:
        jobs.enqueue(SEND_JOB, send_id, job_id=f"report-send-{send_id}")
    cutoff = now - SWEEP_AFTER
    with ctx.db.session() as session:
        stale = session.exec(
            select(ReportSend.id).where(
                col(ReportSend.mail_id).is_(None),
                ReportSend.error == "",
                col(ReportSend.created_at) < cutoff,
            )
        ).all()
    for stale_id in stale:
        jobs.enqueue(SEND_JOB, stale_id, job_id=f"report-send-{stale_id}")
    return len(ids)


def occurrence_filters(
    session: Session, org: Organization, schedule: ReportSchedule, occurrence: datetime
) -> ReportFilters:
    """The report an occurrence sends: the schedule's filters over the default range that
    ends the day before it goes (whole days only, so a Monday report covers up to Sunday)."""
    local_day = occurrence.astimezone(ZoneInfo(org.timezone or "UTC")).date()
    params = schedule.report_params()
    return parse_filters(
        session,
        org,
        period=str(params["period"]),
        end=local_day - timedelta(days=1),
        locations=[str(i) for i in schedule.location_ids or []],
        region=str(params["region"]),
        paper=str(params["paper"]),
    )


def _print(
    ctx: JobContext,
    session: Session,
    org: Organization,
    schedule: ReportSchedule,
    filters: ReportFilters,
) -> tuple[Printed, str]:
    renderer, cache = get_renderer(ctx.state), pdf_cache(ctx.settings)
    if schedule.kind == "touchpoint":
        tp = session.get(Touchpoint, schedule.touchpoint_id or 0)
        if tp is None:
            raise DomainError("its touchpoint no longer exists")
        printed = touchpoint_pdf(session, org, tp, filters, renderer=renderer, cache=cache)
        return printed, f"{tp.name} report"
    return pack_pdf(session, org, filters, renderer=renderer, cache=cache), "Meeting pack"


def mail_text(
    org: Organization, schedule: ReportSchedule, title: str, filters: ReportFilters
) -> tuple[str, str]:
    rule = rule_words(schedule_rule(schedule, org))
    subject = f"{title}: {org.name}, {range_label(filters)}"
    name = "meeting pack" if schedule.kind == "pack" else title  # "Paying the bill report"
    body = (
        f"The {name} of {org.name} for {range_label(filters)} "
        f"({filters.scope_label()}) is attached as a PDF.\n\n"
        f"It is sent {rule[0].lower() + rule[1:]} ({org.timezone}) because an owner of "
        f"{org.name} put this address on a report schedule in Touchstone. Owners can change "
        f"or stop it under Reports → Report schedules.\n"
    )
    return subject[:300], body


def report_send_job(ctx: JobContext, send_id: int) -> None:
    """The `report.send` job: render one occurrence's report and put it in the outbox once."""
    with ctx.db.session() as session:
        send = session.get(ReportSend, send_id)
        if send is None or send.mail_id is not None or send.error:
            return
        org_id, occurrence = send.org_id, send.occurrence_at
        scope_session(session, org_id)
        schedule = session.get(ReportSchedule, send.schedule_id)
        org = session.get(Organization, org_id)
        if schedule is None or org is None:
            return
        try:
            filters = occurrence_filters(session, org, schedule, occurrence)
            printed, title = _print(ctx, session, org, schedule, filters)
        except DomainError as exc:  # its touchpoint or location was removed since
            _record_error(ctx, send_id, org_id, f"The report could not be made: {exc.message}")
            return
        subject, body = mail_text(org, schedule, title, filters)
        to = schedule.recipients
        key = f"report-schedule:{schedule.id}:{occurrence.astimezone(UTC).isoformat()}"
    with ctx.db.write() as session:
        scope_session(session, org_id)
        send = session.get(ReportSend, send_id)
        if send is None or send.mail_id is not None:
            return
        mail = mail_queue(
            session=session,
            org_id=org_id,
            key=key,
            to=to,
            subject=subject,
            body=body,
            attachments=[(printed.filename, PDF, printed.pdf)],
        )
        if mail is None:  # made by an earlier run of this job that died before noting it
            found = session.exec(
                select(OutgoingMail.id).where(
                    OutgoingMail.org_id == org_id, OutgoingMail.key == key
                )
            ).one()
            send.mail_id = found
        else:
            send.mail_id = ident(mail)
        session.add(send)


def _record_error(ctx: JobContext, send_id: int, org_id: int, message: str) -> None:
    log.warning("scheduled report %s not sent: %s", send_id, message)
    with ctx.db.write() as session:
        scope_session(session, org_id)
        send = session.get(ReportSend, send_id)
        if send is not None:
            send.error = message[:500]
            session.add(send)
