"""The answer saves' lane (audits/fill/lane.py) answers as the routes do, and steps aside to
them whenever it should: here, when another process holds SQLite's write lock (the lane
runs on the event loop and must never wait for it there)."""

from __future__ import annotations

import sqlite3
import threading
import uuid

import pytest
from sqlmodel import Session, select

from app.db import Database
from app.orgs.models import Role
from audits.models import Answer
from tests.audits.test_save_cost import ROUTE_API_AUTH, Saving, make_saving, recorded
from tests.conftest import Browser
from tests.factories import make_member, make_token

pytestmark = pytest.mark.db


@pytest.fixture
def saving(session: Session, db: Database, client: Browser) -> Saving:
    return make_saving(session, db, client)


def test_the_lane_and_the_route_give_the_same_reply(saving: Saving) -> None:
    q1, q2 = saving.questions[0], saving.questions[1]
    with recorded(saving.db) as first:
        by_route = saving.api(q1, True, uuid.uuid4())  # the shop's first answer: the route's
    with recorded(saving.db) as second:
        by_lane = saving.api(q2, True, uuid.uuid4())
    assert ROUTE_API_AUTH[1] in first.sql and ROUTE_API_AUTH[1] in second.sql
    assert "SELECT question" in first.sql and "SELECT question" not in second.sql
    assert by_route.status_code == by_lane.status_code == 200
    assert by_route.json().keys() == by_lane.json().keys()
    assert by_route.headers.keys() == by_lane.headers.keys()
    page = saving.page(q1, False, uuid.uuid4())  # another id for the stored answer: updated
    assert page.status_code == 200
    assert (page.json()["answered"], page.json()["value"], page.json()["revision"]) == (2, False, 2)


def test_a_save_waits_for_another_process_s_write_lock_in_the_thread_pool(
    saving: Saving, db: Database, session: Session
) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite's write lock")
    q1, q2 = saving.questions[0], saving.questions[1]
    assert saving.api(q1, True, uuid.uuid4()).status_code == 200  # the shop is in progress
    other = sqlite3.connect(
        db.engine.url.database or "", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")  # another process's write, holding the lock
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    try:
        with recorded(saving.db) as waited:
            answer_id = uuid.uuid4()
            reply = saving.api(q2, True, answer_id)
    finally:
        release.join()
        other.close()
    # The lane's BEGIN IMMEDIATE failed at once; the route's waited for the lock.
    assert reply.status_code == 200, reply.text
    assert waited.transactions == 2, waited.statements
    assert "SELECT question" in waited.sql
    session.rollback()
    stored = session.exec(select(Answer).where(Answer.id == answer_id)).one()
    assert stored.question_id == q2


def test_a_viewer_s_token_is_refused_by_the_route(session: Session, saving: Saving) -> None:
    viewer = make_member(session, saving.org, Role.viewer)
    token = make_token(session, saving.org, viewer)
    reply = saving.client.put(
        f"/api/v1/shops/{saving.shop_id}/answers/{uuid.uuid4()}",
        json={"question_id": saving.questions[0], "value": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 403, reply.text


def test_a_body_not_sent_as_json_is_judged_by_the_route(saving: Saving) -> None:
    assert saving.api(saving.questions[0], True, uuid.uuid4()).status_code == 200
    reply = saving.client.put(
        f"/api/v1/shops/{saving.shop_id}/answers/{uuid.uuid4()}",
        content=b'{"question_id": %d, "value": true}' % saving.questions[1],
        headers={"Authorization": f"Bearer {saving.token}", "Content-Type": "text/plain"},
    )
    assert reply.status_code == 422, reply.text  # FastAPI does not read it as JSON
