"""The e-mail outbox: a message is a row first, its job sends it once, a failure is tried
again and at last shown to the owners, who can send it again.

The job body (`mail_send`) is called here as a worker calls it, against the test SMTP server
(tests/helpers.py); tests/app/test_jobs_workers.py runs it in real worker processes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.db import Database
from app.jobs.runtime import JobContext, RetryLater
from app.orgs.models import Role
from app.outbox.models import MailStatus, OutgoingMail
from app.outbox.services import (
    MSG_NOT_FAILED,
    mail_give_up,
    mail_queue,
    mail_send,
    notice_queue,
    notice_send,
)
from app.tenancy import scope_session
from tests.conftest import free_port, sign_in
from tests.factories import make_member, make_org, make_outgoing_mail
from tests.helpers import SmtpServer, smtp_settings

pytestmark = pytest.mark.db


def _queue(session: Session, org_id: int, key: str = "note:1") -> OutgoingMail:
    mail = mail_queue(
        session=session,
        org_id=org_id,
        key=key,
        to="owner@lantern.example",
        subject="A note",
        body="Hello.\n",
    )
    assert mail is not None
    session.commit()
    return mail


def _get(db: Database, mail_id: int | None) -> OutgoingMail:
    with db.session() as fresh:
        mail = fresh.get(OutgoingMail, mail_id)
        assert mail is not None
        return mail


def test_a_message_is_sent_once_however_often_its_job_runs(
    session: Session, db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    org = make_org(session)
    mail = _queue(session, org.id)  # type: ignore[arg-type]
    assert _queue_again(session, org.id) is None  # the same key: no second message
    ctx = JobContext(settings=smtp_settings(settings, smtp.port), db=db)

    mail_send(ctx, mail.id)
    mail_send(ctx, mail.id)  # run again (a worker that came back): nothing more

    assert len(smtp.received) == 1
    assert smtp.received[0].message["Subject"] == "A note"
    stored = _get(db, mail.id)
    assert stored.status == MailStatus.sent and stored.attempts == 1


def _queue_again(session: Session, org_id: int) -> OutgoingMail | None:
    return mail_queue(
        session=session, org_id=org_id, key="note:1", to="x@example.test", subject="", body=""
    )


def test_a_message_whose_worker_died_while_sending_is_sent_when_the_job_runs_again(
    session: Session, db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    """A worker killed mid-send leaves the row `sending`: the job's next run sends it."""
    org = make_org(session)
    mail = _queue(session, org.id)  # type: ignore[arg-type]
    mail.status, mail.attempts = MailStatus.sending, 1
    session.add(mail)
    session.commit()

    mail_send(JobContext(settings=smtp_settings(settings, smtp.port), db=db), mail.id)

    assert len(smtp.received) == 1
    assert _get(db, mail.id).status == MailStatus.sent


def test_a_rolled_back_message_is_never_stored(session: Session, db: Database) -> None:
    org = make_org(session)
    mail_queue(session=session, org_id=org.id, key="k", to="a@b.test", subject="s", body="b")  # type: ignore[arg-type]
    session.rollback()
    with db.session() as fresh:
        assert fresh.exec(select(OutgoingMail)).all() == []


def test_an_unreachable_server_means_try_again_then_give_up_with_the_reason(
    session: Session, db: Database, settings: Settings
) -> None:
    org = make_org(session)
    mail = _queue(session, org.id)  # type: ignore[arg-type]
    ctx = JobContext(settings=smtp_settings(settings, free_port()), db=db)  # nobody listens

    with pytest.raises(RetryLater) as failed:
        mail_send(ctx, mail.id)
    waiting = _get(db, mail.id)
    assert waiting.status == MailStatus.queued and waiting.attempts == 1
    assert "Connection refused" in waiting.last_error

    mail_give_up(ctx, mail.id, failed.value.reason)
    given_up = _get(db, mail.id)
    assert given_up.status == MailStatus.failed and given_up.failed_at is not None
    assert "Connection refused" in given_up.last_error


def test_the_owner_sees_failed_mail_and_sends_it_again(
    session: Session, db: Database, browser_factory: Any, app: Any, smtp: SmtpServer
) -> None:
    org = make_org(session, name="Lantern Books")
    owner = make_member(session, org, Role.owner)
    failed = make_outgoing_mail(session, org, subject="Critical question failed: greeting")
    make_outgoing_mail(session, org, subject="Already sent", status=MailStatus.sent)
    browser = sign_in(browser_factory(), db, owner, org)

    alerts = browser.get("/alerts")
    link = '<a class="more-link" href="/settings/mail">1 e-mail could not be sent</a>'
    assert link in alerts.text
    page = browser.get("/settings/mail")
    assert page.status_code == 200
    assert "Critical question failed: greeting" in page.text
    assert "Connection refused" in page.text
    assert "Already sent" not in page.text
    assert "after 6 tries" in page.text

    answer = browser.htmx("POST", f"/settings/mail/{failed.id}/retry")
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert "Sending it again to owner@example.test" in answer.text  # type: ignore[attr-defined]
    again = _get(db, failed.id)
    assert again.status == MailStatus.queued and again.round == 1 and again.attempts == 0

    # A second tap finds nothing to do, and says so.
    twice = browser.htmx("POST", f"/settings/mail/{failed.id}/retry")
    assert MSG_NOT_FAILED in twice.text  # type: ignore[attr-defined]

    app.state.settings = smtp_settings(app.state.settings, smtp.port)
    mail_send(JobContext(settings=app.state.settings, db=db), failed.id)
    assert [m.message["Subject"] for m in smtp.received] == ["Critical question failed: greeting"]
    emptied = browser.get("/settings/mail")
    assert "has been delivered or is on its way" in emptied.text


def test_only_owners_see_the_mail_page_and_only_their_own_mail(
    session: Session, db: Database, browser_factory: Any
) -> None:
    org = make_org(session, name="Lantern Books")
    other = make_org(session, name="Rival Books")
    theirs = make_outgoing_mail(session, other, subject="Rival's message")
    viewer = sign_in(browser_factory(), db, make_member(session, org, Role.viewer), org)
    owner = sign_in(browser_factory(), db, make_member(session, org, Role.owner), org)

    assert viewer.get("/settings/mail").status_code == 403
    assert "Rival's message" not in owner.get("/settings/mail").text
    assert owner.form(f"/settings/mail/{theirs.id}/retry").status_code == 404  # type: ignore[attr-defined]
    scope_session(session, other.id)  # type: ignore[arg-type]
    assert _get(db, theirs.id).status == MailStatus.failed


def test_a_notice_to_one_person_is_tried_again_until_its_server_takes_it(
    db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    args = ("ann@lantern.example", "Your Touchstone password was changed", "Body.\n", "k1")
    down = JobContext(settings=smtp_settings(settings, free_port()), db=db)
    with pytest.raises(RetryLater):
        notice_send(down, *args)

    notice_send(JobContext(settings=smtp_settings(settings, smtp.port), db=db), *args)

    [mail] = smtp.received
    assert mail.recipients == ["ann@lantern.example"]
    assert mail.message["Message-ID"] == "<touchstone-notice-k1@touchstone>"


def test_without_a_job_queue_a_notice_goes_after_the_response(settings: Settings) -> None:
    """JOBS=off (or a queue that cannot be reached): the notice is not lost, it is sent
    after the response as before."""
    task = notice_queue(
        settings=smtp_settings(settings, free_port()), to="a@b.test", subject="s", body="b"
    )
    assert task is not None and task.kwargs["to"] == "a@b.test"
    assert notice_queue(settings=settings, to="a@b.test", subject="s", body="b") is None
