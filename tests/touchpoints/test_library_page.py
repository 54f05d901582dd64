"""The template library page: sets on two shelves, what is already on the journey, and adding
a whole business journey or one touchpoint without ever adding one twice."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.db import Database
from app.orgs.models import Organization, Role
from tests.conftest import Browser, sign_in
from tests.factories import make_member, make_org, make_stage, make_touchpoint
from touchpoints.library import GROUP_BUSINESS, GROUP_CHECKLISTS, template_set, template_sets
from touchpoints.models import Touchpoint

SET_CARD = re.compile(r'<details class="card template-set" id="set-([a-z-]+)"')
ALREADY = "Already on your journey"


def text_of(response: Any) -> str:
    return unescape(response.text)  # type: ignore[no-any-return]


def set_card(html: str, key: str) -> str:
    """The HTML of one set's card on the library page."""
    start = html.index(f'id="set-{key}"')
    return html[start : html.index("</details>\n", html.index("</ul>", start))]


def add_all_buttons(html: str) -> dict[str, str]:
    """Each set's "Add all" label (or its absence) as the owner sees it."""
    found = {}
    for key in SET_CARD.findall(html):
        m = re.search(r"Add all (\d+)<span", set_card(html, key))
        found[key] = f"Add all {m.group(1)}" if m else ""
    return found


@pytest.fixture
def owner_org(client: Browser, session: Session, db: Database) -> Organization:
    org = make_org(session, name="Harbour Bikes")
    sign_in(client, db, make_member(session, org, Role.owner), org)
    return org


def live_touchpoints(session: Session) -> list[Touchpoint]:
    session.rollback()  # end the read snapshot, so the app's commits are visible
    session.expire_all()
    return list(session.exec(select(Touchpoint).where(col(Touchpoint.archived_at).is_(None))))


def test_the_library_shows_both_shelves_with_every_set_collapsed(
    client: Browser, owner_org: Organization
) -> None:
    page = client.get("/journey/templates")
    assert page.status_code == 200
    html = text_of(page)
    assert html.index(f">{GROUP_CHECKLISTS}</h2>") < html.index(f">{GROUP_BUSINESS}</h2>")
    assert SET_CARD.findall(html) == [s.key for s in template_sets()]
    for s in template_sets():
        assert f"<h3>{s.name}</h3>" in html
    for business in ("A restaurant", "A hotel", "A retail store", "A car dealership"):
        assert f"<h3>{business}</h3>" in html
    for business in ("A bank branch", "A clinic", "A call centre"):
        assert f"<h3>{business}</h3>" in html
    assert " open>" not in html  # a short list to pick from, not a 10-set wall of text
    assert add_all_buttons(html) == {
        s.key: f"Add all {len(s.touchpoints)}" for s in template_sets()
    }
    assert ALREADY not in html
    # ?set= opens one card, as the journey page's links into the library do.
    opened = text_of(client.get("/journey/templates?set=clinic"))
    assert '<details class="card template-set" id="set-clinic" open>' in opened


def test_a_whole_restaurant_journey_is_added_across_the_stages(
    client: Browser, owner_org: Organization, session: Session
) -> None:
    restaurant = template_set("restaurant")
    assert restaurant is not None
    client.get("/journey/templates")
    applied = client.form("/journey/templates/apply", {"set_key": "restaurant"})
    assert applied.headers["location"] == "/journey"  # type: ignore[attr-defined]
    journey = text_of(client.get("/journey"))
    names = [t.name for t in restaurant.touchpoints]
    assert f"Added {len(names)} touchpoints: {', '.join(names)}." in journey
    for name in names:
        assert name in journey
    added = live_touchpoints(session)
    assert sorted(t.template_key or "" for t in added) == sorted(
        t.key for t in restaurant.touchpoints
    )

    library = text_of(client.get("/journey/templates"))
    card = set_card(library, "restaurant")
    assert card.count(f'<span class="badge">{ALREADY}</span>') == len(names)
    assert 'name="touchpoint_key"' not in card
    assert f"All {len(names)} are on your journey." in card
    assert add_all_buttons(library)["restaurant"] == ""  # nothing left to add: no button


