"""Fair feedback (audits/feedback): a return says what to fix, per question; the shopper sees
it next to the question and answers it; approval shows the shopper the score and the note;
the rubric feeds the shopper's record. Staff read none of it."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, col, select

from app.db import Database
from app.orgs.models import Role, User
from audits.feedback.models import NoteKind, ReviewNote, ShopRating
from audits.feedback.queries import rubric_averages
from audits.feedback.services import MSG_MARK, MSG_REPLY_EMPTY
from audits.models import Shop, ShopStatus
from audits.services import MSG_QUESTION_NOT_IN_SHOP, MSG_RETURN_NOTE
from tests.audits.test_api import Api
from tests.audits.test_api import api as api  # noqa: F401  (the fixture)
from tests.audits.test_owner_pages import _count, _submitted, error_for, text
from tests.audits.test_services import World, _survey_org
from tests.conftest import Browser, sign_in
from tests.factories import make_member

pytestmark = pytest.mark.db


def _tab(browser_factory: object, db: Database, w: World, user: User) -> Browser:
    """A browser tab of its own for each person: one signed-in user per tab."""
    return sign_in(browser_factory(), db, user, w.org)  # type: ignore[operator]


def _notes(session: Session, shop: Shop) -> list[ReviewNote]:
    session.rollback()
    session.expire_all()
    notes = list(session.exec(select(ReviewNote).where(col(ReviewNote.shop_id) == shop.id)))
    for note in notes:
        session.expunge(note)
    session.rollback()  # no read left open: SQLite's writers would wait for it
    return notes


def _card(html: str, question_id: int) -> str:
    """The fill page's card of one question."""
    found = re.search(
        rf'<section class="card q[^"]*" id="q-{question_id}".*?</section>', html, re.S
    )
    assert found, f"no card for question {question_id}"
    return text(found.group(0))


def _returned_with_question_note(
    browser_factory: object, db: Database, session: Session
) -> tuple[World, Shop, ReviewNote]:
    w = _survey_org(session)
    shop = _submitted(session, w)
    owner = _tab(browser_factory, db, w, w.owner)
    sent = owner.form(
        f"/shops/{shop.id}/return",
        {"note": "", f"qnote-{w.scale.id}": "Say which member of staff served you."},
    )
    assert sent.status_code == 303  # type: ignore[attr-defined]
    (note,) = _notes(session, shop)
    return w, shop, note


def test_a_return_note_per_question_reaches_the_question_on_the_phone(
    browser_factory: object, db: Database, session: Session
) -> None:
    w, shop, note = _returned_with_question_note(browser_factory, db, session)
    assert (note.kind, note.question_id, note.author_id) == (
        NoteKind.returned,
        w.scale.id,
        w.owner.id,
    )
    session.refresh(shop)
    assert shop.status == ShopStatus.returned
    assert shop.return_note == "See the notes on 1 question."

    shopper = _tab(browser_factory, db, w, w.shopper)
    top = shopper.get(f"/shops/{shop.id}/fill").text
    assert "Sent back to you: See the notes on 1 question." in text(top)
    assert w.scale.text in text(top)  # the list of noted questions links to it
    section = shopper.get(f"/shops/{shop.id}/fill?section=1").text
    assert "To fix: Say which member of staff served you." in _card(section, w.scale.id)
    assert "To fix" not in _card(section, w.yes_no.id)  # only next to its own question


