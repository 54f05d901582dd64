"""OWASP ASVS 4.0.3 level 1 items that no feature test proved yet (docs/security.md maps
every item to its test): password length and characters, a new session at login, secret
sizes, and that no export a viewer gets identifies a shopper."""

from __future__ import annotations

import base64
import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from app.db import Database
from app.errors import DomainError
from app.orgs.models import Organization, Role, User
from app.orgs.services import user_create
from app.security import MAX_PASSWORD_LENGTH, new_secret
from audits.models import ShopStatus
from tests.conftest import Browser, sign_in
from tests.factories import (
    PASSWORD,
    make_answer,
    make_location,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_token,
    make_touchpoint,
    store_score,
)

pytestmark = pytest.mark.db

# A passphrase as people write them: spaces, accents, an emoji, 100 characters in all.
# Words, not one letter repeated: "pppp…" is refused as too easy to guess (2.1.7).
LONG = "walking the harbour wall at low tide, counting gulls and crab pots " * 2
PASSPHRASE = ("Grüße aus Köln, 🔑 der Schlüssel liegt unter dem blauen Blumentopf " * 2)[:100]


def login_status(client: Browser, email: str, password: str) -> int:
    client.refresh_csrf("/login")
    return client.form("/login", {"email": email, "password": password}).status_code  # type: ignore[attr-defined, no-any-return]


# --- V2 authentication -----------------------------------------------------------------------


def test_long_passphrases_are_accepted_up_to_128_characters(session: Session) -> None:
    """2.1.2: 64 characters and more are allowed; more than 128 are refused, by name."""
    for length in (64, 100, MAX_PASSWORD_LENGTH):
        user_create(
            session=session, email=f"len{length}@example.test", name="", password=LONG[:length]
        )
    with pytest.raises(DomainError) as refused:
        user_create(session=session, email="len129@example.test", name="", password=LONG[:129])
    assert refused.value.field == "password"
    assert refused.value.message == "Use at most 128 characters."


def test_every_character_counts_and_any_character_may_be_used(
    client: Browser, session: Session
) -> None:
    """2.1.3 (no truncation) and 2.1.4 (any printable Unicode, spaces and emoji): the whole
    passphrase logs in; the same one with only its last character changed does not."""
    user_create(session=session, email="poet@example.test", name="Poet", password=PASSPHRASE)
    session.commit()
    almost = PASSPHRASE[:-1] + ("x" if PASSPHRASE[-1] != "x" else "y")
    assert login_status(client, "poet@example.test", almost) == 400
    assert login_status(client, "poet@example.test", PASSPHRASE) == 303


# --- V3 sessions -----------------------------------------------------------------------------


def test_logging_in_makes_a_new_session_so_a_planted_cookie_gains_nothing(
    client: Browser, browser_factory: object, session: Session
) -> None:
    """3.2.1 (session fixation): someone who planted their own cookie in the victim's browser
    before the victim logs in does not share the victim's session afterwards."""
    org = make_org(session, name="Fixation Ltd")
    attacker = make_member(session, org, Role.viewer)
    victim = make_member(session, org, Role.owner)
    assert login_status(client, attacker.email, PASSWORD) == 303
    planted = client.cookies.get("touchstone")
    assert planted

    victims_tab = browser_factory()  # type: ignore[operator]
    victims_tab.cookies.set("touchstone", planted)
    victims_tab.refresh_csrf("/login")
    logged_in = victims_tab.form("/login", {"email": victim.email, "password": PASSWORD})
    assert logged_in.status_code == 303
    issued = logged_in.cookies.get("touchstone")
    assert issued and issued != planted

    # The planted cookie is still only the attacker's own session: no owner pages.
    attackers_view = browser_factory()  # type: ignore[operator]
    attackers_view.cookies.set("touchstone", planted)
    assert attackers_view.get("/people").status_code == 403


def test_session_ids_tokens_and_links_carry_256_random_bits() -> None:
    """3.2.2: session ids, CSRF tokens, invite links and API tokens come from `new_secret`."""
    made = {new_secret() for _ in range(1000)}
    assert len(made) == 1000
    for secret in list(made)[:20]:
        assert len(base64.urlsafe_b64decode(secret + "=")) == 32


# --- privacy: exports given to viewers -------------------------------------------------------

SHOPPER_ID = 987_654  # distinctive, so finding it anywhere in a file means it leaked
SHOPPER_NAME = "Quentin Quillfeather"
SHOPPER_EMAIL = "q.quillfeather@shoppers.example"
EXPORTS = ("/reports/export/{}.csv", "/api/v1/exports/{}.csv")


