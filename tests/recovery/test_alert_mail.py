"""Alert e-mail, against a real SMTP server listening on a local port in the test.

The server is a few lines of the SMTP protocol on a thread (socketserver): smtplib in
app.mailer talks to it over TCP exactly as to a real relay, and the test reads back who the
message went to, its subject and its body.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.db import Database
from app.modelbase import ident, utcnow
from app.orgs.models import Role
from audits.models import Shop, ShopStatus
from recovery.alerts.services import MAIL_MAX_AGE, NEXT_STEP, alerts_check_all, alerts_deliver
from recovery.models import Alert, AlertKind
from tests.conftest import BASE_URL, free_port, sign_in
from tests.factories import make_alert, make_member, make_recovery_case
from tests.helpers import SmtpServer, smtp_settings
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


def test_a_new_alert_is_mailed_once_to_the_owners(
    session: Session, w: World, db: Database, smtp: SmtpServer, browser_factory: Any, app: Any
) -> None:
    app.state.settings = smtp_settings(app.state.settings, smtp.port)
    shop = _submitted_shop(session, w, critical_ok=False)

    _approve_on_the_page(browser_factory, db, w, ident(shop))

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

    # The next check, and the next request that raises nothing new, send nothing again.
    with db.session(write=True) as fresh:
        assert alerts_deliver(session=fresh, settings=app.state.settings) == 0
    second = _submitted_shop(session, w)  # a perfect shop: no alert
    _approve_on_the_page(browser_factory, db, w, ident(second))
    assert len(smtp.received) == 1


def test_nothing_is_sent_without_smtp_host(
    session: Session, w: World, db: Database, smtp: SmtpServer, browser_factory: Any, app: Any
) -> None:
    assert not app.state.settings.smtp_enabled
    shop = _submitted_shop(session, w, critical_ok=False)

    _approve_on_the_page(browser_factory, db, w, ident(shop))
    with db.session(write=True) as fresh:
        assert alerts_deliver(session=fresh, settings=app.state.settings) == 0
        alert = fresh.exec(select(Alert)).one()

    assert alert.kind == AlertKind.critical_fail and alert.emailed_at is None
    assert smtp.received == []


def test_a_failed_send_keeps_the_approval_and_is_retried_by_the_next_check(
    session: Session,
    w: World,
    db: Database,
    smtp: SmtpServer,
    browser_factory: Any,
    app: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.state.settings = smtp_settings(app.state.settings, free_port())  # nobody listens
    shop = _submitted_shop(session, w, critical_ok=False)

    with caplog.at_level(logging.WARNING, logger="touchstone"):
        _approve_on_the_page(browser_factory, db, w, ident(shop))
    assert "not mailed; the next check tries again" in caplog.text

    with db.session(write=True) as fresh:
        alert = fresh.exec(select(Alert)).one()
        assert alert.emailed_at is None
        stored = fresh.get(Shop, shop.id)
        assert stored is not None and stored.status == ShopStatus.approved

        working = smtp_settings(app.state.settings, smtp.port)
        assert alerts_deliver(session=fresh, settings=working) == 1
        assert alerts_deliver(session=fresh, settings=working) == 0
    assert len(smtp.received) == 1


def test_the_check_mails_overdue_cases_but_not_stale_or_dismissed_alerts(
    session: Session, w: World, db: Database, smtp: SmtpServer, settings: Settings
) -> None:
    case = make_recovery_case(session, w.org, reported_at=utcnow() - timedelta(hours=25))
    stale = make_alert(session, w.org, now=utcnow() - MAIL_MAX_AGE - timedelta(hours=1))
    dismissed = make_alert(session, w.org)
    dismissed.dismissed_at = utcnow()
    session.add(dismissed)
    session.commit()
    with db.session(write=True) as fresh:
        lines = alerts_check_all(
            session=fresh, settings=smtp_settings(settings, smtp.port), now=utcnow()
        )

    assert lines[-1] == "E-mailed 1 alert to owners."
    assert len(smtp.received) == 1
    subject = smtp.received[0].message["Subject"]
    assert subject.startswith("[Lantern Books] Recovery case past 24 hours: Recovery case ")
    assert case.reference in subject
    with db.session() as fresh:
        assert fresh.get(Alert, stale.id).emailed_at is None  # type: ignore[union-attr]
        assert fresh.get(Alert, dismissed.id).emailed_at is None  # type: ignore[union-attr]


def test_line_breaks_in_owners_words_never_break_the_subject(
    session: Session, w: World, db: Database, smtp: SmtpServer, settings: Settings
) -> None:
    make_alert(session, w.org, message="Paying\r\nBcc: someone@else.example\nthe bill scored 40.")

    with db.session(write=True) as fresh:
        assert alerts_deliver(session=fresh, settings=smtp_settings(settings, smtp.port)) == 1

    mail = smtp.received[0]
    assert sorted(mail.recipients) == ["owner@lantern.example", "second.owner@lantern.example"]
    assert mail.message["Bcc"] is None
    assert mail.message["Subject"] == (
        "[Lantern Books] Below target: Paying Bcc: someone@else.example the bill scored 40."
    )


def test_a_second_worker_checking_meanwhile_does_not_send_it_again(
    session: Session,
    w: World,
    db: Database,
    smtp: SmtpServer,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The claim is committed before the message goes out: another worker that checks while
    this one is still talking to the mail server finds nothing left to send."""
    from recovery.alerts import services as alerts_module

    make_alert(session, w.org)
    smtp_on = smtp_settings(settings, smtp.port)
    real_send = alerts_module.send
    meanwhile: list[int] = []

    def send_while_another_worker_checks(**kwargs: Any) -> bool:
        with db.session(write=True) as other_worker:
            meanwhile.append(alerts_deliver(session=other_worker, settings=smtp_on))
        return real_send(**kwargs)

    monkeypatch.setattr(alerts_module, "send", send_while_another_worker_checks)
    with db.session(write=True) as fresh:
        assert alerts_deliver(session=fresh, settings=smtp_on) == 1

    assert meanwhile == [0]
    assert len(smtp.received) == 1