def test_a_return_must_say_what_to_fix(
    browser_factory: object, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    shop = _submitted(session, w)
    owner = _tab(browser_factory, db, w, w.owner)
    empty = owner.htmx(
        "POST", f"/shops/{shop.id}/return", {"note": " ", f"qnote-{w.scale.id}": " "}
    )
    assert empty.status_code == 400  # type: ignore[attr-defined]
    assert error_for(empty.text, "return-note") == MSG_RETURN_NOTE  # type: ignore[attr-defined]
    stranger = owner.htmx("POST", f"/shops/{shop.id}/return", {"qnote-999999": "What?"})
    assert stranger.status_code == 400  # type: ignore[attr-defined]
    assert MSG_QUESTION_NOT_IN_SHOP in stranger.text  # type: ignore[attr-defined]
    long = owner.htmx("POST", f"/shops/{shop.id}/return", {f"qnote-{w.text.id}": "x" * 4001})
    assert long.status_code == 400  # type: ignore[attr-defined]
    assert error_for(long.text, f"qnote-{w.text.id}")  # type: ignore[attr-defined]
    assert _notes(session, shop) == []
    assert session.get(Shop, shop.id).status == ShopStatus.submitted  # type: ignore[union-attr]


def test_the_shopper_answers_a_note_and_the_reviewer_reads_it(
    browser_factory: object, db: Database, session: Session
) -> None:
    w, shop, note = _returned_with_question_note(browser_factory, db, session)
    shopper = _tab(browser_factory, db, w, w.shopper)
    url = f"/shops/{shop.id}/notes/{note.id}/reply"
    empty = shopper.htmx("POST", url, {"reply": "   "})
    assert empty.status_code == 400  # type: ignore[attr-defined]
    assert error_for(empty.text, f"reply-{note.id}") == MSG_REPLY_EMPTY  # type: ignore[attr-defined]
    assert _notes(session, shop)[0].reply == ""

    sent = shopper.htmx("POST", url, {"reply": "It was Anna, at till 2."})
    assert sent.status_code == 200  # type: ignore[attr-defined]
    assert "Your answer" in text(sent.text) and "It was Anna, at till 2." in sent.text  # type: ignore[attr-defined]
    (stored,) = _notes(session, shop)
    assert (stored.reply, stored.reply_by_id) == ("It was Anna, at till 2.", w.shopper.id)
    assert stored.replied_at is not None

    # Another shopper cannot answer it, nor learn it exists.
    other = _tab(browser_factory, db, w, w.other_shopper)
    assert other.htmx("POST", url, {"reply": "me too"}).status_code == 404  # type: ignore[attr-defined]

    owner = _tab(browser_factory, db, w, w.owner)
    words = text(owner.get(f"/shops/{shop.id}").text)
    assert "Notes to the shopper" in words
    assert "Say which member of staff served you." in words
    assert "The shopper answered" in words and "It was Anna, at till 2." in words


def test_approval_with_rubric_and_note_shown_to_the_shopper_not_to_staff(
    browser_factory: object, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    shop = _submitted(session, w)
    viewer = make_member(session, w.org, Role.viewer)
    owner = _tab(browser_factory, db, w, w.owner)
    bad = owner.htmx(
        "POST", f"/shops/{shop.id}/approve", {"on_time": "4", "approve_note": "Great detail"}
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert error_for(bad.text, "rubric-on_time") == MSG_MARK  # type: ignore[attr-defined]
    assert session.get(Shop, shop.id).status == ShopStatus.submitted  # type: ignore[union-attr]
    assert _count(session, ShopRating) == 0 and _notes(session, shop) == []
    session.rollback()

    ok = owner.htmx(
        "POST",
        f"/shops/{shop.id}/approve",
        {"on_time": "3", "complete": "2", "detail": "", "approve_note": "Great detail, thanks."},
    )
    assert ok.status_code == 200  # type: ignore[attr-defined]
    assert "Approved: this shop now counts in reports." in ok.text, text(ok.text)[:600]  # type: ignore[attr-defined]
    assert _count(session, ShopRating) == 1
    rating = session.exec(select(ShopRating)).one()
    assert (rating.on_time, rating.complete, rating.detail) == (3, 2, None)
    (note,) = _notes(session, shop)
    assert (note.kind, note.question_id) == (NoteKind.approved, None)
    session.refresh(shop)
    assert shop.score is not None
    session.rollback()

    shopper = _tab(browser_factory, db, w, w.shopper)
    done = text(shopper.get(f"/shops/{shop.id}/fill").text)
    assert "Your shop’s result" in done and "Great detail, thanks." in done
    assert "Score:" in done
    # My shops shows the score beside the approved shop.
    assert re.search(r"Approved · \d", text(shopper.get("/").text))

    staff = _tab(browser_factory, db, w, viewer)
    seen = staff.get(f"/shops/{shop.id}")
    assert seen.status_code == 200
    assert "Great detail, thanks." not in seen.text
    assert "Notes to the shopper" not in seen.text

    records = text(_tab(browser_factory, db, w, w.owner).get("/shoppers").text)
    assert "3.0 · 2.0 · — (1 shop rated)" in records


def test_rubric_averages_per_shopper(
    browser_factory: object, db: Database, session: Session
) -> None:
    w = _survey_org(session)
    owner = _tab(browser_factory, db, w, w.owner)
    for marks in ({"on_time": "3", "complete": "1"}, {"on_time": "2", "complete": "2"}):
        shop = _submitted(session, w)
        assert owner.form(f"/shops/{shop.id}/approve", marks).status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    averages = rubric_averages(session)[w.shopper.id]  # type: ignore[index]
    assert (averages.rated, averages.on_time, averages.complete, averages.detail) == (
        2,
        2.5,
        1.5,
        None,
    )


def test_feedback_api(api: Api) -> None:  # noqa: F811
    from tests.audits.test_api import _fill, _plan

    w = api.w
    sid = _plan(api)["id"]
    _fill(api, sid)
    api.shopper("POST", f"/shops/{sid}/submit")
    nothing = api.owner("POST", f"/shops/{sid}/return", {"note": "", "question_notes": {}})
    assert nothing.status_code == 400 and nothing.json() == {
        "detail": MSG_RETURN_NOTE,
        "field": "note",
    }
    stranger = api.owner("POST", f"/shops/{sid}/return", {"question_notes": {"999999": "x"}})
    assert (stranger.status_code, stranger.json()["field"]) == (400, "question_id")
    sent = api.owner(
        "POST", f"/shops/{sid}/return", {"question_notes": {str(w.scale.id): "Which till?"}}
    )
    assert sent.status_code == 200 and sent.json()["status"] == "returned"

    notes = api.shopper("GET", f"/shops/{sid}/notes")
    assert notes.status_code == 200
    (note,) = notes.json()
    assert (note["question_id"], note["text"], note["kind"]) == (
        w.scale.id,
        "Which till?",
        "returned",
    )
    assert api.viewer("GET", f"/shops/{sid}/notes").status_code == 403
    assert api.other_shopper("GET", f"/shops/{sid}/notes").status_code == 404

    url = f"/shops/{sid}/notes/{note['id']}/reply"
    blank = api.shopper("POST", url, {"reply": ""})
    assert blank.status_code == 400 and blank.json() == {
        "detail": MSG_REPLY_EMPTY,
        "field": "reply",
    }
    assert api.other_shopper("POST", url, {"reply": "x"}).status_code == 404
    assert api.owner("POST", url, {"reply": "x"}).status_code == 403
    replied = api.shopper("POST", url, {"reply": "Till 2"})
    assert replied.status_code == 200 and replied.json()["reply"] == "Till 2"
    assert replied.json()["replied_at"]

    api.shopper("POST", f"/shops/{sid}/submit")
    bad = api.owner("POST", f"/shops/{sid}/approve", {"on_time": 5})
    assert bad.status_code == 422
    assert api.owner("GET", f"/shops/{sid}").json()["status"] == "submitted"
    ok = api.owner("POST", f"/shops/{sid}/approve", {"on_time": 3, "note": "Thanks"})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    kinds = [n["kind"] for n in api.shopper("GET", f"/shops/{sid}/notes").json()]
    assert kinds == ["returned", "approved"]


def test_staff_never_get_a_return_note_from_the_api(api: Api) -> None:  # noqa: F811
    from tests.audits.test_api import _fill, _plan

    sid = _plan(api)["id"]
    _fill(api, sid)
    api.shopper("POST", f"/shops/{sid}/submit")
    api.owner("POST", f"/shops/{sid}/return", {"note": "Which till was it?"})
    api.shopper("POST", f"/shops/{sid}/submit")
    api.owner("POST", f"/shops/{sid}/approve")
    assert api.owner("GET", f"/shops/{sid}").json()["return_note"] == "Which till was it?"
    for shape in (api.viewer("GET", f"/shops/{sid}").json(), api.viewer("GET", "/shops").json()[0]):
        assert "return_note" not in shape
