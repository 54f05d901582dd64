"""The file fallback (issue 13): an owner imports the answers a phone saved to a file.

The file goes through the phone's own save (answer_upsert), so the newest answer by
given_at stands and a second import changes nothing. A bad file changes nothing at all.
Each test reads the database.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import Organization, Role, User
from audits.file_import import FORMAT, VERSION
from audits.models import Answer, Shop, ShopStatus, ShopTouchpoint
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import make_member, make_org, make_question, make_shop, make_touchpoint
from touchpoints.models import Question, Touchpoint

pytestmark = pytest.mark.db


@dataclass
class World:
    org: Organization
    owner: User
    shopper: User
    shop: Shop
    tp: Touchpoint
    yes_no: Question
    number: Question
    client: Browser


@pytest.fixture
def world(session: Session, db: Database, client: Browser) -> World:
    org = make_org(session, name="File Co")
    owner = make_member(session, org, Role.owner)
    shopper = make_member(session, org, Role.shopper)
    tp = make_touchpoint(session, org, name="Counter")
    yes_no = make_question(session, tp, text="Greeted?")
    number = make_question(session, tp, text="Rings?", kind="number", rule="at_most", threshold=3)
    shop = make_shop(
        session,
        org,
        touchpoints=[tp],
        shopper_id=shopper.id,
        created_at=utcnow() - timedelta(days=1),
    )
    sign_in(client, db, owner, org)
    client.refresh_csrf("/")
    return World(org, owner, shopper, shop, tp, yes_no, number, client)


def phone_file(w: World, items: list[dict[str, Any]], **over: Any) -> bytes:
    return json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "shop_id": w.shop.id,
            "user_id": str(w.shopper.id),
            "written_at": utcnow().isoformat(),
            "photos_left_out": 0,
            "items": items,
            **over,
        }
    ).encode()


def answer(question: Question, value: Any, minutes_ago: int, **over: Any) -> dict[str, Any]:
    given = (utcnow() - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    return {
        "kind": "answer",
        "id": str(uuid.uuid4()),
        "question_id": question.id,
        "value": value,
        "not_applicable": False,
        "comment": "",
        "given_at": given,
        **over,
    }


def send(w: World, raw: bytes, name: str = "touchstone-shop.json", header: bool = False) -> Any:
    # header: the token as a header, so that a request refused before the route (by role)
    # leaves no parsed upload behind (the CSRF check would read the form to find its field).
    return w.client.post(
        f"/shops/{w.shop.id}/import",
        data={"csrf_token": w.client.csrf},
        files={"file": (name, raw, "application/json")},
        headers={"Origin": BASE_URL, **({"X-CSRF-Token": w.client.csrf} if header else {})},
        follow_redirects=True,
    )


def answers(session: Session, shop: Shop) -> dict[int, Answer]:
    session.rollback()
    session.expire_all()
    rows = list(session.exec(select(Answer).where(Answer.shop_id == shop.id)))
    by_question = {a.question_id: a for a in rows}
    assert len(by_question) == len(rows)  # one answer per question, never two
    return by_question


def test_a_good_file_applies_once_and_again_changes_nothing(world: World, session: Session) -> None:
    items = [
        answer(world.yes_no, True, 10, comment="Smiled"),
        answer(world.number, 2, 9),
        {"kind": "visit", "visited_at": "2026-01-05T10:30", "duration_minutes": "25"},
        {"kind": "section-comment", "touchpoint_id": world.tp.id, "comment": "Busy"},
    ]
    raw = phone_file(world, items)
    response = send(world, raw)
    assert response.status_code == 200, response.text
    assert "Imported 2 answers" in response.text
    stored = answers(session, world.shop)
    assert stored[world.yes_no.id].value is True
    assert stored[world.yes_no.id].comment == "Smiled"
    assert str(stored[world.yes_no.id].id) == items[0]["id"]
    assert stored[world.number.id].value == 2
    revisions = {q: a.revision for q, a in stored.items()}
    assert set(revisions.values()) == {1}
    shop = session.get(Shop, world.shop.id)
    assert shop is not None
    assert shop.duration_minutes == 25 and shop.status == ShopStatus.in_progress
    link = session.exec(select(ShopTouchpoint).where(ShopTouchpoint.shop_id == shop.id)).one()
    assert link.comment == "Busy"

    again = send(world, raw)
    assert again.status_code == 200
    assert "2 the shop already had" in again.text
    stored = answers(session, world.shop)
    assert {q: a.revision for q, a in stored.items()} == revisions


def test_an_older_answer_in_the_file_is_left_as_it_is(world: World, session: Session) -> None:
    send(world, phone_file(world, [answer(world.yes_no, False, 2)]))
    response = send(
        world, phone_file(world, [answer(world.yes_no, True, 30), answer(world.number, 1, 30)])
    )
    assert response.status_code == 200
    assert (
        "Imported 2 answers (1 was older than what the shop has and was left as it is)"
        in response.text
    )
    stored = answers(session, world.shop)
    assert stored[world.yes_no.id].value is False
    assert stored[world.number.id].value == 1


@pytest.mark.parametrize(
    ("raw", "name", "message"),
    [
        (b"{not json", "phone.json", "cannot be read as JSON"),
        (b'{"format": "other"}', "phone.json", "copy of Touchstone answers"),
        (b"hello", "phone.txt", "Choose the .json file"),
        (b" " * (1024 * 1024 + 10), "phone.json", "larger than 1 MB"),
    ],
)
def test_a_bad_file_is_refused_and_changes_nothing(
    world: World, session: Session, raw: bytes, name: str, message: str
) -> None:
    response = send(world, raw, name)
    assert response.status_code == 400
    assert message in response.text
    assert 'id="import-file-error"' in response.text
    assert answers(session, world.shop) == {}


def test_another_shops_file_is_refused(world: World, session: Session) -> None:
    raw = phone_file(world, [answer(world.yes_no, True, 5)], shop_id=world.shop.id + 1000)
    response = send(world, raw)
    assert response.status_code == 400
    assert "not of this shop" in response.text
    assert answers(session, world.shop) == {}


def test_an_unknown_question_refuses_the_whole_file(world: World, session: Session) -> None:
    other_tp = make_touchpoint(session, world.org, name="Elsewhere")
    stranger = make_question(session, other_tp, text="Not in this shop?")
    raw = phone_file(world, [answer(world.yes_no, True, 5), answer(stranger, True, 5)])
    response = send(world, raw)
    assert response.status_code == 400
    assert "not part of this shop" in response.text
    assert answers(session, world.shop) == {}  # all or nothing: the good answer is not kept


def test_a_bad_value_refuses_the_whole_file(world: World, session: Session) -> None:
    raw = phone_file(world, [answer(world.yes_no, True, 5), answer(world.number, "many", 5)])
    response = send(world, raw)
    assert response.status_code == 400
    assert "Item 2" in response.text
    assert answers(session, world.shop) == {}


def test_an_approved_shop_takes_no_file(world: World, session: Session) -> None:
    shop = session.get(Shop, world.shop.id)
    assert shop is not None
    shop.status = ShopStatus.approved
    session.add(shop)
    session.commit()
    response = send(world, phone_file(world, [answer(world.yes_no, True, 5)]))
    assert response.status_code == 409
    assert answers(session, world.shop) == {}


@pytest.mark.parametrize("role", [Role.viewer, Role.shopper])
def test_viewers_and_shoppers_cannot_import(
    world: World, session: Session, db: Database, role: Role
) -> None:
    user = world.shopper if role == Role.shopper else make_member(session, world.org, role)
    sign_in(world.client, db, user, world.org)
    world.client.refresh_csrf("/account")
    response = send(world, phone_file(world, [answer(world.yes_no, True, 5)]), header=True)
    assert response.status_code in (403, 404)
    assert answers(session, world.shop) == {}


def test_another_orgs_shop_is_not_found(world: World, session: Session) -> None:
    other = make_org(session, name="Other Co")
    theirs = make_shop(session, other)
    response = world.client.post(
        f"/shops/{theirs.id}/import",
        data={"csrf_token": world.client.csrf},
        files={"file": ("x.json", phone_file(world, [], shop_id=theirs.id), "application/json")},
        headers={"Origin": BASE_URL, "X-CSRF-Token": world.client.csrf},
    )
    assert response.status_code == 404


def test_a_visit_in_the_future_refuses_the_whole_file(world: World, session: Session) -> None:
    future = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    raw = phone_file(
        world, [answer(world.yes_no, True, 5), {"kind": "visit", "visited_at": future}]
    )
    response = send(world, raw)
    assert response.status_code == 400
    assert "in the future" in response.text
    assert answers(session, world.shop) == {}


def test_the_files_visit_start_is_kept_without_any_location_check(
    world: World, session: Session
) -> None:
    """The phone's copy carries the start's time only; even a file that carries a position
    records no location check (a position never passes through a manager's hands)."""
    from audits.proof.models import VisitLocationCheck, VisitProof

    started = (utcnow() - timedelta(minutes=12)).isoformat()
    items = [
        {
            "kind": "visit-start",
            "started_at": started,
            "location_check": {"consent": True, "latitude": 51.5, "longitude": -0.12},
        },
        answer(world.yes_no, True, 10),
    ]
    response = send(world, phone_file(world, items))
    assert response.status_code == 200, response.text
    session.rollback()
    session.expire_all()
    proof = session.exec(select(VisitProof).where(VisitProof.shop_id == world.shop.id)).one()
    assert proof.start_at is not None
    assert proof.start_at.isoformat() == started
    assert session.exec(select(VisitLocationCheck)).first() is None
