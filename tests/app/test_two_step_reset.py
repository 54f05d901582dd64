"""`touchstone two-step-reset EMAIL`: the operator turns two-step login off for a user who
lost their phone. Run through Typer's CliRunner against an empty database, as test_cli.py
runs the other commands."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import User, UserSession
from app.security import digest
from tests.app.test_cli import count, database_url, db, env, fails, ok  # noqa: F401
from tests.factories import make_user
from tests.helpers import SmtpServer

pytestmark = pytest.mark.db

EMAIL = "ada@example.test"


def ada_with_two_step(db: Database, sessions: int = 2) -> int:  # noqa: F811
    """Ada, with two-step login on and `sessions` logins; returns her id."""
    ok("migrate")
    with db.session() as s:
        user = make_user(s, email=EMAIL, name="Ada")
        user.totp_secret = pyotp.random_base32()
        user.totp_last_step = 1
        user.totp_recovery_hashes = [digest("abcdefghjk")]
        s.add(user)
        for n in range(sessions):
            expires = utcnow() + timedelta(hours=1)
            s.add(UserSession(token_hash=digest(f"s{n}"), user_id=user.id, expires_at=expires))
        s.commit()
        assert user.id is not None
        return user.id


def test_reset_turns_two_step_off_and_ends_every_session(db: Database) -> None:  # noqa: F811
    user_id = ada_with_two_step(db, sessions=2)
    with db.session() as s:
        bystander = make_user(s, email="bea@example.test")
        s.add(UserSession(token_hash=digest("b"), user_id=bystander.id, expires_at=utcnow()))
        s.commit()

    result = ok("two-step-reset", " ADA@example.test ")

    assert "Two-step login is off for ada@example.test" in result.output
    assert "2 sessions were logged out" in result.output
    assert "SMTP is not set up, so no e-mail was sent; tell them yourself." in result.output
    with db.session() as s:
        user = s.get(User, user_id)
        assert user is not None
        assert (user.totp_secret, user.totp_last_step, user.totp_recovery_hashes) == (
            None,
            None,
            None,
        )
    assert count(db, UserSession, UserSession.user_id == user_id) == 0
    assert count(db, UserSession) == 1  # someone else's login is left alone


def test_reset_of_an_unknown_address_is_a_clear_error(db: Database) -> None:  # noqa: F811
    user_id = ada_with_two_step(db)
    result = fails("two-step-reset", "nobody@example.test")
    assert "No user with e-mail nobody@example.test; nothing was changed." in result.stderr
    assert "Traceback" not in result.output
    with db.session() as s:
        user = s.get(User, user_id)
        assert user is not None and user.two_step_on


def test_reset_when_two_step_is_already_off_changes_nothing(db: Database) -> None:  # noqa: F811
    ok("migrate")
    with db.session() as s:
        user = make_user(s, email=EMAIL)
        s.add(UserSession(token_hash=digest("x"), user_id=user.id, expires_at=utcnow()))
        s.commit()
    result = ok("two-step-reset", EMAIL)
    assert "Two-step login is already off for ada@example.test; nothing to do." in result.output
    assert count(db, UserSession) == 1


def test_reset_is_mailed_to_the_user_when_smtp_is_set_up(
    db: Database,  # noqa: F811
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ada_with_two_step(db)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("SMTP_STARTTLS", "0")
    monkeypatch.setenv("SMTP_FROM", "touchstone@example.test")

    result = ok("two-step-reset", EMAIL)

    assert "An e-mail telling ada@example.test about this was sent." in result.output
    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert mail.recipients == [EMAIL]
    assert mail.message["Subject"] == "Two-step login was turned off"
    body = mail.message.get_content()
    assert "turned off by the person who runs the Touchstone server" in body
    assert "If you did not ask for it, change your password at once" in body
