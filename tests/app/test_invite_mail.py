"""Invite e-mails go through the outbox: sent by a job, tried again while the mail server is
down, listed for the owners when every try fails, and never stored with their link.

A real SMTP server on a local port (tests/helpers.py) receives them; `mail_send` is the job
body a worker runs (tests/app/test_jobs_workers.py runs real workers)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.db import Database
from app.jobs.runtime import JobContext, RetryLater
from app.orgs.models import Invite, Organization, Role
from app.outbox.models import SECRET_MARK, MailStatus, OutgoingMail
from app.outbox.services import mail_give_up, mail_retry, mail_send
from app.security import digest
from tests.app.test_invites import INVITE_LINK
from tests.conftest import free_port, sign_in
from tests.factories import make_member, make_org, make_token
from tests.helpers import SmtpServer, run_jobs, smtp_settings

pytestmark = pytest.mark.db


@pytest.fixture
def org(session: Session) -> Organization:
    return make_org(session, name="Meadow Vets")


def _stored(db: Database) -> OutgoingMail:
    with db.session() as fresh:
        return fresh.exec(select(OutgoingMail)).one()


def test_an_invite_is_mailed_by_a_job_and_its_link_is_never_stored(
    session: Session,
    org: Organization,
    db: Database,
    app: Any,
    browser_factory: Any,
    smtp: SmtpServer,
) -> None:
    app.state.settings = smtp_settings(app.state.settings, smtp.port)
    owner = make_member(session, org, Role.owner)
    browser = sign_in(browser_factory(), db, owner, org)

    page = browser.form("/people/invites", {"email": "sam@example.com", "role": "shopper"})

    assert "We are e-mailing them the link" in page.text
    match = INVITE_LINK.search(page.text)
    assert match, page.text
    raw = match.group(1).removeprefix("/invite/")
    assert smtp.received == []  # the request did not wait for the mail server
    queued = _stored(db)
    assert queued.key.startswith("invite:") and queued.status == MailStatus.queued
    assert raw not in queued.body and SECRET_MARK in queued.body  # the body holds no link

    run_jobs(app)
    run_jobs(app)  # a job that runs again sends nothing more

    [mail] = smtp.received
    assert mail.recipients == ["sam@example.com"]
    assert mail.message["Subject"] == "Join Meadow Vets on Touchstone"
    body = mail.message.get_content()
    assert f"http://testserver/invite/{raw}" in body and SECRET_MARK not in body
    sent = _stored(db)
    assert sent.status == MailStatus.sent and sent.secret == ""  # the link is gone once sent
    with db.session() as fresh:
        assert fresh.exec(select(Invite)).one().token_hash == digest(raw)


def test_an_invite_mailed_while_the_server_is_down_arrives_once_when_it_is_back(
    session: Session, org: Organization, db: Database, app: Any, smtp: SmtpServer
) -> None:
    owner = make_member(session, org, Role.owner)
    token = make_token(session, org, owner)
    down = smtp_settings(app.state.settings, free_port())  # nobody listens there
    app.state.settings = down
    with TestClient(app, base_url="http://testserver") as api:
        created = api.post(
            "/api/v1/invites",
            json={"email": "kim@example.com", "role": "viewer"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert created.status_code == 201, created.text
    link = created.json()["link"]
    mail_id = _stored(db).id

    with pytest.raises(RetryLater) as refused:
        mail_send(JobContext(settings=down, db=db), mail_id)
    waiting = _stored(db)
    assert waiting.status == MailStatus.queued and "Connection refused" in waiting.last_error
    assert waiting.secret == link  # kept for the next try
    mail_give_up(JobContext(settings=down, db=db), mail_id, refused.value.reason)
    assert _stored(db).status == MailStatus.failed

    # The owner sends it again once the server is back: it arrives once, with its link.
    with db.session() as owner_session:
        failed = owner_session.get(OutgoingMail, mail_id)
        assert failed is not None
        mail_retry(session=owner_session, mail=failed)
    up = JobContext(settings=smtp_settings(app.state.settings, smtp.port), db=db)
    mail_send(up, mail_id)
    mail_send(up, mail_id)
    [mail] = smtp.received
    assert mail.recipients == ["kim@example.com"] and link in mail.message.get_content()
    assert _stored(db).secret == ""


def test_without_mail_the_invite_is_not_queued_and_the_link_is_shown(
    session: Session, org: Organization, db: Database, browser_factory: Any
) -> None:
    owner = make_member(session, org, Role.owner)
    browser = sign_in(browser_factory(), db, owner, org)

    page = browser.form("/people/invites", {"email": "lee@example.com", "role": "viewer"})

    assert "Send them this link; it is shown only once." in page.text
    assert INVITE_LINK.search(page.text)
    with db.session() as fresh:
        assert fresh.exec(select(OutgoingMail)).all() == []
