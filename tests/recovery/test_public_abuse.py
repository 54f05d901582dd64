"""The public complaint form under abuse: floods, oversized bodies, scripts, and robots."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from markupsafe import escape
from sqlmodel import Session, select

from app.config import Settings
from app.orgs.models import Role
from recovery.complaints.routes import MSG_TOO_LARGE, form_token_issue, place_resolve
from recovery.complaints.throttle import MSG_THROTTLED
from recovery.models import PublicPost
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import make_complaint_place, make_member, make_org
from tests.recovery.test_public_form import cases, open_form, send

pytestmark = pytest.mark.db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)><b>bold</b>'
THROTTLE_START = MSG_THROTTLED.split("%(", 1)[0]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.complaint_min_seconds = 0  # machine speed is the point of these tests
    return settings


def _place(session: Session, **names: str) -> tuple[str, object]:
    org = make_org(session, name=names.get("org", "Quayside Books"))
    location = make_complaint_place(session, org, name=names.get("location", "Quay Street"))
    return f"/complain/{org.public_key}/{location.public_key}", org


def _tokens(app: FastAPI, session: Session, path: str, count: int) -> list[str]:
    """Tokens for `count` separately served forms (as a script that loads the page each time)."""
    org_key, location_key = path.removeprefix("/complain/").split("/")
    place = place_resolve(session=session, org_key=org_key, location_key=location_key)
    assert place is not None
    session.rollback()
    return [form_token_issue(app.state.settings, place) for _ in range(count)]


@pytest.mark.slow
def test_a_thousand_posts_from_one_address_open_only_the_allowed_few(
    app: FastAPI, client: Browser, session: Session
) -> None:
    path, _ = _place(session)
    open_form(client, path)
    allowed = app.state.settings.complaint_max_per_window
    statuses: list[int] = []
    refusals = []
    for token in _tokens(app, session, path, 1000):
        response = send(client, path, token, summary="Flood")
        statuses.append(response.status_code)  # type: ignore[attr-defined]
        if response.status_code == 429:  # type: ignore[attr-defined]
            refusals.append(response)
    assert statuses[:allowed] == [303] * allowed
    assert statuses[allowed:] == [429] * (1000 - allowed)
    assert len(cases(session)) == allowed
    # Refused posts leave no rows behind: the table cannot be flooded.
    assert len(session.exec(select(PublicPost)).all()) == allowed

    last = refusals[-1]
    assert THROTTLE_START in last.text
    assert "Flood</textarea>" in last.text  # the customer's words are still there
    assert re.search(r"try again in \d+ minutes?, after \d\d:\d\d", last.text)
    assert 0 < int(last.headers["retry-after"]) <= 10 * 60

    # Another address is not held up by this one.
    neighbour = Browser(app, base_url=BASE_URL, follow_redirects=False, client=("10.9.8.7", 4000))
    _, token = open_form(neighbour, path)
    assert send(neighbour, path, token).status_code == 303  # type: ignore[attr-defined]
    neighbour.close()
    assert len(cases(session)) == allowed + 1


def test_the_daily_ceiling_holds_when_the_short_window_allows_more(
    app: FastAPI, client: Browser, session: Session
) -> None:
    app.state.settings.complaint_max_per_window = 50
    app.state.settings.complaint_max_per_day = 8
    path, _ = _place(session)
    open_form(client, path)
    statuses = [
        send(client, path, token).status_code  # type: ignore[attr-defined]
        for token in _tokens(app, session, path, 12)
    ]
    assert statuses == [303] * 8 + [429] * 4
    assert len(cases(session)) == 8


def test_an_oversized_post_is_refused_before_it_is_read_and_nothing_is_stored(
    app: FastAPI, client: Browser, session: Session
) -> None:
    path, _ = _place(session)
    _, token = open_form(client, path)
    big = "x" * (app.state.settings.complaint_max_bytes + 1)
    refused = send(client, path, token, summary=big)
    assert refused.status_code == 413  # type: ignore[attr-defined]
    assert MSG_TOO_LARGE in refused.text  # type: ignore[attr-defined]

    # Without a Content-Length (chunked), the limit holds while reading.
    def chunks() -> object:
        yield f"csrf_token={client.csrf}&form_token={token}&summary=".encode()
        for _ in range(40):
            yield b"y" * 1024

    chunked = client.post(
        path,
        content=chunks(),  # type: ignore[arg-type]
        headers={"Origin": BASE_URL, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413

    # A Content-Length that is not a number is refused too.
    odd = client.post(path, content=b"a=b", headers={"Content-Length": "12abc", "Origin": BASE_URL})
    assert odd.status_code in (400, 413)

    assert cases(session) == []
    assert session.exec(select(PublicPost)).all() == []

    # A message of the largest size in a non-Latin script still fits (sent as the page
    # sends it, multipart, where letters are not percent-encoded).
    longest = "😀" * 2000
    body = {"csrf_token": client.csrf, "form_token": token, "summary": longest}
    fits = client.post(
        path, files={k: (None, v) for k, v in body.items()}, headers={"Origin": BASE_URL}
    )
    assert fits.status_code == 303, fits.text[:300]
    [case] = cases(session)
    assert case.summary == longest


def test_control_characters_are_removed(client: Browser, session: Session) -> None:
    path, _ = _place(session)
    _, token = open_form(client, path)
    sent = send(
        client,
        path,
        token,
        summary="Cold\x00 soup\x07\r\nand a rude\u202e reply\x1b[31m",
        customer_name="Ann\x00\tExample\n",
        customer_contact="ann@example.test\x0b",
    )
    assert sent.status_code == 303  # type: ignore[attr-defined]
    [case] = cases(session)
    assert case.summary == "Cold soup\nand a rude reply[31m"
    assert case.customer_name == "Ann Example"
    assert case.customer_contact == "ann@example.test"


def test_a_filled_honeypot_is_thanked_and_nothing_is_stored(
    client: Browser, session: Session
) -> None:
    path, _ = _place(session)
    _, token = open_form(client, path)
    bot = send(client, path, token, website="http://spam.example", summary="Buy now")
    assert bot.status_code == 303  # type: ignore[attr-defined]
    thanks = client.get(bot.headers["location"])  # type: ignore[attr-defined]
    assert thanks.status_code == 200 and "Thank you for telling us" in thanks.text
    assert cases(session) == []


def _get_paths(app: FastAPI) -> set[str]:
    return {ctx.path for ctx in iter_route_contexts(app.routes) if "GET" in (ctx.methods or ())}


def test_html_in_every_field_is_stored_as_text_and_never_rendered(
    app: FastAPI, client: Browser, browser_factory: object, session: Session
) -> None:
    path, org = _place(session, org=f"Org {SCRIPT}", location=f"Shop {SCRIPT}")
    page, token = open_form(client, path)
    escaped = str(escape(SCRIPT))  # as Jinja's autoescape writes it
    assert SCRIPT not in page and escaped in page  # the names, on the public form

    # An error page echoes the input: escaped too.
    again = send(client, path, token, summary="", customer_name=SCRIPT, happened_at=SCRIPT)
    assert again.status_code == 400  # type: ignore[attr-defined]
    assert SCRIPT not in again.text and escaped in again.text  # type: ignore[attr-defined]

    sent = send(
        client,
        path,
        token,
        summary=SCRIPT,
        customer_name=SCRIPT,
        customer_contact=SCRIPT,
    )
    assert sent.status_code == 303  # type: ignore[attr-defined]
    thanks = client.get(sent.headers["location"])  # type: ignore[attr-defined]
    assert SCRIPT not in thanks.text and escaped in thanks.text
    assert "<script>alert" not in thanks.text

    [case] = cases(session)
    assert case.summary == SCRIPT and case.customer_contact == SCRIPT

    # The owner's pages and the API show the same text, escaped or as plain JSON strings.
    owner_user = make_member(session, org, Role.owner)  # type: ignore[arg-type]
    owner = sign_in(browser_factory(), app.state.db, owner_user, org)  # type: ignore[operator,arg-type]
    pages = [p for p in ("/recovery", "/recovery/{recovery_case_id}") if p in _get_paths(app)]
    assert pages, "the owner's recovery pages are not registered"
    for template in pages:
        url = template.replace("{recovery_case_id}", str(case.id))
        shown = owner.get(url)
        assert shown.status_code == 200, url
        assert "<script>alert" not in shown.text and "onerror=alert(1)>" not in shown.text, url
        assert "&lt;script&gt;" in shown.text, url
    api = "/api/v1/recovery-cases/{recovery_case_id}"
    if api in _get_paths(app):
        data = owner.get(api.replace("{recovery_case_id}", str(case.id))).json()
        assert data["summary"] == SCRIPT