def _export_privacy_org(session: Session) -> tuple[Organization, User, User, str, str]:
    org = make_org(session, name="Export Privacy Co")
    make_member(session, org, Role.shopper, id=SHOPPER_ID, name=SHOPPER_NAME, email=SHOPPER_EMAIL)
    owner = make_member(session, org, Role.owner)
    viewer = make_member(session, org, Role.viewer)
    touchpoint = make_touchpoint(session, org, name="Greeting")
    question = make_question(session, touchpoint, text="Were you greeted?")
    location = make_location(session, org, name="Harbour Road")
    visited = datetime(2026, 10, 14, 10, tzinfo=UTC)
    for status in (ShopStatus.approved, ShopStatus.submitted):
        shop = make_shop(
            session,
            org,
            location=location,
            touchpoints=[touchpoint],
            shopper_id=SHOPPER_ID,
            status=status,
            visited_at=visited,
            approved_at=visited if status == ShopStatus.approved else None,
            comment=f"Visit by {SHOPPER_NAME}",  # a shopper may even sign a comment
        )
        make_answer(session, shop, question, True, comment="Greeted at once.")
        store_score(session, shop)
    return org, owner, viewer, make_token(session, org, viewer), make_token(session, org, owner)


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def test_a_viewers_exports_never_identify_the_shopper(
    client: Browser, db: Database, session: Session
) -> None:
    """shops.csv and answers.csv, from the page and from the API: no shopper column, and the
    shopper's name, e-mail address and id appear nowhere in the file."""
    org, _, viewer, viewer_token, _ = _export_privacy_org(session)
    sign_in(client, db, viewer, org)
    for template in EXPORTS:
        for name in ("shops", "answers"):
            url = template.format(name)
            headers = {"Authorization": f"Bearer {viewer_token}"} if "/api/" in url else {}
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.text[:300])
            rows = _rows(response.content)
            assert rows, url  # the approved shop is there...
            assert not any("shopper" in column or "user" in column for column in rows[0]), url
            text = response.content.decode()
            for leak in (SHOPPER_NAME, SHOPPER_EMAIL, str(SHOPPER_ID)):
                assert leak not in text, (url, leak)  # ...and nothing says who visited it


def test_owners_exports_do_name_the_shopper(
    client: Browser, db: Database, session: Session
) -> None:
    """The control for the test above: the same data does hold the shopper, for owners."""
    org, owner, _, _, owner_token = _export_privacy_org(session)
    sign_in(client, db, owner, org)
    for template in EXPORTS:
        url = template.format("shops")
        headers = {"Authorization": f"Bearer {owner_token}"} if "/api/" in url else {}
        rows = _rows(client.get(url, headers=headers).content)
        assert [row["shopper"] for row in rows] == [SHOPPER_EMAIL], url


# --- V5 output encoding ----------------------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SAFE = re.compile(r"{{-?\s*([^{}]+?)\s*\|\s*safe\s*-?}}")
# Markup the app makes itself, reviewed: SVG charts and sparklines from reports/charts.py
# (which escapes every label: tests/reports/test_charts.py::test_text_is_escaped), report
# sections rendered by autoescaped templates, the complaint poster's QR code (an SVG of
# squares), and the attributes templates hand to the `field` macro as literals.
REVIEWED_SAFE = {
    "attrs",
    "r.trend_chart()",
    "r.trend_chart(width=340, height=220)",
    "r.trend_chart(height=130)",  # the meeting pack's shorter trend chart
    "html",
    "location_chart",
    "location_chart_narrow",
    "location_chart(r)",
    "c.spark",
    "card.spark",
    "j.spark",  # the journey's sparkline on the owner's start page (reports/charts.py)
    "qr",
}


def test_autoescaping_is_only_switched_off_for_markup_the_app_made() -> None:
    """5.3.3: Jinja escapes everything; `|safe` is a deliberate exception, each one reviewed.
    A new `|safe` fails here until someone checks that no user text reaches it unescaped."""
    found = {
        (path.relative_to(TEMPLATES).as_posix(), expression)
        for path in TEMPLATES.rglob("*.html")
        for expression in SAFE.findall(path.read_text())
    }
    assert found, "the pattern no longer finds the known uses"
    unreviewed = sorted(f"{name}: {expr}|safe" for name, expr in found if expr not in REVIEWED_SAFE)
    assert unreviewed == []
