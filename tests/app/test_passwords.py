"""Password rules and the password-change e-mail: OWASP ASVS 2.1.1, 2.1.7 and 2.2.3."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.demo import DEMO_PASSWORD
from app.errors import DomainError
from app.main import create_app
from app.orgs.models import Role, User
from app.orgs.services import user_create
from app.security import MSG_PASSWORD_GUESSABLE, hash_password, password_problem
from tests.browser.conftest import DEMO_PASSWORD as BROWSER_DEMO_PASSWORD
from tests.conftest import BASE_URL, Browser, login
from tests.factories import PASSWORD, make_member, make_org
from tests.helpers import SmtpServer, smtp_settings

pytestmark = pytest.mark.db

NEW_PASSWORD = "lantern quay at dusk"


# --- 2.1.1: at least 12 characters --------------------------------------------------------


def test_new_passwords_need_12_characters(session: Session) -> None:
    with pytest.raises(DomainError) as refused:
        user_create(session=session, email="eleven@example.test", name="", password="plum+ferry9")
    assert (refused.value.field, refused.value.message) == (
        "password",
        "Use at least 12 characters.",
    )
    user_create(session=session, email="twelve@example.test", name="", password="plum+ferry-9")


def test_a_stored_shorter_password_still_logs_in(client: Browser, session: Session) -> None:
    """The rule applies to new and changed passwords; accounts made under the old 10-character
    rule keep working until their owner changes the password."""
    org = make_org(session, name="Old Rules Ltd")
    member = make_member(session, org, Role.owner)
    user = session.get(User, member.id)
    assert user is not None
    user.password_hash = hash_password("ten-chars!")  # 10 characters, allowed before
    session.add(user)
    session.commit()
    login(client, member.email, "ten-chars!")
    assert client.get("/").status_code == 200


# --- 2.1.7: common and easily guessed passwords are refused ---------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # on the breached-password list, with digits
        "qwertyuiop12",  # a keyboard row
        "123456789012",
        "iloveyou1234",
        "Password123!",  # capitals and a symbol do not save it
        "aaaaaaaaaaaa",  # repeats
        "sunshine2024",  # a word and a year
        "touchstone2026",  # the site's own name
        "P@ssw0rd1234",  # l33t spelling of a common one
    ],
)
def test_common_and_guessable_passwords_are_refused(session: Session, password: str) -> None:
    assert len(password) >= 12
    assert password_problem(password) == MSG_PASSWORD_GUESSABLE
    with pytest.raises(DomainError) as refused:
        user_create(session=session, email="someone@example.test", name="", password=password)
    assert (refused.value.field, refused.value.message) == ("password", MSG_PASSWORD_GUESSABLE)


def test_the_accounts_own_name_and_address_are_refused_as_a_password() -> None:
    inputs = ("zorblax.quentworth@example.test", "Zorblax Quentworth")
    assert password_problem("zorblaxquentworth") is None  # a stranger's password is fine
    assert password_problem("zorblaxquentworth", user_inputs=inputs) == MSG_PASSWORD_GUESSABLE


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        DEMO_PASSWORD,
        BROWSER_DEMO_PASSWORD,
        NEW_PASSWORD,
        "plum+ferry-9",
        "Grüße aus Köln, 🔑 der Schlüssel",
        ("correct horse battery staple " * 5)[:128],
    ],
)
def test_passphrases_and_the_projects_own_passwords_are_accepted(password: str) -> None:
    assert password_problem(password, user_inputs=("olivia.owner@demo.example", "Olivia")) is None


def test_a_common_password_is_explained_next_to_the_field_on_the_account_page(
    client: Browser, session: Session
) -> None:
    owner = make_member(session, make_org(session), Role.owner)
    login(client, owner.email, PASSWORD)
    response: Any = client.form(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "password1234",
            "confirm_password": "password1234",
        },
    )
    assert response.status_code == 400
    assert f'<p class="error" id="f-new_password-error">{MSG_PASSWORD_GUESSABLE}</p>' in (
        response.text
    )


# --- 2.2.3: the account is told of a password change ---------------------------------------


def _change(client: Browser, current: str, new: str) -> Any:
    return client.form(
        "/account/password",
        {"current_password": current, "new_password": new, "confirm_password": new},
    )


def _browser(app: FastAPI) -> Browser:
    return Browser(app, base_url=BASE_URL, follow_redirects=False)


def test_a_password_change_is_mailed_to_the_account_without_the_password(
    settings: Settings,
    db: Database,
    session: Session,
    smtp: SmtpServer,
) -> None:
    app = create_app(smtp_settings(settings, smtp.port), db=db)
    owner = make_member(session, make_org(session, name="Harbour Books"), Role.owner)
    with _browser(app) as client:
        login(client, owner.email, PASSWORD)
        assert _change(client, "a wrong guess here", NEW_PASSWORD).status_code == 400
        assert smtp.received == []  # a refused change is not a change

        assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 303

    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert mail.recipients == [owner.email]
    assert mail.message["Subject"] == "Your Touchstone password was changed"
    body = mail.message.get_content()
    assert owner.email in body and "was changed on" in body
    assert "tell an owner of your organization" in body
    assert NEW_PASSWORD not in body and PASSWORD not in body


def test_no_mail_is_sent_without_smtp_host(
    settings: Settings,
    db: Database,
    session: Session,
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not settings.smtp_host
    opened: list[object] = []
    monkeypatch.setattr(smtplib, "SMTP", lambda *a, **k: opened.append(a))
    app = create_app(settings.model_copy(update={"smtp_port": smtp.port}), db=db)
    owner = make_member(session, make_org(session, name="Quiet Shop"), Role.owner)
    with _browser(app) as client:
        login(client, owner.email, PASSWORD)
        assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 303
        assert "Password changed" in client.get("/account").text
    assert opened == [] and smtp.received == []
