"""Single sign-on against a real OpenID Connect provider (tests/oidc: the certified
`oidc-provider` package run with Node), the browser's part played by two HTTP clients: the
app's test client and an httpx client for the provider's pages. The server-to-server part
(discovery, the token with PKCE, the signed ID token, userinfo) is the real thing.

tests/browser/test_sso.py does the same in headless Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from app.accounts import oidc, sso
from app.config import Settings
from app.db import Database
from app.orgs.models import Invite, Membership, Organization, Role, User
from app.orgs.services import MSG_INVITE_OTHER_ADDRESS
from tests.app.test_two_step import code_at, turn_on
from tests.conftest import BASE_URL, TEST_SECRET_KEY, Browser, app_for, free_port
from tests.factories import make_member, make_org
from tests.oidc_provider import Account, Provider, running_provider

pytestmark = [pytest.mark.db, pytest.mark.slow]

ADA = Account("ada@example.com", True, "Ada Lovelace")  # has an account
GRACE = Account("grace@example.com", True, "Grace Hopper")  # has one, with two-step login
UNVERIFIED = Account("bob@example.com", False, "Bob Unverified")  # has one, address unverified
STRANGER = Account("stranger@example.com", True, "Stranger")  # verified, no account
NEWCOMER = Account("newcomer@example.com", True, "New Comer")  # invited, no account yet
FLASH = re.compile(r'<p class="flash flash-error">(.*?)</p>', re.S)
INVITE_LINK = re.compile(r'id="invite-link"[^>]*value="http://testserver(/invite/[^"]+)"')


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    accounts = [ADA, GRACE, UNVERIFIED, STRANGER, NEWCOMER]
    with running_provider([BASE_URL + oidc.CALLBACK_PATH], accounts, log) as started:
        yield started


def sso_settings(tmp_path: Path, provider: Provider, **more: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        secret_key=TEST_SECRET_KEY,
        data_dir=tmp_path,
        base_url=BASE_URL,
        database_url=f"sqlite:///{tmp_path / 'test.db'}",
        jobs="off",
        oidc_issuer=provider.issuer,
        oidc_client_id=provider.client_id,
        oidc_client_secret=provider.client_secret,
        oidc_name="Test Identity",
        **more,
    )


@pytest.fixture
def settings(tmp_path: Path, provider: Provider) -> Settings:
    return sso_settings(tmp_path, provider)


@pytest.fixture
def org(session: Session) -> Organization:
    org = make_org(session, name="Harbour Cafe")
    for account in (ADA, GRACE, UNVERIFIED):
        make_member(session, org, Role.owner, email=account.email)
    return org


def at_provider(client: Browser, start: str, account: Account, password: str) -> httpx.Response:
    """Follow `start` on the app to the provider, log in there as `account`, and come back:
    the app's answer to the provider's redirect (or the app's own answer, if it never went)."""
    first = client.get(start)
    if first.status_code != 302:
        return first  # type: ignore[no-any-return]
    with httpx.Client(follow_redirects=False, timeout=30) as idp:
        answer = idp.get(first.headers["location"])
        while answer.status_code in (302, 303) and not _is_app(answer):
            answer = idp.get(httpx.URL(str(answer.url)).join(answer.headers["location"]))
        if _is_app(answer):  # no login page: the provider answered at once (an error)
            return _back_to_app(client, answer)
        assert answer.status_code == 200 and "Test identity provider" in answer.text
        action = re.search(r'<form method="post" action="([^"]+)"', answer.text)
        assert action, answer.text
        answer = idp.post(
            answer.url.join(unescape(action.group(1))),
            data={"login": account.email, "password": password},
        )
        while not _is_app(answer):
            assert answer.status_code in (302, 303), answer.text
            answer = idp.get(answer.url.join(answer.headers["location"]))
        return _back_to_app(client, answer)


def _is_app(answer: httpx.Response) -> bool:
    return answer.headers.get("location", "").startswith(BASE_URL)


def _back_to_app(client: Browser, answer: httpx.Response) -> httpx.Response:
    back = urlsplit(answer.headers["location"])
    return client.get(f"{back.path}?{back.query}")  # type: ignore[no-any-return]


def me(client: Browser) -> dict[str, Any] | None:
    response = client.get("/api/v1/me")
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


def refusal(client: Browser, answer: Any, page: str = "/login") -> str:
    """The message the page shows after the app refused a login through the provider."""
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == page
    shown = client.get(page)
    found = FLASH.search(shown.text)
    assert found, shown.text
    return unescape(found.group(1))


def test_the_login_page_offers_single_sign_on_only_when_set_up(
    client: Browser, tmp_path: Path, db: Database
) -> None:
    page = client.get("/login").text
    assert 'href="/login/sso?next=/"' in page and "Log in with Test Identity" in page

    plain = Settings(
        _env_file=None,  # type: ignore[call-arg]
        secret_key=TEST_SECRET_KEY,
        data_dir=tmp_path,
        base_url=BASE_URL,
        database_url=f"sqlite:///{tmp_path / 'test.db'}",
        jobs="off",
    )
    with Browser(app_for(plain, db), base_url=BASE_URL, follow_redirects=False) as other:
        assert "Log in with" not in other.get("/login").text
        assert other.get("/login/sso").status_code == 404
        assert other.get(oidc.CALLBACK_PATH + "?code=x&state=y").status_code == 404


def test_settings_refuse_half_a_provider(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET"):
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            secret_key=TEST_SECRET_KEY,
            oidc_issuer="https://id.example.com",
            oidc_client_id="touchstone",
        )


def test_a_verified_address_logs_into_its_existing_account(
    client: Browser, provider: Provider, org: Organization, session: Session
) -> None:
    users_before = len(session.exec(select(User)).all())
    answer = at_provider(client, "/login/sso?next=/account", ADA, provider.password)

    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    found = me(client)
    assert found is not None
    assert found["user"]["email"] == ADA.email
    assert found["organization"]["name"] == "Harbour Cafe"
    assert client.get("/account").status_code == 200
    assert len(session.exec(select(User)).all()) == users_before  # nobody was made
    # A session like any other: logging out ends it.
    client.refresh_csrf("/account")
    assert client.form("/logout").status_code == 303  # type: ignore[attr-defined]
    assert me(client) is None


def test_an_unknown_address_is_refused_and_no_account_is_made(
    client: Browser, provider: Provider, org: Organization, session: Session
) -> None:
    answer = at_provider(client, "/login/sso", STRANGER, provider.password)

    assert refusal(client, answer) == sso.MSG_UNKNOWN % {
        "name": "Test Identity",
        "email": STRANGER.email,
    }
    assert me(client) is None
    assert session.exec(select(User).where(User.email == STRANGER.email)).first() is None


def test_an_unverified_address_is_refused_even_when_an_account_has_it(
    client: Browser, provider: Provider, org: Organization
) -> None:
    answer = at_provider(client, "/login/sso", UNVERIFIED, provider.password)

    message = refusal(client, answer)
    assert message == sso.MSG_UNVERIFIED % {"name": "Test Identity", "email": UNVERIFIED.email}
    assert "has not verified" in message
    assert me(client) is None


def test_cancelling_at_the_provider_says_so(
    client: Browser, provider: Provider, org: Organization
) -> None:
    first = client.get("/login/sso")
    with httpx.Client(follow_redirects=True, timeout=30) as idp:
        page = idp.get(first.headers["location"])
        abort = re.search(r'href="(/interaction/[^"]+/abort)"', page.text)
        assert abort, page.text
        answer = idp.get(page.url.join(abort.group(1)), follow_redirects=False)
        while not _is_app(answer):
            answer = idp.get(answer.url.join(answer.headers["location"]), follow_redirects=False)
    assert "error=access_denied" in answer.headers["location"]

    back = _back_to_app(client, answer)
    assert refusal(client, back) == oidc.MSG_CANCELLED % {"name": "Test Identity"}
    assert me(client) is None


def test_a_forged_or_replayed_answer_is_refused(
    client: Browser, provider: Provider, org: Organization
) -> None:
    # No login was started in this browser: the state matches nothing.
    forged = client.get(oidc.CALLBACK_PATH + "?code=made-up&state=made-up")
    assert refusal(client, forged) == oidc.MSG_EXPIRED % {"name": "Test Identity"}

    # A real answer from the provider, used once, then again: the second is refused.
    first = client.get("/login/sso")
    state = parse_qs(urlsplit(first.headers["location"]).query)["state"][0]
    client.cookies.clear()
    replay = client.get(f"{oidc.CALLBACK_PATH}?code=anything&state={state}")
    assert refusal(client, replay) == oidc.MSG_EXPIRED % {"name": "Test Identity"}
    # An error the provider names is shown as such, never as a server error.
    other = client.get(f"{oidc.CALLBACK_PATH}?error=server_error&state={state}")
    assert refusal(client, other) == oidc.MSG_FAILED % {
        "name": "Test Identity",
        "reason": "server_error",
    }
    assert me(client) is None


def test_an_unreachable_provider_is_a_message_not_a_server_error(
    tmp_path: Path, db: Database, provider: Provider
) -> None:
    dead = sso_settings(tmp_path, provider).model_copy(
        update={"oidc_issuer": f"http://127.0.0.1:{free_port()}"}
    )
    with Browser(app_for(dead, db), base_url=BASE_URL, follow_redirects=False) as client:
        answer = client.get("/login/sso")
        assert refusal(client, answer) == oidc.MSG_UNREACHABLE % {"name": "Test Identity"}


def test_two_step_login_is_asked_after_the_provider_unless_left_to_it(
    client: Browser, provider: Provider, org: Organization, db: Database, tmp_path: Path
) -> None:
    grace = db_user(db, GRACE.email)
    secret = turn_on(db, grace)

    # By default Touchstone still asks for its own code.
    answer = at_provider(client, "/login/sso", GRACE, provider.password)
    assert answer.headers["location"] == "/login/code"
    assert me(client) is None
    client.refresh_csrf("/login/code")
    done = client.form("/login/code", {"code": code_at(secret)})
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert (me(client) or {})["user"]["email"] == GRACE.email

    # OIDC_TWO_STEP_AT_PROVIDER: the provider's own second step stands for it.
    trusting = sso_settings(tmp_path, provider, oidc_two_step_at_provider=True)
    app: FastAPI = app_for(trusting, db)
    with Browser(app, base_url=BASE_URL, follow_redirects=False) as other:
        answer = at_provider(other, "/login/sso", GRACE, provider.password)
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        assert (me(other) or {})["user"]["email"] == GRACE.email


def db_user(db: Database, email: str) -> User:
    with db.session() as s:
        return s.exec(select(User).where(User.email == email)).one()


def invite(client: Browser, db: Database, org: Organization, email: str) -> str:
    """An owner of `org` invites `email` as staff; the invite link's path."""
    owner = db_user(db, ADA.email)
    from tests.conftest import sign_in

    sign_in(client, db, owner, org)
    client.refresh_csrf("/people")
    page = client.form("/people/invites", {"email": email, "role": "viewer"})
    found = INVITE_LINK.search(page.text)  # type: ignore[attr-defined]
    assert found, page.text  # type: ignore[attr-defined]
    client.cookies.clear()
    return found.group(1)


def test_an_invite_is_accepted_through_the_provider(
    browser_factory: Any, provider: Provider, org: Organization, db: Database, session: Session
) -> None:
    link = invite(browser_factory(), db, org, NEWCOMER.email)
    guest: Browser = browser_factory()
    page = guest.get(link).text
    assert f'href="{link}/sso"' in page and "Join with Test Identity" in page

    answer = at_provider(guest, f"{link}/sso", NEWCOMER, provider.password)

    assert answer.status_code == 303 and answer.headers["location"] == "/"
    found = me(guest)
    assert found is not None and found["user"]["email"] == NEWCOMER.email
    assert found["organization"]["name"] == "Harbour Cafe"
    user = session.exec(select(User).where(User.email == NEWCOMER.email)).one()
    assert user.name == NEWCOMER.name
    membership = session.exec(select(Membership).where(Membership.user_id == user.id)).one()
    assert membership.role == Role.viewer
    # The link is used up.
    assert guest.get(link).status_code == 410


def test_an_invite_for_another_address_is_not_accepted(
    browser_factory: Any, provider: Provider, org: Organization, db: Database, session: Session
) -> None:
    link = invite(browser_factory(), db, org, "someone.else@example.com")
    guest: Browser = browser_factory()

    answer = at_provider(guest, f"{link}/sso", NEWCOMER, provider.password)

    assert refusal(guest, answer, page=link) == MSG_INVITE_OTHER_ADDRESS % {
        "invited": "someone.else@example.com",
        "email": NEWCOMER.email,
    }
    assert me(guest) is None
    pending = session.exec(select(Invite).where(Invite.email == "someone.else@example.com")).one()
    assert pending.accepted_at is None
    assert session.exec(select(User).where(User.email == NEWCOMER.email)).first() is None
