"""ASVS 2.5.5: each change to an account's two-step login, and each login with a recovery
code, is e-mailed to the account (when SMTP is set up), and a refused attempt is not."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.orgs.models import Role, User
from tests.app.test_auth import submit_login
from tests.app.test_two_step import (
    KNOWN_RECOVERY,
    SECRET_ON_PAGE,
    code_at,
    log_out,
    send_code,
    turn_on,
)
from tests.conftest import BASE_URL, Browser, login
from tests.factories import PASSWORD, make_member, make_org
from tests.helpers import SmtpServer, smtp_settings

pytestmark = pytest.mark.db


@pytest.fixture
def ada(session: Session) -> User:
    org = make_org(session, name="Lantern Books")
    return make_member(session, org, Role.owner, email="ada@lantern.example")


def _mails(smtp: SmtpServer) -> list[tuple[str, str]]:  # noqa: F811
    return [(m.message["Subject"], m.message.get_content()) for m in smtp.received]


def test_turning_on_new_codes_and_turning_off_are_each_mailed(
    settings: Settings,
    db: Database,
    ada: User,
    smtp: SmtpServer,
) -> None:
    app = create_app(smtp_settings(settings, smtp.port), db=db)
    with Browser(app, base_url=BASE_URL, follow_redirects=False) as client:
        login(client, ada.email, PASSWORD)
        client.form("/account/two-step/start")
        found = SECRET_ON_PAGE.search(client.get("/account").text)
        assert found
        secret = found.group(1).replace(" ", "")
        assert client.form("/account/two-step/confirm", {"code": "000000"}).status_code == 400
        assert smtp.received == []  # refused: nothing changed, nothing to tell
        assert (
            client.form("/account/two-step/confirm", {"code": code_at(secret)}).status_code == 200
        )

        refused = client.form("/account/two-step/recovery-codes", {"codes_password": "wrong"})
        assert refused.status_code == 400
        made = client.form("/account/two-step/recovery-codes", {"codes_password": PASSWORD})
        assert made.status_code == 200
        off = client.form(
            "/account/two-step/disable",
            {"off_password": PASSWORD, "off_code": code_at(secret, 1)},
        )
        assert off.status_code == 303

    mails = _mails(smtp)
    assert [subject for subject, _ in mails] == [
        "Two-step login was turned on",
        "New recovery codes were made",
        "Two-step login was turned off",
    ]
    assert all(m.recipients == [ada.email] for m in smtp.received)
    for _, body in mails:
        assert ada.email in body and "If it was not, someone else knows your password" in body
        assert secret not in body and PASSWORD not in body


def test_a_login_with_a_recovery_code_is_mailed_and_one_with_the_app_is_not(
    settings: Settings,
    db: Database,
    ada: User,
    smtp: SmtpServer,
) -> None:
    secret = turn_on(db, ada)
    app = create_app(smtp_settings(settings, smtp.port), db=db)
    with Browser(app, base_url=BASE_URL, follow_redirects=False) as client:
        submit_login(client, ada.email, PASSWORD)
        assert send_code(client, code_at(secret)).status_code == 303
        log_out(client)
        assert smtp.received == []

        submit_login(client, ada.email, PASSWORD)
        assert send_code(client, "nothing-like-a-code").status_code == 400
        assert smtp.received == []
        assert send_code(client, KNOWN_RECOVERY[0]).status_code == 303

    [(subject, body)] = _mails(smtp)
    assert subject == "A recovery code was used to log in"
    assert "The account has 1 recovery code left." in body and KNOWN_RECOVERY[0] not in body
