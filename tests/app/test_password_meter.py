"""The password strength meter (OWASP ASVS 2.1.8): /password/strength answers with the verdict
saving would give (`password_problem`), zxcvbn's score in words and its advice."""

from __future__ import annotations

import html
import logging
import re
from typing import Any

import pytest
from sqlmodel import Session

from app.accounts.routes import STRENGTH_LABELS
from app.db import Database
from app.orgs.models import Organization, Role, User
from app.security import MAX_PASSWORD_LENGTH, password_problem, password_strength
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import make_invite, make_member, make_org

pytestmark = pytest.mark.db

METER = "/password/strength"
LABEL = re.compile(r"<strong data-strength>([^<]+)</strong>")


@pytest.fixture
def org(session: Session) -> Organization:
    return make_org(session, name="Harbour Books")


@pytest.fixture
def member(session: Session, org: Organization) -> User:
    return make_member(session, org, Role.owner, name="Marion Quayle", email="marion@harbour.test")


@pytest.fixture
def browser(client: Browser, db: Database, org: Organization, member: User) -> Browser:
    return sign_in(client, db, member, org)


def _text(response: Any) -> str:
    return html.unescape(response.text)


@pytest.mark.parametrize(
    "password",
    [
        "ferry1",  # short
        "Password123!",  # common, with the usual decorations
        "qwertyuiop12",  # a keyboard run
        "marionquayle1",  # the account's own name
        "password",  # short and among the most common of all
        "lantern quay at dusk",  # strong
        "copper-fjord-velvet-77-mango",  # very strong
    ],
)
def test_the_meter_says_what_saving_would_say(
    browser: Browser, member: User, password: str
) -> None:
    response = browser.htmx("POST", METER, {"new_password": password})
    assert response.status_code == 200  # type: ignore[attr-defined]
    text = _text(response)
    expected = password_problem(password, user_inputs=(member.email, member.name))
    strength = password_strength(password, user_inputs=(member.email, member.name))
    label = LABEL.search(text)
    assert label, text
    assert label.group(1) == STRENGTH_LABELS[strength.score]
    if expected is None:
        assert label.group(1) in ("Strong", "Very strong")
        assert "good to use" in text
        assert 'class="strength-problem"' not in text
    else:
        # A password saving would refuse is never called strong, and the reason is the same.
        assert label.group(1) in ("Too weak", "Weak", "Fair")
        assert expected in text
        assert "good to use" not in text
    for tip in (strength.warning, *strength.suggestions):
        assert tip in text
    if not any(password in tip for tip in (strength.warning, *strength.suggestions)):
        assert password not in text  # the answer never echoes the password


def test_a_weak_and_a_strong_password_get_different_words_and_advice(browser: Browser) -> None:
    weak = _text(browser.htmx("POST", METER, {"new_password": "password1234"}))
    assert "Strength: <strong data-strength>Weak</strong>" in weak
    assert "This password is too common or too easy to guess" in weak
    assert "This is a very common password." in weak  # zxcvbn's own warning
    assert "Add another word or two." in weak  # and its suggestion
    strong = _text(browser.htmx("POST", METER, {"new_password": "copper-fjord-velvet-77-mango"}))
    assert "Very strong" in strong and "good to use" in strong
    assert '<meter min="0" max="4"' in strong


def test_an_empty_field_shows_nothing(browser: Browser) -> None:
    response = browser.htmx("POST", METER, {"new_password": ""})
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.text.strip() == ""  # type: ignore[attr-defined]


def test_over_long_input_is_refused_with_422_unscored(browser: Browser) -> None:
    too_long = "x" * (MAX_PASSWORD_LENGTH + 1)
    response = browser.htmx("POST", METER, {"new_password": too_long})
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert f"Use at most {MAX_PASSWORD_LENGTH} characters." in _text(response)
    assert too_long not in response.text  # type: ignore[attr-defined]
    just_right = browser.htmx("POST", METER, {"new_password": "y" * MAX_PASSWORD_LENGTH})
    assert just_right.status_code == 200  # type: ignore[attr-defined]


def test_without_the_csrf_token_it_is_refused(browser: Browser) -> None:
    response = browser.post(
        METER,
        data={"new_password": "lantern quay at dusk"},
        headers={"HX-Request": "true", "Origin": BASE_URL},
    )
    assert response.status_code == 403
    assert "Very strong" not in response.text and "Strong" not in response.text


def test_the_invitee_needs_no_session_and_their_address_counts(
    client: Browser, session: Session, org: Organization
) -> None:
    """The invite page's meter works before there is an account, and counts the invited
    address and the name typed beside it as easy guesses, as accepting the invite does."""
    invite, raw = make_invite(session, org, email="zorblax.quentworth@example.test")
    page = client.get(f"/invite/{raw}")
    assert 'hx-post="/password/strength"' in page.text
    assert 'aria-live="polite"' in page.text
    assert f"""hx-vals='{{"invite": "{raw}"}}'""" in page.text  # the page sends its invite
    client.refresh_csrf(f"/invite/{raw}")
    password = "zorblaxquentworth"
    assert password_problem(password) is None  # without the address it would pass...
    answer = client.htmx("POST", METER, {"password": password, "invite": raw, "name": ""})
    expected = password_problem(password, user_inputs=(invite.email, ""))
    assert expected is not None  # ...but the invite's address makes it guessable
    assert expected in _text(answer)
    assert "good to use" not in _text(answer)
    # The name typed beside the field counts too.
    _, other = make_invite(session, org, email="someone@example.test")
    named = client.htmx(
        "POST", METER, {"password": password, "invite": other, "name": "Zorblax Quentworth"}
    )
    assert "good to use" not in _text(named)
    plain = client.htmx("POST", METER, {"password": password, "invite": other, "name": "Sam"})
    assert "good to use" in _text(plain)
    # An unknown invite gets the verdict without extra words, and nothing else.
    unknown = client.htmx("POST", METER, {"password": password, "invite": "no-such-invite"})
    assert unknown.status_code == 200  # type: ignore[attr-defined]
    assert "good to use" in _text(unknown)


def test_the_password_appears_in_no_log_record(
    browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "unicorn-marmalade-tessellate-42"
    caplog.set_level(logging.DEBUG)
    for name in ("new_password", "password"):
        response = browser.htmx("POST", METER, {name: secret})
        assert response.status_code == 200  # type: ignore[attr-defined]
    browser.htmx("POST", METER, {"new_password": secret * 5})  # the 422 path too
    assert caplog.records  # something was captured, so the check below means something
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in repr(record.args)
        assert secret not in str(record.__dict__)


def test_the_meter_is_a_page_route_not_part_of_the_api_schema(client: Browser) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["paths"]  # the API is there...
    assert METER not in schema["paths"]  # ...the meter is not