def test_add_all_counts_only_what_is_not_there_yet_and_skips_the_rest(
    client: Browser, owner_org: Organization, session: Session
) -> None:
    five = template_set("five-moments")
    assert five is not None
    client.get("/journey/templates")
    client.form("/journey/templates/apply", {"touchpoint_key": "moments.first-call"})
    library = text_of(client.get("/journey/templates"))
    card = set_card(library, "five-moments")
    assert add_all_buttons(library)["five-moments"] == "Add all 4"
    assert "The other 1 is already on your journey." in card
    assert "1 of 5 on your journey" in card
    first_call = card.index("<strong>First phone call</strong>")
    assert ALREADY in card[first_call : card.index('<li class="template-item">', first_call)]
    assert 'name="touchpoint_key" value="moments.first-call"' not in card
    assert 'name="touchpoint_key" value="moments.walk-in"' in card

    client.form("/journey/templates/apply", {"set_key": "five-moments"})
    journey = text_of(client.get("/journey"))
    assert "Added 4 touchpoints: " in journey
    assert "Already on your journey, not added again: First phone call." in journey
    assert sorted(t.template_key or "" for t in live_touchpoints(session)) == sorted(
        t.key for t in five.touchpoints
    )


def test_the_same_touchpoint_submitted_twice_is_added_once(
    client: Browser, owner_org: Organization, session: Session
) -> None:
    client.get("/journey/templates")
    # A double click, or the same page open in two tabs: both forms carry the same key.
    first = client.form("/journey/templates/apply", {"touchpoint_key": "clinic.reception"})
    second = client.form("/journey/templates/apply", {"touchpoint_key": "clinic.reception"})
    assert first.status_code == second.status_code == 303  # type: ignore[attr-defined]
    journey = text_of(client.get("/journey"))
    assert "Added 1 touchpoint: Reception and waiting." in journey
    assert "Already on your journey, not added again: Reception and waiting." in journey
    assert [t.template_key for t in live_touchpoints(session)] == ["clinic.reception"]
    # The same for a whole set sent twice from two tabs.
    client.form("/journey/templates/apply", {"set_key": "bank"})
    client.form("/journey/templates/apply", {"set_key": "bank"})
    keys = [t.template_key for t in live_touchpoints(session)]
    assert len(keys) == len(set(keys)) == 1 + len(template_set("bank").touchpoints)  # type: ignore[union-attr]


def test_a_hand_made_touchpoint_of_the_same_name_and_stage_counts_as_present(
    client: Browser, owner_org: Organization, session: Session
) -> None:
    stage = make_stage(session, owner_org, name="inquiry")
    make_touchpoint(session, owner_org, stage, name="Booking a table")
    library = text_of(client.get("/journey/templates"))
    card = set_card(library, "restaurant")
    booking = card.index("<strong>Booking a table</strong>")
    assert ALREADY in card[booking : card.index('<li class="template-item">', booking)]
    assert add_all_buttons(library)["restaurant"] == "Add all 5"
    client.form("/journey/templates/apply", {"touchpoint_key": "restaurant.booking"})
    assert "not added again: Booking a table." in text_of(client.get("/journey"))
    assert [t.name for t in live_touchpoints(session)] == ["Booking a table"]


def test_an_archived_touchpoint_can_be_added_again(
    client: Browser, owner_org: Organization, session: Session
) -> None:
    client.get("/journey/templates")
    client.form("/journey/templates/apply", {"touchpoint_key": "hotel.room"})
    (room,) = live_touchpoints(session)
    client.form(f"/touchpoints/{room.id}/archive", {})
    library = text_of(client.get("/journey/templates"))
    assert ALREADY not in set_card(library, "hotel")
    assert add_all_buttons(library)["hotel"] == "Add all 6"
