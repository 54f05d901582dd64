"""Reports that arrive by themselves: a schedule's occurrence is made once, rendered, put in
the outbox with its PDF and sent to the test SMTP server (a real TCP server, tests/helpers.py);
the attachment is read back with pypdf. Catch-up after downtime sends the latest missed
occurrence once. The owners' page: field errors, pause, delete, last sent and next due.

The moments are fixed (the tick is called with its `now`), so the suite means the same on
any date. tests/app/test_jobs_workers.py kills a real worker in the middle of one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session, col, select

from app.db import Database
from app.jobs.runtime import JobContext
from app.orgs.models import Organization, Role, User
from app.outbox.models import MailStatus, OutgoingMail
from app.outbox.services import mail_send
from audits.models import ShopStatus
from reports.schedules.jobs import report_send_job, schedules_due
from reports.schedules.models import ReportSchedule, ReportSend
from tests.conftest import sign_in
from tests.factories import (
    make_answer,
    make_location,
    make_member,
    make_org,
    make_question,
    make_report_schedule,
    make_shop,
    make_touchpoint,
    store_score,
)
from tests.helpers import SmtpServer, pdf_text, smtp_settings
from touchpoints.models import Touchpoint

pytestmark = pytest.mark.db

SHOPPER_NAME = "Hester Hiddenshopper"
SHOPPER_EMAIL = "hester.hidden@example.com"


@dataclass
class World:
    org: Organization
    owner: User
    viewer: User
    touchpoint: Touchpoint


@pytest.fixture
def world(session: Session) -> World:
    org = make_org(session, name="Harbour Bistro", timezone="Europe/London")
    owner = make_member(session, org, Role.owner)
    viewer = make_member(session, org, Role.viewer)
    shopper = make_member(session, org, Role.shopper, email=SHOPPER_EMAIL, name=SHOPPER_NAME)
    tp = make_touchpoint(session, org, name="Paying the bill", target=80)
    question = make_question(session, tp, text="Was the bill clear?", kind="yes_no")
    harbour = make_location(session, org, name="Harbour St")
    # October 2026: one clear bill, one not (mean 50); a remark, never its shopper's name.
    for day, clear in ((6, True), (20, False)):
        when = datetime(2026, 10, day, 11, tzinfo=UTC)
        shop = make_shop(
            session,
            org,
            location=harbour,
            touchpoints=[tp],
            status=ShopStatus.approved,
            shopper_id=shopper.id,
            visited_at=when,
            approved_at=when + timedelta(hours=3),
        )
        make_answer(session, shop, question, clear, comment="" if clear else "Bill had no total.")
        store_score(session, shop)
    return World(org=org, owner=owner, viewer=viewer, touchpoint=tp)


def _ctx(app: Any, smtp: SmtpServer | None = None) -> JobContext:
    settings = app.state.settings
    if smtp is not None:
        settings = smtp_settings(settings, smtp.port)
    return JobContext(settings=settings, db=app.state.db, state=app.state)


def _sends(db: Database) -> list[ReportSend]:
    with db.session() as session:
        return list(session.exec(select(ReportSend).order_by(col(ReportSend.id))).all())


def _deliver(ctx: JobContext, db: Database) -> None:
    """What a worker does after the tick: each occurrence's job, then each message's."""
    for send in _sends(db):
        report_send_job(ctx, send.id)  # type: ignore[arg-type]
    with db.session() as session:
        mails = session.exec(select(OutgoingMail.id)).all()
    for mail_id in mails:
        mail_send(ctx, mail_id)  # type: ignore[arg-type]


def _pdf_of(message: Any) -> tuple[str, bytes]:
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    return part.get_filename(), part.get_content()


@pytest.mark.slow  # real WeasyPrint renders
def test_a_scheduled_touchpoint_report_arrives_with_its_pdf_once(
    app: Any, session: Session, db: Database, smtp: SmtpServer, world: World
) -> None:
    schedule = make_report_schedule(
        session,
        world.org,
        kind="touchpoint",
        touchpoint_id=world.touchpoint.id,
        frequency="monthly",
        month_day=1,
        hour=7,
        paper="letter",
        recipients="team@harbour.example, boss@harbour.example",
        handled_until=datetime(2026, 10, 20, tzinfo=UTC),
    )
    ctx = _ctx(app, smtp)
    # 1 Nov 2026, 07:00 London is 07:00 UTC (GMT): a minute past it, the tick makes it.
    assert schedules_due(ctx, datetime(2026, 11, 1, 7, 1, tzinfo=UTC)) == 1
    assert schedules_due(ctx, datetime(2026, 11, 1, 7, 2, tzinfo=UTC)) == 0
    _deliver(ctx, db)
    _deliver(ctx, db)  # every job run again, as after a crash: nothing more is sent

    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert sorted(mail.recipients) == ["boss@harbour.example", "team@harbour.example"]
    assert mail.message["Subject"].startswith("Paying the bill report: Harbour Bistro,")
    assert "31 Oct 2026" in mail.message["Subject"]
    filename, pdf = _pdf_of(mail.message)
    assert filename.endswith(".pdf") and "paying-the-bill" in filename
    text = pdf_text(pdf)
    # The right report: its organization, touchpoint, range up to the day before, the mean.
    assert "Harbour Bistro" in text and "Paying the bill" in text
    assert "31 Oct 2026" in text
    assert "50 in October 2026" in text
    assert "Bill had no total." in text
    # Rendered as staff see it: no shopper is named.
    assert SHOPPER_NAME not in text and SHOPPER_EMAIL not in text
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # US Letter

    [send] = _sends(db)
    assert send.occurrence_at == datetime(2026, 11, 1, 7, tzinfo=UTC) and send.mail_id
    with db.session() as fresh:
        stored = fresh.get(OutgoingMail, send.mail_id)
        assert stored is not None and stored.status == MailStatus.sent
        again = fresh.get(ReportSchedule, schedule.id)
        assert again is not None and again.handled_until == send.occurrence_at


@pytest.mark.slow
def test_a_scheduled_meeting_pack_arrives_as_one_document(
    app: Any, session: Session, db: Database, smtp: SmtpServer, world: World
) -> None:
    make_report_schedule(
        session,
        world.org,
        kind="pack",
        frequency="weekly",
        weekday=0,
        hour=8,
        recipients="meeting@harbour.example",
        handled_until=datetime(2026, 10, 30, tzinfo=UTC),
    )
    ctx = _ctx(app, smtp)
    assert schedules_due(ctx, datetime(2026, 11, 2, 8, 0, 30, tzinfo=UTC)) == 1
    _deliver(ctx, db)
    [mail] = smtp.received
    assert mail.message["Subject"] == "Meeting pack: Harbour Bistro, 1 Dec 2025 – 1 Nov 2026"
    assert "Harbour Bistro for 1 Dec 2025 – 1 Nov 2026" in mail.message.get_body().get_content()
    _, pdf = _pdf_of(mail.message)
    text = pdf_text(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert "Meeting pack" in text and "Paying the bill" in text
    assert f"page {pages} of {pages}" in text
    assert SHOPPER_NAME not in text and SHOPPER_EMAIL not in text


def test_after_downtime_only_the_latest_missed_occurrence_is_sent_once(
    app: Any, session: Session, db: Database, world: World
) -> None:
    schedule = make_report_schedule(
        session, world.org, handled_until=datetime(2026, 10, 5, 9, tzinfo=UTC)
    )
    ctx = _ctx(app)
    # Down from 5 Oct to Tuesday 27 Oct: Mondays 12, 19 and 26 Oct were missed.
    assert schedules_due(ctx, datetime(2026, 10, 27, 12, tzinfo=UTC)) == 1
    assert [s.occurrence_at for s in _sends(db)] == [datetime(2026, 10, 26, 8, tzinfo=UTC)]
    # More ticks in the same week find nothing new; the next Monday makes the next one.
    assert schedules_due(ctx, datetime(2026, 10, 27, 12, 1, tzinfo=UTC)) == 0
    assert schedules_due(ctx, datetime(2026, 11, 2, 7, 59, tzinfo=UTC)) == 0
    assert schedules_due(ctx, datetime(2026, 11, 2, 8, tzinfo=UTC)) == 1
    assert len(_sends(db)) == 2
    # A paused schedule makes nothing.
    with db.session() as fresh:
        paused = fresh.get(ReportSchedule, schedule.id)
        assert paused is not None
        paused.paused = True
        fresh.add(paused)
        fresh.commit()
    assert schedules_due(ctx, datetime(2026, 11, 30, 9, tzinfo=UTC)) == 0


def test_a_report_that_cannot_be_made_says_why_on_the_page(
    app: Any, session: Session, db: Database, browser_factory: Any, world: World
) -> None:
    schedule = make_report_schedule(
        session,
        world.org,
        kind="touchpoint",
        touchpoint_id=world.touchpoint.id,
        region="Nowhere",
        handled_until=datetime(2026, 10, 5, 9, tzinfo=UTC),
    )
    ctx = _ctx(app)
    schedules_due(ctx, datetime(2026, 10, 12, 9, tzinfo=UTC))
    _deliver(ctx, db)
    [send] = _sends(db)
    assert send.mail_id is None and "Nowhere" in send.error
    owner = sign_in(browser_factory(), db, world.owner, world.org)
    page = owner.get("/reports/schedules")
    assert "The report could not be made" in page.text
    assert f'id="schedule-{schedule.id}"' in page.text


def _form(**values: object) -> dict[str, object]:
    return {
        "report": "pack",
        "period": "month",
        "paper": "a4",
        "frequency": "monthly",
        "weekday": "0",
        "month_day": "31",
        "hour": "7",
        "recipients": "team@harbour.example",
        **values,
    }


def test_owners_add_change_pause_and_delete_schedules_with_clear_errors(
    session: Session, db: Database, browser_factory: Any, world: World
) -> None:
    owner = sign_in(browser_factory(), db, world.owner, world.org)
    reports = owner.get("/reports")
    assert 'href="/reports/schedules"' in reports.text
    empty = owner.get("/reports/schedules")
    assert empty.status_code == 200 and "No reports are scheduled yet" in empty.text

    bad = owner.form("/reports/schedules", _form(recipients="team@harbour.example, bob@"))
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert "&#39;bob@&#39; is not an e-mail address" in bad.text  # type: ignore[attr-defined]
    assert 'id="f-recipients" name="recipients" rows="2" aria-invalid="true"' in bad.text  # type: ignore[attr-defined]
    late = owner.form("/reports/schedules", _form(month_day="32"))
    assert late.status_code == 400  # type: ignore[attr-defined]
    assert "the last day in shorter months" in late.text  # type: ignore[attr-defined]
    hour = owner.form("/reports/schedules", _form(hour="25"))
    assert "Choose an hour from 0 to 23." in hour.text  # type: ignore[attr-defined]
    other = owner.form("/reports/schedules", _form(report="999999"))
    assert "Choose the meeting pack or one of this organization" in other.text  # type: ignore[attr-defined]

    added = owner.form("/reports/schedules", _form())
    assert added.status_code == 303  # type: ignore[attr-defined]
    page = owner.get("/reports/schedules")
    assert (
        "Schedule added: Monthly on day 31 at 07:00 (the last day in shorter months)." in page.text
    )
    assert "Meeting pack" in page.text and "To team@harbour.example" in page.text
    assert "Last sent: not yet" in page.text and "Next: " in page.text
    with db.session() as fresh:
        [schedule] = fresh.exec(select(ReportSchedule)).all()

    edit = owner.get(f"/reports/schedules/{schedule.id}/edit")
    assert "Change the schedule" in edit.text
    saved = owner.form(
        f"/reports/schedules/{schedule.id}",
        _form(
            report=str(world.touchpoint.id),
            frequency="weekly",
            weekday="4",
            hour="16",
            paper="letter",
        ),
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    page = owner.get("/reports/schedules")
    assert "Touchpoint: Paying the bill" in page.text
    assert "Every Friday at 16:00 · All locations, by month, US Letter" in page.text

    owner.form(f"/reports/schedules/{schedule.id}/pause")
    page = owner.get("/reports/schedules")
    assert "Schedule paused" in page.text and "Next: paused" in page.text
    owner.form(f"/reports/schedules/{schedule.id}/pause")
    assert "Schedule resumed" in owner.get("/reports/schedules").text
    owner.form(f"/reports/schedules/{schedule.id}/delete")
    page = owner.get("/reports/schedules")
    assert "Schedule deleted." in page.text and "No reports are scheduled yet" in page.text


def test_only_owners_manage_schedules_and_staff_see_no_link(
    session: Session, db: Database, browser_factory: Any, world: World
) -> None:
    viewer = sign_in(browser_factory(), db, world.viewer, world.org)
    assert viewer.get("/reports/schedules").status_code == 403
    assert viewer.form("/reports/schedules", _form()).status_code == 403  # type: ignore[attr-defined]
    assert 'href="/reports/schedules"' not in viewer.get("/reports").text


def test_the_schedules_api_checks_like_the_page_and_is_for_owners(
    session: Session, client: Any, world: World
) -> None:
    from tests.factories import make_token

    owner = {"Authorization": f"Bearer {make_token(session, world.org, world.owner)}"}
    viewer = {"Authorization": f"Bearer {make_token(session, world.org, world.viewer)}"}
    url = "/api/v1/reports/schedules"
    body = {
        "touchpoint_id": world.touchpoint.id,
        "frequency": "monthly",
        "month_day": 30,
        "hour": 6,
        "paper": "letter",
        "recipients": ["team@harbour.example"],
    }
    bad = client.post(url, json={**body, "recipients": ["team@harbour"]}, headers=owner)
    assert bad.status_code == 400
    assert bad.json() == {
        "detail": "'team@harbour' is not an e-mail address (name@example.com); "
        "separate addresses with commas.",
        "field": "recipients",
    }
    assert client.post(url, json={**body, "hour": 24}, headers=owner).status_code == 422
    made = client.post(url, json=body, headers=owner)
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["report"] == "Touchpoint: Paying the bill"
    assert out["when"] == "Monthly on day 30 at 06:00 (the last day in shorter months)"
    assert out["last_sent_at"] is None and out["next_due_at"] and out["problem"] == ""
    assert [s["id"] for s in client.get(url, headers=owner).json()] == [out["id"]]

    paused = client.put(f"{url}/{out['id']}", json={**body, "paused": True}, headers=owner)
    assert paused.json()["paused"] is True and paused.json()["next_due_at"] is None
    assert client.get(url, headers=viewer).status_code == 403
    assert client.delete(f"{url}/{out['id']}", headers=viewer).status_code == 403
    assert client.delete(f"{url}/{out['id']}", headers=owner).status_code == 204
    assert client.get(f"{url}/{out['id']}", headers=owner).status_code == 404
