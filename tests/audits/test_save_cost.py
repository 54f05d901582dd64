"""What one answer save costs the database: the statements of the API save (bearer token) and
of the phone page's save (session cookie), one by one, on SQLite and on PostgreSQL.

An autosave is the busiest request there is (docs/performance.md, autosave): a query added
to its path makes every save dearer, so these tests name each statement and fail when the
list grows. If a new statement is truly needed, add it here with what it is for.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from app.clock import utcnow
from app.db import Database, sqlite_statistics_refresh
from app.orgs.models import ApiToken, Organization, Role, User
from app.tenancy import _compiled as compiled
from app.tenancy import scope_session
from audits.models import Answer, Shop, ShopEvent, ShopStatus, ShopTouchpoint
from audits.progress import _PROGRESS, shop_progress_counts
from audits.queries import shop_progress, shop_sections
from audits.quick_save import _SHOP_AND_QUESTION
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import (
    make_answer,
    make_location,
    make_member,
    make_org,
    make_photo,
    make_question,
    make_shop,
    make_token,
    make_touchpoint,
)
from touchpoints import services as journey
from touchpoints.models import Question, QuestionFields

pytestmark = pytest.mark.db

# The statements every save makes, after the first answer of the shop and within the minute
# after the token's last noted use (app/token_use.py writes that at most once a minute, in the
# save's own transaction; the time comes with the token, so a use within it costs nothing).
# These go through the answer saves' lane (audits/fill/lane.py, audits/quick_save.py).
API_AUTH = [
    "SELECT api_token",  # the token with its user, membership, organization and last use
]
PAGE_AUTH = [
    "SELECT user_session",  # the login session with its user, membership and organization
]
CHECK = [
    # the shop (org-scoped, the shopper's own) with the question, whether the shop asks it
    # and which version of it the shop answered
    "SELECT shop",
]
# The answer kept under the phone's id, new or stored before, in one statement: INSERT ...
# ON CONFLICT (id) DO UPDATE ... WHERE (this shop's, given no earlier) RETURNING the
# revision, the first answer's time and the answer's number of photos.
UPSERT = "INSERT answer"
API_NEW = API_AUTH + CHECK + [UPSERT]
API_REPLAY = API_AUTH + CHECK + [UPSERT]
PHOTO_IDS = "SELECT photo"  # only when the answer has photos: their ids, for the API's reply
# The page's reply says "12 of 54 answered": one query counts it, before the commit (its
# three counts in one row: audits/progress.py).
PAGE_PROGRESS = "SELECT shop_touchpoint"
PAGE_NEW = PAGE_AUTH + CHECK + [UPSERT, PAGE_PROGRESS]
PAGE_REPLAY = PAGE_AUTH + CHECK + [UPSERT, PAGE_PROGRESS]

# What the lane leaves to the routes (the token's note once a minute, the shop's first
# answer, any refusal) costs the lane's first statements, then the routes' own save:
ROUTE_API_AUTH = ["SELECT api_token", "SELECT shop"]
ROUTE_PAGE_AUTH = ["SELECT user_session", "SELECT shop"]
ROUTE_CHECK_AND_FIND = ["SELECT question", "SELECT answer"]
# The token's first use (or its first after a minute) is noted right after it authenticates.
API_NOTE = "UPDATE api_token"
# The shop's first answer also moves it to "in progress", with its log entry.
FIRST_ANSWER = ["INSERT answer", "UPDATE shop", "INSERT shop_event"]

WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)
# A SELECT is named after the table of its first column ("user" is quoted on PostgreSQL);
# one that begins with common table expressions, after the first column of the first.
FIRST_COLUMN = re.compile(r'^\s*SELECT\s.*?"?(\w+)"?\.\w', re.IGNORECASE | re.DOTALL)
WITH = re.compile(r"^\s*WITH\s+\w+\s+AS\s*\(", re.IGNORECASE)


def _label(sql: str) -> str:
    """'SELECT answer', 'INSERT answer': the verb and the table a statement is about."""
    write = WRITE.match(sql)
    if write is not None:
        return f"{write.group(1).split()[0].upper()} {write.group(2)}"
    select = FIRST_COLUMN.match(WITH.sub("", sql, count=1))
    if select is not None:
        return f"SELECT {select.group(1)}"
    return " ".join(sql.split()[:2])


@dataclass
class Recorded:
    statements: list[str]

    @property
    def sql(self) -> list[str]:
        """The statements without the transaction starts (SQLite's own BEGIN statements;
        psycopg starts PostgreSQL's transactions without one)."""
        return [_label(s) for s in self.statements if not s.lstrip().upper().startswith("BEGIN")]

    @property
    def transactions(self) -> int:
        return sum(1 for s in self.statements if s.lstrip().upper().startswith("BEGIN"))


@contextmanager
def recorded(db: Database) -> Iterator[Recorded]:
    """Every statement sent to the database meanwhile, by this app's engine."""
    record = Recorded([])

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        record.statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield record
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


@dataclass
class Saving:
    db: Database
    org: Organization
    shopper: User
    shop_id: int
    questions: list[int]
    token: str
    client: Browser

    # Ids, not objects: reading an expired object's id would be a statement of the test's.
    def api(self, question_id: int, value: Any, answer_id: uuid.UUID) -> Any:
        return self.client.put(
            f"/api/v1/shops/{self.shop_id}/answers/{answer_id}",
            json={"question_id": question_id, "value": value},
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def page(self, question_id: int, value: Any, answer_id: uuid.UUID) -> Any:
        return self.client.post(
            f"/shops/{self.shop_id}/answers",
            json={"id": str(answer_id), "question_id": question_id, "value": value},
            headers={"X-CSRF-Token": self.client.csrf, "Origin": BASE_URL},
        )


@pytest.fixture
def saving(session: Session, db: Database, client: Browser) -> Saving:
    return make_saving(session, db, client)


def make_saving(session: Session, db: Database, client: Browser) -> Saving:
    org = make_org(session, name="Cost Co")
    shopper = make_member(session, org, Role.shopper)
    # Several touchpoints and questions, so that a query per touchpoint or per question
    # would show up as more statements.
    touchpoints = [make_touchpoint(session, org) for _ in range(3)]
    questions = [make_question(session, tp) for tp in touchpoints for _ in range(3)]
    shop = make_shop(
        session,
        org,
        location=make_location(session, org),
        touchpoints=touchpoints,
        shopper_id=shopper.id,
    )
    token = make_token(session, org, shopper)
    sign_in(client, db, shopper, org)
    ids = [q.id for q in questions]
    return Saving(db, org, shopper, shop.id, ids, token, client)  # type: ignore[arg-type]


def _stored(session: Session, shop_id: int) -> dict[int, Any]:
    session.rollback()  # a fresh snapshot: SQLite's WAL keeps showing an open read the old one
    session.expire_all()
    answers = session.exec(select(Answer).where(Answer.shop_id == shop_id))
    return {a.question_id: a.value for a in answers}


def test_an_api_save_costs_three_statements_new_or_replayed(
    saving: Saving, session: Session
) -> None:
    q1, q2 = saving.questions[0], saving.questions[4]
    with recorded(saving.db) as first:
        assert saving.api(q1, True, uuid.uuid4()).status_code == 200
    # The token's first use is noted (once a minute at most, in the save's own transaction:
    # app/token_use.py), and the shop's first answer starts it.
    assert (
        first.sql
        == (
            API_AUTH  # the lane's look, which sees the note due and leaves the save to the route
            + ROUTE_API_AUTH[:1]
            + [API_NOTE]
            + ROUTE_API_AUTH[1:]
            + ROUTE_CHECK_AND_FIND
            + FIRST_ANSWER
        )
    ), first.statements
    if saving.db.is_sqlite:
        assert first.transactions == 2, first.statements
    session.expire_all()
    assert session.exec(select(ApiToken.last_used_at)).one() is not None

    answer_id = uuid.uuid4()
    with recorded(saving.db) as new:
        reply = saving.api(q2, True, answer_id)
    assert reply.status_code == 200, reply.text
    assert reply.json()["display"] == "Yes" and reply.json()["photo_ids"] == []
    assert new.sql == API_NEW, new.statements

    with recorded(saving.db) as replay:
        reply = saving.api(q2, False, answer_id)
    assert reply.status_code == 200, reply.text
    assert reply.json()["id"] == str(answer_id) and reply.json()["display"] == "No"
    assert replay.sql == API_REPLAY, replay.statements
    if saving.db.is_sqlite:
        # The request's own transaction (BEGIN IMMEDIATE) only: none for the token's note,
        # none opened after the commit to draw the reply.
        assert (new.transactions, replay.transactions) == (1, 1)
    assert _stored(session, saving.shop_id) == {q1: True, q2: False}

    # An answer with a photo: its ids come in one statement more, for the reply.
    answer = session.exec(select(Answer).where(Answer.id == answer_id)).one()
    photo_id = make_photo(session, answer).id
    with recorded(saving.db) as with_photo:
        reply = saving.api(q2, True, answer_id)
    assert reply.status_code == 200, reply.text
    assert reply.json()["photo_ids"] == [str(photo_id)] and reply.json()["revision"] == 3
    assert with_photo.sql == API_REPLAY + [PHOTO_IDS], with_photo.statements
    # The same answer sent twice with the phone's time (a replay of the queue): the first
    # changes it (a new time), the second changes nothing, and the revision stays.
    body = {"question_id": q2, "value": True, "given_at": utcnow().isoformat()}
    path = f"/api/v1/shops/{saving.shop_id}/answers/{answer_id}"
    bearer = {"Authorization": f"Bearer {saving.token}"}
    revisions = [saving.client.put(path, json=body, headers=bearer).json() for _ in range(2)]
    assert [r["revision"] for r in revisions] == [4, 4], revisions
    assert revisions[1]["photo_ids"] == [str(photo_id)]


def test_a_page_save_costs_four_statements(saving: Saving, session: Session) -> None:
    q1, q2 = saving.questions[0], saving.questions[8]
    with recorded(saving.db) as first:
        reply = saving.page(q1, True, uuid.uuid4())
    assert reply.status_code == 200, reply.text
    # The shop's first answer: the lane looks, and leaves it to the route.
    assert first.sql == (
        PAGE_AUTH + CHECK + ROUTE_PAGE_AUTH + ROUTE_CHECK_AND_FIND + FIRST_ANSWER
    ) + [PAGE_PROGRESS], first.statements
    assert reply.json()["answered"] == 1 and reply.json()["total"] == 9

    answer_id = uuid.uuid4()
    with recorded(saving.db) as new:
        reply = saving.page(q2, True, answer_id)
    assert reply.status_code == 200, reply.text
    assert (reply.json()["answered"], reply.json()["total"]) == (2, 9)
    assert new.sql == PAGE_NEW, new.statements

    with recorded(saving.db) as replay:
        reply = saving.page(q2, False, answer_id)
    assert reply.status_code == 200, reply.text
    assert reply.json()["id"] == str(answer_id)
    assert (reply.json()["answered"], reply.json()["total"]) == (2, 9)
    assert replay.sql == PAGE_REPLAY, replay.statements
    if saving.db.is_sqlite:
        assert (new.transactions, replay.transactions) == (1, 1)  # the write transaction only
    assert _stored(session, saving.shop_id) == {q1: True, q2: False}
    assert session.exec(select(Shop.status)).one() == ShopStatus.in_progress
    assert len(session.exec(select(ShopEvent)).all()) == 1  # "first answer", once


def test_a_refused_save_stops_early(saving: Saving, session: Session) -> None:
    """A question the shop does not ask is refused after the one query that checks it: the
    lane's, then the route's."""
    stranger = make_question(session, make_touchpoint(session, saving.org))
    stranger_id = stranger.id
    with recorded(saving.db) as refused:
        reply = saving.page(stranger_id, True, uuid.uuid4())  # type: ignore[arg-type]
    assert reply.status_code == 400
    assert reply.json()["field"] == "question_id"
    assert refused.sql == (PAGE_AUTH + CHECK + ROUTE_PAGE_AUTH + ["SELECT question"]), (
        refused.statements
    )


# --- the progress count is the checklist's ------------------------------------------------


def _fields(question: Question, **changes: Any) -> QuestionFields:
    return QuestionFields.model_validate(
        {"text": question.text, "kind": str(question.kind), **changes}
    )


def test_progress_counts_what_the_checklist_shows(session: Session) -> None:
    org = make_org(session)
    shopper = make_member(session, org, Role.shopper)
    front, phone, gone = (make_touchpoint(session, org) for _ in range(3))
    kept = make_question(session, front)  # answered, still current
    edited = make_question(session, front)  # answered, then a new version
    make_question(session, phone)  # never answered
    retired = make_question(session, phone)  # answered, then retired
    only = make_question(session, gone)  # the touchpoint's only question: answered, retired
    unasked = make_question(session, phone)  # retired before anyone answered it
    shop = make_shop(session, org, touchpoints=[front, phone, gone], shopper_id=shopper.id)
    scope_session(session, org.id)  # type: ignore[arg-type]  # as a request's is
    for question in (kept, edited, retired, only):
        make_answer(session, shop, question)
    journey.question_update(session=session, question=edited, fields=_fields(edited, text="New?"))
    for question in (retired, only, unasked):
        journey.question_remove(session=session, question=question)
    session.expire_all()

    expected = shop_progress(shop_sections(session, shop))
    assert expected == (4, 5)  # the four answered (old versions kept) and the open one
    assert shop_progress_counts(session, shop) == expected

    other = make_shop(session, org, touchpoints=[front, phone], shopper_id=shopper.id)
    assert shop_progress_counts(session, other) == shop_progress(shop_sections(session, other))

    shop.status = ShopStatus.submitted  # a handed-in shop counts what was answered only
    session.add(shop)
    session.commit()
    assert shop_progress_counts(session, shop) == shop_progress(shop_sections(session, shop))
    assert shop_progress_counts(session, shop) == (4, 4)


# --- the planner reads the shop's rows, not the organization's ------------------------------


def test_with_statistics_the_save_reads_a_shops_rows_not_the_organizations(
    saving: Saving, session: Session
) -> None:
    """SQLite: without statistics the planner may take `answer.org_id`'s index (every answer
    of the organization) for the save's queries; `touchstone serve` gives it statistics
    (app.db.sqlite_statistics_refresh), and then each query takes the shop's rows."""
    if not saving.db.is_sqlite:
        pytest.skip("PostgreSQL keeps its own statistics")
    # A second shop with answers, so that an organization's answers outnumber a shop's.
    for answer_of in (saving.shop_id, make_saving_shop(session, saving)):
        for question_id in saving.questions:
            session.add(
                Answer(
                    org_id=saving.org.id,  # type: ignore[arg-type]
                    shop_id=answer_of,
                    question_id=question_id,
                    value=True,
                )
            )
    session.commit()
    sqlite_statistics_refresh(saving.db.engine)
    values = {
        "shop_id": saving.shop_id,
        "question_id": saving.questions[0],
        "answer_id": uuid.uuid4(),
        "touchstone_org": saving.org.id,
    }
    with saving.db.engine.connect() as connection:
        for statement in (_SHOP_AND_QUESTION, _PROGRESS):
            made = compiled(statement, connection.dialect)
            params = made.compiled.construct_params(values)
            assert made.positions is not None
            plan = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + made.sql, tuple(params[n] for n in made.positions)
            ).all()
            steps = " | ".join(str(row[-1]) for row in plan)
            # No index on org_id alone. (A scan of a table of a few rows is the planner's
            # right choice here; the org_id index was its wrong one on a bench's file.)
            assert "org_id" not in steps, steps


def make_saving_shop(session: Session, saving: Saving) -> int:
    shop = session.get(Shop, saving.shop_id)
    assert shop is not None
    touchpoints = list(
        session.exec(
            select(ShopTouchpoint.touchpoint_id).where(ShopTouchpoint.shop_id == saving.shop_id)
        )
    )
    other = Shop(
        org_id=shop.org_id,
        location_id=shop.location_id,
        shopper_id=shop.shopper_id,
        status=ShopStatus.in_progress,
    )
    session.add(other)
    session.flush()
    for touchpoint_id in touchpoints:
        session.add(
            ShopTouchpoint(org_id=shop.org_id, shop_id=other.id, touchpoint_id=touchpoint_id)
        )
    session.commit()
    assert other.id is not None
    return other.id
