"""Two-step login (TOTP): setting it up, the second login step, throttling, replays,
recovery codes, turning it off, and the organization's "owners must use it" setting."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.accounts import services as two_step
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.orgs import services
from app.orgs.models import LoginAttempt, Organization, Role, User, UserSession
from app.security import digest
from app.tenancy import MSG_TWO_STEP_REQUIRED
from tests.app.test_auth import count, field_error, form_error, html, is_logged_out, submit_login
from tests.conftest import BASE_URL, Browser, login, sign_in
from tests.factories import PASSWORD, make_member, make_org, make_token

pytestmark = pytest.mark.db

SECRET_ON_PAGE = re.compile(r'id="totp-secret">([^<]+)<')
RECOVERY_LIST = re.compile(r'<ol class="recovery-codes mono">(.*?)</ol>', re.S)
KNOWN_RECOVERY = ["abcde-fghjk", "mnpqr-stuvw"]


def code_at(secret: str, steps_ahead: int = 0) -> str:
    """The code of the current time step, or of one `steps_ahead` (still within ±1 step)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def turn_on(db: Database, user: User) -> str:
    """Give `user` two-step login directly in the database (the set-up page has its test)."""
    secret = pyotp.random_base32()
    with db.session() as s:
        row = s.get(User, user.id)
        assert row is not None
        row.totp_secret = secret
        row.totp_recovery_hashes = [digest(c.replace("-", "")) for c in KNOWN_RECOVERY]
        s.add(row)
        s.commit()
    return secret


def stored(db: Database, user: User) -> User:
    with db.session() as s:
        row = s.get(User, user.id)
        assert row is not None
        s.expunge(row)
        return row


def log_out(client: Browser) -> None:
    client.refresh_csrf("/account")  # a login rotates the token
    assert client.form("/logout").status_code == 303  # type: ignore[attr-defined]
    client.refresh_csrf("/login")


def send_code(client: Browser, code: str) -> Any:
    return client.form("/login/code", {"code": code})


