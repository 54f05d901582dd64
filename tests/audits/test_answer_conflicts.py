"""Two devices, one answer (issue 13): the newest by the shopper's time is kept.

Every answer carries `given_at`, the time the shopper gave it by the phone's clock. The
server keeps the answer given last, not the last to arrive: an older save changes nothing
and its acknowledgement says so (`applied: false`) with the server's newer answer. On a tie
the later arrival wins. A time after the server received the answer, or before the shop was
planned, cannot be true and counts as the receive time. The API's PUT takes `given_at` too,
optionally. Each assertion reads the database, not only the reply.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import Organization, Role, User
from audits.models import Answer, Shop
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import (
    make_member,
    make_org,
    make_question,
    make_shop,
    make_token,
    make_touchpoint,
)
from touchpoints.models import Question

pytestmark = pytest.mark.db

QUEUE = {"Accept": "application/json", "Origin": BASE_URL}


@dataclass
class Shopper:
    org: Organization
    user: User
    shop: Shop
    yes_no: Question
    number: Question
    client: Browser
    token: str

    def send(
        self, question: Question, value: Any, given_at: datetime | str | None, **body: Any
    ) -> Any:
        """As touchstone-queue.js sends an answer: a phone's own id, the phone's time."""
        payload: dict[str, Any] = {
            "id": str(body.pop("id", uuid.uuid4())),
            "question_id": question.id,
            "value": value,
            **body,
        }
        if isinstance(given_at, datetime):
            payload["given_at"] = given_at.isoformat().replace("+00:00", "Z")
        elif given_at is not None:
            payload["given_at"] = given_at
        response = self.client.post(
            f"/shops/{self.shop.id}/answers",
            json=payload,
            headers={**QUEUE, "X-CSRF-Token": self.client.csrf},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def put(self, question: Question, value: Any, **body: Any) -> Any:
        """The API's PUT, with the shopper's bearer token."""
        answer_id = body.pop("answer_id", None) or uuid.uuid4()
        return self.client.put(
            f"/api/v1/shops/{self.shop.id}/answers/{answer_id}",
            json={"question_id": question.id, "value": value, **body},
            headers={"Authorization": f"Bearer {self.token}"},
        )


@pytest.fixture
def shopper(session: Session, db: Database, client: Browser) -> Shopper:
    org = make_org(session, name="Two Phones Co")
    user = make_member(session, org, Role.shopper)
    tp = make_touchpoint(session, org, name="Counter")
    yes_no = make_question(session, tp, text="Greeted?")
    number = make_question(session, tp, text="Rings?", kind="number", rule="at_most", threshold=3)
    # Planned a day ago, so that answers given minutes ago are after the shop existed.
    shop = make_shop(
        session, org, touchpoints=[tp], shopper_id=user.id, created_at=utcnow() - timedelta(days=1)
    )
    token = make_token(session, org, user)
    sign_in(client, db, user, org)
    return Shopper(org, user, shop, yes_no, number, client, token)


def stored(session: Session, shop: Shop, question: Question) -> Answer:
    session.rollback()
    session.expire_all()
    rows = list(
        session.exec(
            select(Answer).where(Answer.shop_id == shop.id, Answer.question_id == question.id)
        )
    )
    assert len(rows) == 1
    return rows[0]


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_an_older_answer_does_not_overwrite_a_newer_one(shopper: Shopper, session: Session) -> None:
    now = utcnow()
    newer, older = now - timedelta(minutes=2), now - timedelta(minutes=10)
    # Phone A answers "no" at 14:02; phone B's "yes" from 13:54 arrives after it.
    first = shopper.send(shopper.yes_no, "no", newer)
    assert first["applied"] is True and first["revision"] == 1
    ack = shopper.send(shopper.yes_no, "yes", older, comment="From B")

    # Acknowledged (the phone drops it from its queue), but not applied: the server's newer
    # answer comes back with it.
    assert ack["ok"] is True and ack["ack"] == "answer"
    assert ack["question_id"] == shopper.yes_no.id
    assert ack["applied"] is False
    assert (ack["value"], ack["not_applicable"], ack["comment"]) == (False, False, "")
    assert at(ack["given_at"]) == newer
    assert ack["revision"] == 1
    assert ack["id"] == first["id"] != ack["sent_id"]

    answer = stored(session, shopper.shop, shopper.yes_no)
    assert (answer.value, answer.comment, answer.given_at, answer.revision) == (
        False,
        "",
        newer,
        1,
    )


def test_a_newer_answer_replaces_an_older_one_and_counts_a_revision(
    shopper: Shopper, session: Session
) -> None:
    now = utcnow()
    shopper.send(shopper.number, 5, now - timedelta(minutes=10))
    ack = shopper.send(shopper.number, 2, now - timedelta(minutes=1), comment="Quick.")
    assert ack["applied"] is True
    assert (ack["value"], ack["comment"], ack["revision"]) == (2, "Quick.", 2)
    answer = stored(session, shopper.shop, shopper.number)
    assert (answer.value, answer.comment, answer.revision) == (2, "Quick.", 2)
    assert answer.given_at == now - timedelta(minutes=1)


def test_sending_the_same_answer_again_changes_no_revision(
    shopper: Shopper, session: Session
) -> None:
    given = utcnow() - timedelta(minutes=3)
    sent = uuid.uuid4()
    shopper.send(shopper.number, 2, given, id=sent)
    again = shopper.send(shopper.number, 2, given, id=sent)  # the acknowledgement was lost
    assert again["applied"] is True and again["revision"] == 1
    assert stored(session, shopper.shop, shopper.number).revision == 1


def test_on_a_tie_the_later_arrival_wins(shopper: Shopper, session: Session) -> None:
    same = utcnow() - timedelta(minutes=5)
    shopper.send(shopper.yes_no, "yes", same)
    ack = shopper.send(shopper.yes_no, "no", same)
    assert ack["applied"] is True and ack["value"] is False and ack["revision"] == 2
    answer = stored(session, shopper.shop, shopper.yes_no)
    assert (answer.value, answer.given_at, answer.revision) == (False, same, 2)


def test_a_time_in_the_future_counts_as_the_receive_time(
    shopper: Shopper, session: Session
) -> None:
    before = utcnow()
    ack = shopper.send(shopper.yes_no, "yes", before + timedelta(days=365))
    after = utcnow()
    answer = stored(session, shopper.shop, shopper.yes_no)
    assert before <= answer.given_at <= after
    assert at(ack["given_at"]) == answer.given_at
    # So a clock running a year ahead cannot lock the answer: a true later one replaces it.
    later = shopper.send(shopper.yes_no, "no", utcnow())
    assert later["applied"] is True
    assert stored(session, shopper.shop, shopper.yes_no).value is False


def test_a_time_before_the_shop_was_planned_counts_as_the_receive_time(
    shopper: Shopper, session: Session
) -> None:
    before = utcnow()
    shopper.send(shopper.yes_no, "yes", datetime.fromisoformat("1970-01-01T00:00:00+00:00"))
    assert stored(session, shopper.shop, shopper.yes_no).given_at >= before


def test_without_a_time_or_with_one_unreadable_the_receive_time_counts(
    shopper: Shopper, session: Session
) -> None:
    before = utcnow()
    ack = shopper.send(shopper.yes_no, "yes", None)
    assert ack["applied"] is True
    assert stored(session, shopper.shop, shopper.yes_no).given_at >= before
    # An unreadable time never costs the answer: it is kept, as received.
    ack = shopper.send(shopper.number, 3, "half past two")
    assert ack["applied"] is True
    answer = stored(session, shopper.shop, shopper.number)
    assert answer.value == 3 and answer.given_at >= before


def test_the_api_put_takes_given_at_and_keeps_the_newer_answer(
    shopper: Shopper, session: Session
) -> None:
    now = utcnow()
    newer = now - timedelta(minutes=1)
    first = shopper.put(shopper.number, 1, given_at=newer.isoformat())
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["applied"] is True and body["revision"] == 1
    assert at(body["given_at"]) == newer

    older = shopper.put(shopper.number, 4, given_at=(now - timedelta(hours=1)).isoformat())
    assert older.status_code == 200, older.text
    body = older.json()
    assert body["applied"] is False
    assert (body["value"], body["display"], body["revision"]) == (1, "1 (passes: at most 3)", 1)
    answer = stored(session, shopper.shop, shopper.number)
    assert (answer.value, answer.given_at, answer.revision) == (1, newer, 1)


def test_the_api_put_without_given_at_counts_the_receive_time(
    shopper: Shopper, session: Session
) -> None:
    shopper.send(shopper.yes_no, "yes", utcnow() - timedelta(minutes=30))
    before = utcnow()
    response = shopper.put(shopper.yes_no, False)
    assert response.status_code == 200, response.text
    assert response.json()["applied"] is True and response.json()["revision"] == 2
    answer = stored(session, shopper.shop, shopper.yes_no)
    assert answer.value is False and answer.given_at >= before


def test_the_api_put_refuses_a_time_without_its_offset(shopper: Shopper, session: Session) -> None:
    response = shopper.put(shopper.yes_no, True, given_at="2026-03-02T14:02:00")
    assert response.status_code == 422
    session.rollback()
    assert list(session.exec(select(Answer).where(Answer.shop_id == shopper.shop.id))) == []


def test_the_fill_page_carries_the_servers_time_and_revision(
    shopper: Shopper, session: Session
) -> None:
    given = utcnow() - timedelta(minutes=4)
    shopper.send(shopper.yes_no, "no", given)
    page = shopper.client.get(f"/shops/{shopper.shop.id}/fill?section=1")
    assert page.status_code == 200
    stamp = given.isoformat()
    assert f"&#34;given_at&#34;: &#34;{stamp}&#34;" in page.text or f'"given_at": "{stamp}"' in (
        page.text
    )
    assert "&#34;revision&#34;: 1" in page.text or '"revision": 1' in page.text
