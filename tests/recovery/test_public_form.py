"""The public complaint form as a customer meets it: what it shows, and the case it opens."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session, select

from app.config import Settings
from app.modelbase import utcnow
from app.orgs.models import Location, Organization, Role
from recovery.complaints.routes import (
    _FORM_SALT,
    MSG_FORM_BROKEN,
    MSG_FORM_OLD,
    MSG_NOT_FOUND,
    MSG_SUMMARY_EMPTY,
    MSG_SUMMARY_LONG,
    MSG_TOO_FAST,
    MSG_WHEN_FORMAT,
    MSG_WHEN_FUTURE,
    SUMMARY_MAX,
)
from recovery.models import CaseSource, RecoveryCase
from tests.conftest import CSRF_META, Browser
from tests.factories import make_complaint_place, make_member, make_org

pytestmark = pytest.mark.db

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
REFERENCE = re.compile(r"data-reference>([A-Z2-9]{8})<")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Tests post at machine speed; the one test about speed sets its own minimum, and the
    # throttle has its own tests (test_public_abuse.py).
    settings.complaint_min_seconds = 0
    settings.complaint_max_per_window = 100
    settings.complaint_max_per_day = 100
    return settings


@dataclass
class Place:
    org: Organization
    here: Location
    elsewhere: Location

    @property
    def org_path(self) -> str:
        return f"/complain/{self.org.public_key}"

    @property
    def path(self) -> str:
        return f"/complain/{self.org.public_key}/{self.here.public_key}"


def make_place(session: Session, name: str = "Ferry Lane Bakery") -> Place:
    org = make_org(session, name=name, timezone="Europe/Berlin")
    slug = name.split()[0].lower()
    make_member(session, org, Role.owner, name="Priya Hidden", email=f"priya.{slug}@example.test")
    make_member(session, org, Role.shopper, name="Sid Secret", email=f"sid.{slug}@example.test")
    here = make_complaint_place(session, org, name="Harbour Street")
    elsewhere = make_complaint_place(session, org, name="Market Square")
    return Place(org=org, here=here, elsewhere=elsewhere)


def open_form(client: Browser, path: str) -> tuple[str, str]:
    """GET the form as a phone would; returns (page html, its form token)."""
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    csrf = CSRF_META.search(page.text)
    token = FORM_TOKEN.search(page.text)
    assert csrf and token
    client.csrf = csrf.group(1)
    return page.text, token.group(1)


def send(client: Browser, path: str, token: str, **fields: str) -> object:
    data = {
        "summary": "The bread I bought this morning was stale.",
        "happened_at": "",
        "customer_name": "",
        "customer_contact": "",
        "form_token": token,
        **fields,
    }
    return client.form(path, data)


def cases(session: Session) -> list[RecoveryCase]:
    session.rollback()  # a new snapshot: the app has committed since the last look
    return list(session.exec(select(RecoveryCase)).all())


def test_the_page_names_the_organization_and_location_and_nothing_else(
    client: Browser, session: Session
) -> None:
    place = make_place(session)
    other = make_place(session, name="Other Bakery Ltd")

    html, _ = open_form(client, place.path)
    assert "Ferry Lane Bakery" in html and "Harbour Street" in html
    assert "What happened?" in html and "delete them after 365 days" in html
    for secret in (
        "Market Square",  # another location of the same organization
        "Priya Hidden",
        "priya.ferry@example.test",
        "Sid Secret",
        "sid.ferry@example.test",
        "Other Bakery Ltd",
        'href="/recovery',
        'href="/shops',
    ):
        assert secret not in html, secret

    whole, _ = open_form(client, place.org_path)
    assert "Ferry Lane Bakery" in whole
    assert "Harbour Street" not in whole and "Market Square" not in whole
    assert other.org.public_key not in whole


def test_unknown_or_mismatched_keys_are_a_friendly_404(client: Browser, session: Session) -> None:
    place = make_place(session)
    other = make_place(session, name="Other Bakery Ltd")
    paths = [
        "/complain/AAAAAAAAAAAAAAAA",
        f"/complain/{place.org.public_key}/AAAAAAAAAAAAAAAA",
        # Another organization's location behind this organization's key.
        f"/complain/{place.org.public_key}/{other.here.public_key}",
        f"/complain/{other.org.public_key}/{place.here.public_key}",
        "/complain/%00%01",
        "/complain/" + "x" * 300,
        f"/complain/{place.org.public_key}/thanks?c=forged",
    ]
    for path in paths:
        page = client.get(path)
        assert page.status_code == 404, path
        assert MSG_NOT_FOUND in page.text
        assert "Ferry Lane" not in page.text and "Harbour Street" not in page.text


def test_a_complaint_opens_a_case_and_the_thanks_page_gives_its_reference(
    client: Browser, session: Session
) -> None:
    place = make_place(session)
    _, token = open_form(client, place.path)
    before = utcnow()
    sent = send(
        client,
        place.path,
        token,
        summary="  The bread was stale and nobody listened.  ",
        customer_name="Ann Example",
        customer_contact="ann@example.test",
    )
    assert sent.status_code == 303  # type: ignore[attr-defined]
    thanks_at = sent.headers["location"]  # type: ignore[attr-defined]
    assert thanks_at.startswith(f"/complain/{place.org.public_key}/thanks?c=")

    page = client.get(thanks_at)
    assert page.status_code == 200
    assert "Thank you for telling us" in page.text and "Harbour Street" in page.text
    assert "within 24 hours" in page.text
    reference = REFERENCE.search(page.text)
    assert reference

    [case] = cases(session)
    assert case.reference == reference.group(1)
    assert case.org_id == place.org.id and case.location_id == place.here.id
    assert case.source == CaseSource.complaint_form
    assert case.created_by is None and case.touchpoint_id is None
    assert case.summary == "The bread was stale and nobody listened."
    assert (case.customer_name, case.customer_contact) == ("Ann Example", "ann@example.test")
    # The 24-hour window starts when the business hears of it: now.
    assert before <= case.reported_at <= utcnow()

    # Reloading the thanks page shows it again and posts nothing.
    again = client.get(thanks_at)
    assert again.status_code == 200 and reference.group(1) in again.text
    assert len(cases(session)) == 1


def test_the_whole_organization_form_opens_a_case_without_a_location(
    client: Browser, session: Session
) -> None:
    place = make_place(session)
    _, token = open_form(client, place.org_path)
    # Sent the way the page sends it: multipart/form-data.
    body = {
        "csrf_token": client.csrf,
        "form_token": token,
        "summary": "Nobody answered the phone all week.",
        "happened_at": "",
        "customer_name": "",
        "customer_contact": "",
    }
    sent = client.post(
        place.org_path,
        files={k: (None, v) for k, v in body.items()},
        headers={"Origin": "http://testserver"},
    )
    assert sent.status_code == 303, sent.text[:500]
    [case] = cases(session)
    assert case.location_id is None and case.org_id == place.org.id


def test_a_double_submit_opens_one_case(client: Browser, session: Session) -> None:
    place = make_place(session)
    _, token = open_form(client, place.path)
    first = send(client, place.path, token)
    second = send(client, place.path, token)
    assert first.status_code == second.status_code == 303  # type: ignore[attr-defined]
    assert first.headers["location"] == second.headers["location"]  # type: ignore[attr-defined]
    assert len(cases(session)) == 1

    # A second form served later is a second complaint.
    _, other_token = open_form(client, place.path)
    assert send(client, place.path, other_token).status_code == 303  # type: ignore[attr-defined]
    assert len(cases(session)) == 2


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="f-{field}-error">([^<]*)</p>', html)
    assert found, f"no message next to {field}"
    return found.group(1)


def test_mistakes_are_named_next_to_their_field_and_the_input_is_kept(
    client: Browser, session: Session
) -> None:
    place = make_place(session)
    _, token = open_form(client, place.path)

    empty = send(client, place.path, token, summary="   ", customer_name="Ann Example")
    assert empty.status_code == 400  # type: ignore[attr-defined]
    assert _field_error(empty.text, "summary") == MSG_SUMMARY_EMPTY  # type: ignore[attr-defined]
    assert 'value="Ann Example"' in empty.text  # type: ignore[attr-defined]

    long = send(client, place.path, token, summary="x" * (SUMMARY_MAX + 1))
    assert _field_error(long.text, "summary") == MSG_SUMMARY_LONG % {  # type: ignore[attr-defined]
        "max": f"{SUMMARY_MAX:,}",
        "n": f"{SUMMARY_MAX + 1:,}",
    }

    tomorrow = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo("Europe/Berlin"))
    future = send(client, place.path, token, happened_at=tomorrow.strftime("%Y-%m-%dT%H:%M"))
    assert _field_error(future.text, "happened_at") == MSG_WHEN_FUTURE  # type: ignore[attr-defined]

    garbled = send(client, place.path, token, happened_at="yesterday-ish")
    assert _field_error(garbled.text, "happened_at") == MSG_WHEN_FORMAT  # type: ignore[attr-defined]

    too_long_name = send(client, place.path, token, customer_name="n" * 121)
    assert "120 characters" in _field_error(too_long_name.text, "customer_name")  # type: ignore[attr-defined]
    assert cases(session) == []

    # The same form, corrected, still goes through.
    assert send(client, place.path, token).status_code == 303  # type: ignore[attr-defined]
    assert len(cases(session)) == 1


def test_when_it_happened_is_kept_with_the_message_in_the_org_time_zone(
    client: Browser, session: Session
) -> None:
    place = make_place(session)
    _, token = open_form(client, place.path)
    earlier = (utcnow() - timedelta(days=2)).astimezone(ZoneInfo("Europe/Berlin"))
    stamp = earlier.strftime("%Y-%m-%dT%H:%M")
    assert send(client, place.path, token, happened_at=stamp).status_code == 303  # type: ignore[attr-defined]
    [case] = cases(session)
    assert case.summary.endswith(f"When it happened: {earlier:%d %b %Y, %H:%M}")
    assert utcnow() - case.reported_at < timedelta(minutes=1)


def test_when_left_at_the_time_the_form_opened_adds_nothing(
    client: Browser, session: Session
) -> None:
    place = make_place(session)
    _, token = open_form(client, place.path)
    # The field comes filled with "now"; a customer who leaves it means "just now".
    stamp = (utcnow() - timedelta(minutes=5)).astimezone(ZoneInfo("Europe/Berlin"))
    happened = stamp.strftime("%Y-%m-%dT%H:%M")
    assert send(client, place.path, token, happened_at=happened).status_code == 303  # type: ignore[attr-defined]
    [case] = cases(session)
    assert "When it happened" not in case.summary


def test_a_form_sent_quicker_than_a_person_types_is_refused(
    app: FastAPI, client: Browser, session: Session
) -> None:
    app.state.settings.complaint_min_seconds = 60
    place = make_place(session)
    _, token = open_form(client, place.path)
    quick = send(client, place.path, token, summary="Spam spam spam")
    assert quick.status_code == 400  # type: ignore[attr-defined]
    assert MSG_TOO_FAST in quick.text  # type: ignore[attr-defined]
    assert "Spam spam spam" in quick.text  # type: ignore[attr-defined]
    assert cases(session) == []


def test_form_tokens_are_bound_to_their_form_and_expire(
    app: FastAPI, client: Browser, session: Session
) -> None:
    place = make_place(session)
    _, token = open_form(client, place.path)
    for bad in ("", "not-a-token", token[:-2] + "xx"):
        refused = send(client, place.path, bad)
        assert refused.status_code == 400 and MSG_FORM_BROKEN in refused.text  # type: ignore[attr-defined]
    # A token served with one location's form does not work on another's.
    elsewhere = f"/complain/{place.org.public_key}/{place.elsewhere.public_key}"
    assert MSG_FORM_BROKEN in send(client, elsewhere, token).text  # type: ignore[attr-defined]

    class ThirteenHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 13 * 3600

    secret = app.state.settings.secret_key
    old = URLSafeTimedSerializer(secret, salt=_FORM_SALT, signer=ThirteenHoursAgo).dumps(
        {"p": place.path, "n": "old-nonce"}
    )
    stale = send(client, place.path, old)
    assert stale.status_code == 400 and MSG_FORM_OLD in stale.text  # type: ignore[attr-defined]
    # The refreshed page carries a new token that works.
    fresh = FORM_TOKEN.search(stale.text)  # type: ignore[attr-defined]
    assert fresh and fresh.group(1) != old
    assert send(client, place.path, fresh.group(1)).status_code == 303  # type: ignore[attr-defined]
    assert len(cases(session)) == 1


def test_the_form_needs_the_csrf_token_its_page_set(client: Browser, session: Session) -> None:
    place = make_place(session)
    _, token = open_form(client, place.path)
    client.csrf = "forged"
    assert send(client, place.path, token).status_code == 403  # type: ignore[attr-defined]
    stranger = Browser(client.app, base_url="http://testserver", follow_redirects=False)
    assert send(stranger, place.path, token).status_code == 403  # type: ignore[attr-defined]
    stranger.close()
    assert cases(session) == []


def test_two_posts_of_one_form_that_race_still_open_one_case(
    client: Browser, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second of two simultaneous posts misses the first one's case when it looks, then
    meets its unique reference when it saves: it is sent to the same thanks page."""
    import recovery.complaints.routes

    place = make_place(session)
    _, token = open_form(client, place.path)
    first = send(client, place.path, token)
    real = recovery.complaints.routes._case_exists
    looks: list[str] = []

    def racing_look(s: Session, reference: str) -> bool:
        looks.append(reference)
        return False if len(looks) == 1 else real(s, reference)

    monkeypatch.setattr(recovery.complaints.routes, "_case_exists", racing_look)
    second = send(client, place.path, token)
    assert second.status_code == 303  # type: ignore[attr-defined]
    assert second.headers["location"] == first.headers["location"]  # type: ignore[attr-defined]
    assert len(looks) == 2  # the save met the first case's reference, then it looked again
    assert len(cases(session)) == 1
