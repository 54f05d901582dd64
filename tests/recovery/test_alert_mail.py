"""Alert e-mail, against a real SMTP server listening on a local port in the test.

The server is a few lines of the SMTP protocol on a thread (socketserver): smtplib in
app.mailer talks to it over TCP exactly as to a real relay, and the test reads back who the
message went to, its subject and its body. The job bodies that a worker would run are run
here by `run_jobs` (tests/app/test_jobs_workers.py runs real workers).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.db import Database
from app.jobs.runtime import JobContext
from app.modelbase import ident, utcnow
from app.orgs.models import Role
from app.outbox.models import MailStatus, OutgoingMail
from audits.models import Shop, ShopStatus
from recovery.alerts.services import (
    MAIL_MAX_AGE,
    NEXT_STEP,
    alerts_check_all,
    alerts_queue_mail,
)
from recovery.models import Alert, AlertKind
from tests.conftest import BASE_URL, free_port, sign_in
from tests.factories import make_alert, make_member, make_recovery_case
from tests.helpers import SmtpServer, run_jobs, smtp_settings
from tests.recovery.test_alerts import CRITICAL_TEXT, World, _bookshop, _submitted_shop

pytestmark = pytest.mark.db


@pytest.fixture
def w(session: Session) -> World:
    world = _bookshop(session)
    make_member(session, world.org, Role.owner, email="second.owner@lantern.example")
    return world


def _approve_on_the_page(browser_factory: Any, db: Database, w: World, shop_id: int) -> None:
    owner = sign_in(browser_factory(), db, w.owner, w.org)
    response = owner.form(f"/shops/{shop_id}/approve")
    assert response.status_code == 303  # type: ignore[attr-defined]


def _outbox(db: Database) -> list[OutgoingMail]:
    with db.session() as fresh:
        return list(fresh.exec(select(OutgoingMail)).all())


def test_a_new_alert_is_mailed_once_to_the_owners(
    session: Session, w: World, db: Database, smtp: SmtpServer, browser_factory: Any, app: Any
) -> None:
    app.state.settings = smtp_settings(app.state.settings, smtp.port)
    shop = _submitted_shop(session, w, critical_ok=False)

    _approve_on_the_page(browser_factory, db, w, ident(shop))
    run_jobs(app)

    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert sorted(mail.recipients) == ["owner@lantern.example", "second.owner@lantern.example"]
    assert mail.sender == "alerts@touchstone.example"
    assert mail.message["Subject"].startswith("[Lantern Books] Critical question failed: ")
    body = mail.message.get_content()
    assert CRITICAL_TEXT in body and "Harbour Street" in body
    assert NEXT_STEP[AlertKind.critical_fail] in body
    assert f"Read the shop: {BASE_URL}/shops/{shop.id}" in body
    assert f"All open alerts: {BASE_URL}/alerts" in body
    with db.session() as fresh:
        alert = fresh.exec(select(Alert)).one()
        assert alert.emailed_at is not None
    [stored] = _outbox(db)
    assert stored.status == MailStatus.sent and stored.key == f"alert:{alert.id}"
    assert mail.message["Message-ID"] == f"<touchstone-mail-{stored.id}.{w.org.id}@touchstone>"

    # The jobs run again, and a request that raises nothing new: nothing is sent again.
    run_jobs(app)
    second = _submitted_shop(session, w)  # a perfect shop: no alert
    _approve_on_the_page(browser_factory, db, w, ident(second))
    run_jobs(app)
    assert len(smtp.received) == 1


def test_nothing_is_sent_without_smtp_host(
    session: Session, w: World, db: Database, smtp: SmtpServer, browser_factory: Any, app: Any
) -> None:
    assert not app.state.settings.smtp_enabled
    shop = _submitted_shop(session, w, critical_ok=False)

    _approve_on_the_page(browser_factory, db, w, ident(shop))
    run_jobs(app)

    with db.session() as fresh:
        alert = fresh.exec(select(Alert)).one()
    assert alert.kind == AlertKind.critical_fail
    [stored] = _outbox(db)
    assert stored.status == MailStatus.skipped and "SMTP_HOST" in stored.last_error
    assert smtp.received == []


def test_a_failed_send_keeps_the_approval_and_is_tried_again(
    session: Session, w: World, db: Database, smtp: SmtpServer, browser_factory: Any, app: Any
) -> None:
    working = smtp_settings(app.state.settings, smtp.port)
    app.state.settings = smtp_settings(app.state.settings, free_port())  # nobody listens
    shop = _submitted_shop(session, w, critical_ok=False)

    _approve_on_the_page(browser_factory, db, w, ident(shop))
    run_jobs(app)

    [waiting] = _outbox(db)
    assert waiting.status == MailStatus.queued and waiting.attempts == 1
    assert "Connection refused" in waiting.last_error
    with db.session() as fresh:
        stored = fresh.get(Shop, shop.id)
        assert stored is not None and stored.status == ShopStatus.approved

    app.state.settings = working
    run_jobs(app)
    run_jobs(app)
    assert len(smtp.received) == 1
    [sent] = _outbox(db)
    assert sent.status == MailStatus.sent and sent.attempts == 2 and sent.last_error == ""


def test_the_check_mails_overdue_cases_but_not_stale_or_dismissed_alerts(
    session: Session, w: World, db: Database, smtp: SmtpServer, settings: Settings, app: Any
) -> None:
    case = make_recovery_case(session, w.org, reported_at=utcnow() - timedelta(hours=25))
    stale = make_alert(session, w.org, now=utcnow() - MAIL_MAX_AGE - timedelta(hours=1))
    dismissed = make_alert(session, w.org)
    dismissed.dismissed_at = utcnow()
    session.add(dismissed)
    session.commit()
    smtp_on = smtp_settings(settings, smtp.port)
    with db.session(write=True) as fresh:
        lines = alerts_check_all(session=fresh, settings=smtp_on, now=utcnow())

    assert lines[-1] == "Queued 1 alert e-mail to owners; the job workers send them."
    app.state.settings = smtp_on
    run_jobs(app)
    assert len(smtp.received) == 1
    subject = smtp.received[0].message["Subject"]
    assert subject.startswith("[Lantern Books] Recovery case past 24 hours: Recovery case ")
    assert case.reference in subject
    with db.session() as fresh:
        assert fresh.get(Alert, stale.id).emailed_at is None  # type: ignore[union-attr]
        assert fresh.get(Alert, dismissed.id).emailed_at is None  # type: ignore[union-attr]


def test_line_breaks_in_owners_words_never_break_the_subject(
    session: Session, w: World, db: Database, smtp: SmtpServer, settings: Settings, app: Any
) -> None:
    make_alert(session, w.org, message="Paying\r\nBcc: someone@else.example\nthe bill scored 40.")

    app.state.settings = smtp_settings(settings, smtp.port)
    run_jobs(app)

    mail = smtp.received[0]
    assert sorted(mail.recipients) == ["owner@lantern.example", "second.owner@lantern.example"]
    assert mail.message["Bcc"] is None
    assert mail.message["Subject"] == (
        "[Lantern Books] Below target: Paying Bcc: someone@else.example the bill scored 40."
    )


def test_an_alert_is_put_in_the_outbox_once_however_often_the_job_runs(
    session: Session, w: World, db: Database, settings: Settings
) -> None:
    """The claim and the message are one transaction: a second run (another worker, the
    heartbeat after a request's job) finds nothing left to queue."""
    make_alert(session, w.org)
    ctx = JobContext(settings=settings, db=db)
    with db.session() as first:
        assert alerts_queue_mail(session=first, base_url=ctx.settings.base_url) == 1
    with db.session() as second:
        assert alerts_queue_mail(session=second, base_url=ctx.settings.base_url) == 0
    assert len(_outbox(db)) == 1


def test_the_heartbeat_raises_an_overdue_alert_with_no_page_opened_and_mails_it(
    session: Session, w: World, db: Database, smtp: SmtpServer, settings: Settings, app: Any
) -> None:
    """`alerts.overdue`, run by the job workers every minute: nobody loads a page."""
    from recovery.alerts.services import alerts_overdue_job

    case = make_recovery_case(session, w.org, reported_at=utcnow() - timedelta(hours=25))
    ctx = JobContext(settings=smtp_settings(settings, smtp.port), db=db)

    assert alerts_overdue_job(ctx) == 1
    assert alerts_overdue_job(ctx) == 0  # run again: nothing new
    [queued] = _outbox(db)
    assert queued.status == MailStatus.queued
    app.state.settings = ctx.settings
    run_jobs(app)
    [mail] = smtp.received
    assert case.reference in mail.message["Subject"]