@pytest.fixture
def own_app(settings: Settings, db: Database) -> Iterator[Any]:
    clients: list[Browser] = []

    def make(**changes: Any) -> Browser:
        app: FastAPI = create_app(settings.model_copy(update=changes), db=db)
        client = Browser(app, base_url=BASE_URL, follow_redirects=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def org(session: Session) -> Organization:
    return make_org(session, name="Lantern Books")


@pytest.fixture
def owner(session: Session, org: Organization) -> User:
    return make_member(session, org, Role.owner)


# --- setting it up -----------------------------------------------------------------------


def test_setting_up_shows_a_qr_code_and_the_key_and_needs_a_right_code(
    client: Browser, db: Database, owner: User
) -> None:
    login(client, owner.email, PASSWORD)
    page = client.get("/account").text
    assert "Set up two-step login" in page

    assert client.form("/account/two-step/start").status_code == 303
    page = client.get("/account").text
    assert 'src="data:image/svg+xml' in page  # the QR code, inline (CSP: img-src data:)
    match = SECRET_ON_PAGE.search(page)
    assert match, page
    secret = match.group(1).replace(" ", "")
    assert len(secret) == 32
    assert stored(db, owner).totp_secret is None  # nothing is stored before it is confirmed

    wrong = client.form("/account/two-step/confirm", {"code": "000000"})
    assert wrong.status_code == 400
    assert field_error(wrong.text, "code") == html(two_step.MSG_SETUP_CODE_WRONG)
    assert stored(db, owner).totp_secret is None

    right = client.form("/account/two-step/confirm", {"code": code_at(secret)})
    assert right.status_code == 200
    listing = RECOVERY_LIST.search(right.text)
    assert listing, right.text
    codes = re.findall(r"<li>([a-z0-9-]+)</li>", listing.group(1))
    assert len(codes) == 10 and len(set(codes)) == 10
    user = stored(db, owner)
    assert user.totp_secret == secret
    # Recovery codes are kept as digests only and shown this once.
    assert user.totp_recovery_hashes is not None and len(user.totp_recovery_hashes) == 10
    assert not any(c in str(user.totp_recovery_hashes) for c in codes)
    again = client.get("/account").text
    assert "recovery-codes mono" not in again and codes[0] not in again
    assert "10 of 10 recovery codes left" in again
    assert secret not in again


def test_turning_it_on_logs_out_the_other_sessions(
    client: Browser, browser_factory: Any, db: Database, org: Organization, owner: User
) -> None:
    other = sign_in(browser_factory(), db, owner, org)
    login(client, owner.email, PASSWORD)
    client.form("/account/two-step/start")
    secret = SECRET_ON_PAGE.search(client.get("/account").text).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert client.form("/account/two-step/confirm", {"code": code_at(secret)}).status_code == 200
    assert is_logged_out(other)
    assert client.get("/account").status_code == 200


# --- logging in --------------------------------------------------------------------------


def test_login_asks_for_the_code_before_any_session_and_keeps_next(
    client: Browser, db: Database, owner: User
) -> None:
    secret = turn_on(db, owner)

    first = submit_login(client, owner.email, PASSWORD, next="/locations")
    assert first.status_code == 303 and first.headers["location"] == "/login/code"
    assert count(db, UserSession) == 0  # a right password alone makes no session
    assert is_logged_out(client)
    page = client.get("/login/code")
    assert page.status_code == 200 and "Enter your code" in page.text

    done = send_code(client, code_at(secret, 1))
    assert done.status_code == 303 and done.headers["location"] == "/locations"
    assert count(db, UserSession, UserSession.user_id == owner.id) == 1
    assert client.get("/locations").status_code == 200


def test_wrong_password_never_reaches_the_code_page(
    client: Browser, db: Database, owner: User
) -> None:
    turn_on(db, owner)
    assert submit_login(client, owner.email, "not the password").status_code == 400
    response = client.get("/login/code")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert send_code(client, "123456").headers["location"] == "/login"


def test_wrong_codes_count_with_wrong_passwords_and_are_throttled(
    own_app: Any, session: Session, db: Database
) -> None:
    client = own_app(login_max_failures_per_account=3, login_max_failures_per_address=50)
    org = make_org(session)
    owner = make_member(session, org, Role.owner)
    secret = turn_on(db, owner)
    throttled = html(services.MSG_LOGIN_THROTTLED % {"minutes": 15})

    assert submit_login(client, owner.email, PASSWORD).status_code == 303
    wrong = send_code(client, "000000")
    assert wrong.status_code == 400
    assert field_error(wrong.text, "code") == html(two_step.MSG_CODE_WRONG)
    assert send_code(client, "not-a-code").status_code == 400
    # The right password again does not wipe the count of wrong codes.
    assert submit_login(client, owner.email, PASSWORD).status_code == 303
    assert count(db, LoginAttempt, LoginAttempt.email == owner.email) == 2
    assert send_code(client, "111111").status_code == 400

    blocked = send_code(client, code_at(secret, 1))  # even the right code, now
    assert blocked.status_code == 429
    assert form_error(blocked.text) == throttled
    assert submit_login(client, owner.email, PASSWORD).status_code == 429
    assert count(db, UserSession) == 0


def test_a_code_is_refused_the_second_time(client: Browser, db: Database, owner: User) -> None:
    secret = turn_on(db, owner)
    when = time.time() + 30  # the next step's code: valid now, and not used at set-up
    code = pyotp.TOTP(secret).at(when)
    submit_login(client, owner.email, PASSWORD)
    assert send_code(client, code).status_code == 303
    assert stored(db, owner).totp_last_step == pyotp.TOTP(secret).timecode(when)
    log_out(client)

    submit_login(client, owner.email, PASSWORD)
    replay = send_code(client, code)
    assert replay.status_code == 400
    assert field_error(replay.text, "code") == html(two_step.MSG_CODE_WRONG)
    assert is_logged_out(client)


def test_codes_from_further_than_one_step_away_are_refused(db: Database, owner: User) -> None:
    secret = turn_on(db, owner)
    user = stored(db, owner)
    now = datetime.now(UTC)
    totp = pyotp.TOTP(secret)

    def code(steps: int) -> str:
        return totp.at(now + timedelta(seconds=30 * steps))

    assert not two_step.code_accept(user=user, code=code(-2), now=now)
    assert not two_step.code_accept(user=user, code=code(2), now=now)
    assert two_step.code_accept(user=user, code=code(-1), now=now)
    # After a step is used, neither it nor an earlier one works.
    assert not two_step.code_accept(user=user, code=code(-1), now=now)
    assert two_step.code_accept(user=user, code=code(0), now=now)
    assert not two_step.code_accept(user=user, code=code(-1), now=now)
    assert two_step.code_accept(user=user, code=code(1), now=now)


def test_a_recovery_code_works_once(client: Browser, db: Database, owner: User) -> None:
    turn_on(db, owner)
    submit_login(client, owner.email, PASSWORD)
    # Typed in capitals and without the hyphen, as people do.
    assert send_code(client, " ABCDEFGHJK ").status_code == 303
    assert len(stored(db, owner).totp_recovery_hashes or []) == 1
    assert "1 of 10 recovery codes left" in client.get("/account").text
    log_out(client)

    submit_login(client, owner.email, PASSWORD)
    assert send_code(client, KNOWN_RECOVERY[0]).status_code == 400
    assert send_code(client, KNOWN_RECOVERY[1]).status_code == 303


def test_a_stale_pending_login_is_refused(
    client: Browser, db: Database, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = turn_on(db, owner)
    submit_login(client, owner.email, PASSWORD)
    later = time.time() + two_step.PENDING_SECONDS + 1
    monkeypatch.setattr(two_step, "epoch_seconds", lambda: later)  # the one clock
    response = send_code(client, code_at(secret))
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert is_logged_out(client)


# --- turning it off ----------------------------------------------------------------------


def test_turning_it_off_needs_the_password_and_a_code(
    client: Browser, db: Database, owner: User
) -> None:
    secret = turn_on(db, owner)
    submit_login(client, owner.email, PASSWORD)
    send_code(client, KNOWN_RECOVERY[0])
    client.refresh_csrf("/account")

    no_password = client.form(
        "/account/two-step/disable", {"off_password": "wrong", "off_code": code_at(secret)}
    )
    assert no_password.status_code == 400
    assert field_error(no_password.text, "off_password") == html(services.MSG_WRONG_PASSWORD)
    bad_code = client.form(
        "/account/two-step/disable", {"off_password": PASSWORD, "off_code": "000000"}
    )
    assert bad_code.status_code == 400
    assert field_error(bad_code.text, "off_code") == html(two_step.MSG_CODE_WRONG)
    assert stored(db, owner).totp_secret is not None

    off = client.form(
        "/account/two-step/disable", {"off_password": PASSWORD, "off_code": code_at(secret, 1)}
    )
    assert off.status_code == 303
    user = stored(db, owner)
    assert (user.totp_secret, user.totp_last_step, user.totp_recovery_hashes) == (None, None, None)
    log_out(client)
    assert submit_login(client, owner.email, PASSWORD).headers["location"] == "/"


# --- new recovery codes ------------------------------------------------------------------


def listed_codes(page: str) -> list[str]:
    listing = RECOVERY_LIST.search(page)
    assert listing, page
    return re.findall(r"<li>([a-z0-9-]+)</li>", listing.group(1))


def set_codes_left(db: Database, user: User, left: int) -> None:
    with db.session() as s:
        row = s.get(User, user.id)
        assert row is not None
        row.totp_recovery_hashes = [digest(f"code{n}") for n in range(left)]
        s.add(row)
        s.commit()


def test_new_recovery_codes_replace_every_old_one(
    client: Browser, db: Database, owner: User
) -> None:
    turn_on(db, owner)
    submit_login(client, owner.email, PASSWORD)
    assert send_code(client, KNOWN_RECOVERY[0]).status_code == 303
    client.refresh_csrf("/account")
    page = client.get("/account").text
    assert "1 of 10 recovery codes left" in page
    assert "Only 1 recovery code is left. Make new ones below before you run out." in page
    before = stored(db, owner).totp_recovery_hashes

    wrong = client.form("/account/two-step/recovery-codes", {"codes_password": "not my password"})
    assert wrong.status_code == 400
    assert field_error(wrong.text, "codes_password") == html(services.MSG_WRONG_PASSWORD)
    assert "recovery-codes mono" not in wrong.text
    assert stored(db, owner).totp_recovery_hashes == before
    assert count(db, LoginAttempt) == 1  # a wrong password here counts like one at login

    right = client.form("/account/two-step/recovery-codes", {"codes_password": PASSWORD})
    assert right.status_code == 200
    assert "New recovery codes made. Your old ones no longer work." in right.text
    assert (
        "Save these recovery codes now" in right.text and "They are not shown again." in right.text
    )
    codes = listed_codes(right.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    hashes = stored(db, owner).totp_recovery_hashes or []
    assert len(hashes) == 10 and not any(c in str(hashes) for c in codes)

    again = client.get("/account").text
    assert "10 of 10 recovery codes left" in again
    assert "recovery-codes mono" not in again and codes[0] not in again
    assert 'id="recovery-low"' not in again

    # The old code that was never used is gone too; a new one works, once.
    log_out(client)
    submit_login(client, owner.email, PASSWORD)
    assert send_code(client, KNOWN_RECOVERY[1]).status_code == 400
    assert send_code(client, codes[3].upper()).status_code == 303
    log_out(client)
    submit_login(client, owner.email, PASSWORD)
    assert send_code(client, codes[3]).status_code == 400


def test_new_recovery_codes_in_place_with_htmx(
    client: Browser, db: Database, org: Organization, owner: User
) -> None:
    turn_on(db, owner)
    sign_in(client, db, owner, org)

    wrong = client.htmx("POST", "/account/two-step/recovery-codes", {"codes_password": ""})
    assert wrong.status_code == 400  # type: ignore[attr-defined]
    text = wrong.text  # type: ignore[attr-defined]
    # Only the two-step section comes back, with the message under its password field.
    assert text.lstrip().startswith('<section class="card two-step" id="two-step">')
    assert "<html" not in text and "Change password" not in text
    assert field_error(text, "codes_password") == html(services.MSG_WRONG_PASSWORD)

    right = client.htmx("POST", "/account/two-step/recovery-codes", {"codes_password": PASSWORD})
    assert right.status_code == 200  # type: ignore[attr-defined]
    assert right.text.lstrip().startswith('<section class="card two-step"')  # type: ignore[attr-defined]
    codes = listed_codes(right.text)  # type: ignore[attr-defined]
    assert len(codes) == 10
    assert stored(db, owner).totp_recovery_hashes == [digest(c.replace("-", "")) for c in codes]


@pytest.mark.parametrize(
    ("left", "warning"),
    [
        (0, "You have no recovery codes left: if you lose your phone, only the person who runs"),
        (2, "Only 2 recovery codes are left. Make new ones below before you run out."),
        (3, None),
    ],
)
def test_the_account_page_warns_when_few_recovery_codes_are_left(
    client: Browser, db: Database, org: Organization, owner: User, left: int, warning: str | None
) -> None:
    turn_on(db, owner)
    set_codes_left(db, owner, left)
    sign_in(client, db, owner, org)
    page = client.get("/account").text
    assert f"{left} of 10 recovery codes left" in page
    if warning is None:
        assert 'id="recovery-low"' not in page
    else:
        assert warning in page


def test_no_new_recovery_codes_while_two_step_is_off(
    client: Browser, db: Database, org: Organization, owner: User
) -> None:
    sign_in(client, db, owner, org)
    assert "Make new recovery codes" not in client.get("/account").text
    response = client.form("/account/two-step/recovery-codes", {"codes_password": PASSWORD})
    assert response.status_code == 400
    assert form_error(response.text) == html(two_step.MSG_NOT_ON)
    assert stored(db, owner).totp_recovery_hashes is None


# --- the operator's reset (the command itself: test_two_step_reset.py) -----------------------


def test_the_operators_reset_turns_it_off_and_logs_the_user_out(
    client: Browser, browser_factory: Any, db: Database, org: Organization, owner: User
) -> None:
    turn_on(db, owner)
    phone = sign_in(browser_factory(), db, owner, org)
    # Half-way through a login: the password was right, the code is still to come.
    submit_login(client, owner.email, PASSWORD)

    with db.session() as s:
        user = s.get(User, owner.id)
        assert user is not None
        assert two_step.two_step_reset(session=s, user=user) == 1
        s.commit()

    user = stored(db, owner)
    assert (user.totp_secret, user.totp_last_step, user.totp_recovery_hashes) == (None, None, None)
    assert is_logged_out(phone)
    # The half-done login is void; the password alone logs in now.
    assert send_code(client, KNOWN_RECOVERY[0]).headers["location"] == "/login"
    client.refresh_csrf("/login")
    assert submit_login(client, owner.email, PASSWORD).headers["location"] == "/"


# --- the organization's requirement ------------------------------------------------------


def test_owners_without_it_are_sent_to_the_account_page(
    client: Browser, browser_factory: Any, session: Session, db: Database, org: Organization
) -> None:
    owner = make_member(session, org, Role.owner)
    viewer = make_member(session, org, Role.viewer)
    org.owners_two_step = True
    session.add(org)
    session.commit()
    login(client, owner.email, PASSWORD)

    for path in ("/", "/settings", "/people"):
        response = client.get(path, follow_redirects=True)
        assert response.url.path == "/account", path
        assert "asks its owners to use two-step login" in response.text
    api = client.get("/api/v1/organization/settings")
    assert api.status_code == 401 and api.json()["detail"] == MSG_TWO_STEP_REQUIRED
    # API tokens are made on the server and stay as they are.
    token = make_token(session, org, owner)
    with_token = client.get(
        "/api/v1/organization/settings", headers={"Authorization": f"Bearer {token}"}
    )
    assert with_token.status_code == 200 and with_token.json()["owners_two_step"] is True
    # Only owners are asked.
    staff = login(browser_factory(), viewer.email, PASSWORD)
    assert staff.get("/").status_code == 200

    client.form("/account/two-step/start")
    secret = SECRET_ON_PAGE.search(client.get("/account").text).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert client.form("/account/two-step/confirm", {"code": code_at(secret)}).status_code == 200
    assert client.get("/settings").status_code == 200


def test_the_setting_on_the_page_and_in_the_api(
    client: Browser, session: Session, db: Database, org: Organization, owner: User
) -> None:
    turn_on(db, owner)
    sign_in(client, db, owner, org)
    page = client.get("/settings").text
    assert 'name="owners_two_step"' in page and "Owners must use two-step login" in page
    form = {
        "name": org.name,
        "timezone": org.timezone,
        "alert_margin": "10",
        "near_target": "5",
        "retention": "days",
        "contact_retention_days": "365",
    }
    assert client.form("/settings", {**form, "owners_two_step": "on"}).status_code == 303
    session.commit()
    session.refresh(org)
    assert org.owners_two_step is True
    assert "checked" in client.get("/settings").text.split('name="owners_two_step"')[1][:20]
    assert client.form("/settings", form).status_code == 303  # unticked: off again
    session.commit()
    session.refresh(org)
    assert org.owners_two_step is False

    auth = {"Authorization": f"Bearer {make_token(session, org, owner)}"}
    bad = client.patch(
        "/api/v1/organization/settings", json={"owners_two_step": "yes"}, headers=auth
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "owners_two_step"
    ok = client.patch("/api/v1/organization/settings", json={"owners_two_step": True}, headers=auth)
    assert ok.status_code == 200 and ok.json()["owners_two_step"] is True
