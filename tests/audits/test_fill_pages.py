"""The shopper's phone pages: My shops, the fill screens, saving answers, handing in."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import Organization, Role, User
from audits.answers import MSG_SCALE, MSG_YES_NO
from audits.fill.routes import static_digest
from audits.models import Answer, Shop, ShopEvent, ShopStatus, ShopTouchpoint
from audits.services import MSG_QUESTION_NOT_IN_SHOP, MSG_SHOP_CLOSED
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import (
    make_location,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_touchpoint,
)
from touchpoints.models import Question


@dataclass
class Fill:
    org: Organization
    shopper: User
    other: User
    shop: Shop
    questions: dict[str, Question]
    client: Browser

    def answer(
        self, kind: str, value: Any, answer_id: uuid.UUID | None = None, **extra: Any
    ) -> Any:
        body = {
            "id": str(answer_id or uuid.uuid4()),
            "question_id": self.questions[kind].id,
            "value": value,
            **extra,
        }
        return self.client.post(
            f"/shops/{self.shop.id}/answers",
            json=body,
            headers={"X-CSRF-Token": self.client.csrf, "Origin": BASE_URL},
        )


@pytest.fixture
def fill(session: Session, db: Database, client: Browser) -> Fill:
    org = make_org(session, name="Fill Co")
    shopper = make_member(session, org, Role.shopper, name="Sam Shopper")
    other = make_member(session, org, Role.shopper)
    front = make_touchpoint(session, org, name="Front desk")
    phone = make_touchpoint(session, org, name="Phone call")
    questions = {
        "yes_no": make_question(
            session, front, text="Were you greeted?", guidance="Within a minute of entering."
        ),
        "scale": make_question(
            session,
            front,
            text="How friendly was the welcome?",
            kind="scale",
            scale_labels=["Cold", "Distant", "Polite", "Warm", "Delightful"],
        ),
        "number": make_question(
            session,
            phone,
            text="How many rings before an answer?",
            kind="number",
            rule="at_most",
            threshold=3,
            unit="rings",
            allow_na=True,
        ),
        "choice": make_question(
            session,
            phone,
            text="How did they close the call?",
            kind="choice",
            options=[{"label": "Thanked me", "points": 2}, {"label": "Just hung up", "points": 0}],
        ),
        "text": make_question(
            session, phone, text="Anything else?", kind="text", weight=0, required=False
        ),
    }
    location = make_location(session, org, name="Harbour Street")
    shop = make_shop(
        session,
        org,
        location=location,
        touchpoints=[front, phone],
        shopper_id=shopper.id,
        scenario="Ask about a wrong charge on last month's bill.",
        due_until=utcnow() + timedelta(days=3),
    )
    sign_in(client, db, shopper, org)
    return Fill(org, shopper, other, shop, questions, client)


def seen(html: str) -> str:
    """The page's text as a person reads it: tags gone, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _answers(session: Session, shop: Shop) -> list[Answer]:
    session.expire_all()
    return list(session.exec(select(Answer).where(Answer.shop_id == shop.id)))


def test_home_lists_my_open_shops_with_brief_and_progress(fill: Fill, session: Session) -> None:
    someone_elses = make_shop(session, fill.org, shopper_id=fill.other.id, scenario="Secret!")
    assert someone_elses.id
    page = fill.client.get("/")
    assert page.status_code == 200
    assert "Harbour Street" in page.text
    assert "Ask about a wrong charge" in page.text
    assert "0 of 5 answered" in page.text
    assert "Front desk · Phone call" in page.text
    assert "Secret!" not in page.text
    assert f'href="/shops/{fill.shop.id}/fill"' in page.text


def test_fill_screens_show_every_kind_with_guidance_and_units(fill: Fill) -> None:
    first = fill.client.get(f"/shops/{fill.shop.id}/fill")
    assert first.status_code == 200
    assert "Your visit" in first.text and "Date and time of the visit" in first.text
    front = fill.client.get(f"/shops/{fill.shop.id}/fill?section=1").text
    assert "Were you greeted?" in front and "Within a minute of entering." in front
    assert 'data-value="yes"' in front and "Delightful" in front
    assert "step 2 of 4" in seen(front) and "0 of 5 answered" in seen(front)
    phone = fill.client.get(f"/shops/{fill.shop.id}/fill?section=2").text
    assert 'inputmode="decimal"' in phone and "rings" in phone
    assert "Thanked me" in phone and "Not applicable" in phone
    last = fill.client.get(f"/shops/{fill.shop.id}/fill?section=3").text
    assert "Hand in the shop" in last and "Still to answer" in last


def test_answer_is_saved_and_a_replay_keeps_one_row(fill: Fill, session: Session) -> None:
    answer_id = uuid.uuid4()
    first = fill.answer("yes_no", "yes", answer_id)
    assert first.status_code == 200, first.text
    assert first.json()["answered"] == 1 and first.json()["total"] == 5
    again = fill.answer("yes_no", "yes", answer_id)
    assert again.status_code == 200
    changed = fill.answer("yes_no", "no", answer_id, comment="Nobody looked up.")
    assert changed.status_code == 200
    rows = _answers(session, fill.shop)
    assert [(r.id, r.value, r.comment) for r in rows] == [(answer_id, False, "Nobody looked up.")]
    page = fill.client.get(f"/shops/{fill.shop.id}/fill?section=1").text
    assert (
        str(answer_id) in page and "Nobody looked up." in page and "1 of 5 answered" in seen(page)
    )


def test_every_kind_and_na_is_kept(fill: Fill, session: Session) -> None:
    assert fill.answer("scale", 4).status_code == 200
    assert fill.answer("number", "2,5").status_code == 200
    assert fill.answer("choice", 1).status_code == 200
    assert fill.answer("text", "Clean and calm.").status_code == 200
    na = fill.answer("number", None, not_applicable=True)
    assert na.status_code == 200
    values = {r.question_id: (r.value, r.not_applicable) for r in _answers(session, fill.shop)}
    q = fill.questions
    assert values == {
        q["scale"].id: (4, False),
        q["number"].id: (None, True),
        q["choice"].id: (1, False),
        q["text"].id: ("Clean and calm.", False),
    }


@pytest.mark.parametrize(
    ("kind", "value", "message", "field"),
    [("scale", 7, MSG_SCALE, "value"), ("yes_no", "maybe so", MSG_YES_NO, "value")],
)
def test_bad_values_are_refused_next_to_the_question(
    fill: Fill, session: Session, kind: str, value: Any, message: str, field: str
) -> None:
    response = fill.answer(kind, value)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == message
    assert body["field"] == field
    assert body["question_id"] == fill.questions[kind].id  # the page shows it beside that one
    assert _answers(session, fill.shop) == []
    session.expire_all()
    assert session.get(Shop, fill.shop.id).status == ShopStatus.assigned  # type: ignore[union-attr]


def test_question_not_in_the_shop_is_refused(fill: Fill, session: Session) -> None:
    elsewhere = make_question(session, make_touchpoint(session, fill.org), text="Other?")
    response = fill.client.post(
        f"/shops/{fill.shop.id}/answers",
        json={"id": str(uuid.uuid4()), "question_id": elsewhere.id, "value": "yes"},
        headers={"X-CSRF-Token": fill.client.csrf, "Origin": BASE_URL},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == MSG_QUESTION_NOT_IN_SHOP
    assert _answers(session, fill.shop) == []


def test_malformed_answers_get_a_clear_4xx(fill: Fill) -> None:
    headers = {"X-CSRF-Token": fill.client.csrf, "Origin": BASE_URL}
    url = f"/shops/{fill.shop.id}/answers"
    bad_id = fill.client.post(url, json={"id": "nope", "question_id": 1}, headers=headers)
    assert bad_id.status_code == 400 and "id" in bad_id.json()["detail"]
    not_json = fill.client.post(url, content=b"{", headers=headers)
    assert not_json.status_code == 400
    assert fill.client.post(url, json={"id": "x"}).status_code == 403  # no CSRF token


def test_another_shoppers_shop_is_not_found(fill: Fill, session: Session) -> None:
    theirs = make_shop(session, fill.org, touchpoints=[], shopper_id=fill.other.id)
    assert fill.client.get(f"/shops/{theirs.id}/fill").status_code == 404
    response = fill.client.post(
        f"/shops/{theirs.id}/answers",
        json={"id": str(uuid.uuid4()), "question_id": fill.questions["yes_no"].id, "value": 1},
        headers={"X-CSRF-Token": fill.client.csrf, "Origin": BASE_URL},
    )
    assert response.status_code == 404


def _answer_all_required(fill: Fill) -> None:
    for kind, value in [("yes_no", "yes"), ("scale", 5), ("number", 2), ("choice", 0)]:
        assert fill.answer(kind, value).status_code == 200


def test_submit_jumps_to_the_first_missing_question(fill: Fill) -> None:
    assert fill.answer("yes_no", "yes").status_code == 200
    response = fill.client.form(f"/shops/{fill.shop.id}/submit", {})
    assert response.status_code == 303  # type: ignore[attr-defined]
    scale = fill.questions["scale"].id
    target = response.headers["location"]  # type: ignore[attr-defined]
    assert target == f"/shops/{fill.shop.id}/fill?section=1&missing={scale}#q-{scale}"
    page = fill.client.get(target.split("#")[0]).text
    assert "3 required questions still need an answer." in page
    assert "q-missing" in page


def test_submit_twice_gives_one_submission_and_locks_the_shop(fill: Fill, session: Session) -> None:
    _answer_all_required(fill)
    visit = fill.client.post(
        f"/shops/{fill.shop.id}/visit",
        json={"visited_at": "2020-01-02T10:30", "duration_minutes": "25"},
        headers={"X-CSRF-Token": fill.client.csrf, "Origin": BASE_URL},
    )
    assert visit.status_code == 200, visit.text
    for _ in range(2):
        response = fill.client.form(f"/shops/{fill.shop.id}/submit", {"comment": "All fine."})
        assert response.status_code == 303  # type: ignore[attr-defined]
        assert response.headers["location"] == f"/shops/{fill.shop.id}/fill"  # type: ignore[attr-defined]
    done = fill.client.get(f"/shops/{fill.shop.id}/fill").text
    assert "Handed in" in done
    events = session.exec(
        select(func.count())
        .select_from(ShopEvent)
        .where(ShopEvent.shop_id == fill.shop.id, col(ShopEvent.to_status) == "submitted")
    ).one()
    assert events == 1
    session.expire_all()
    shop = session.get(Shop, fill.shop.id)
    assert shop is not None and shop.status == ShopStatus.submitted
    assert shop.comment == "All fine." and shop.duration_minutes == 25
    # Answering after submission is refused, and nothing changes.
    late = fill.answer("yes_no", "no")
    assert late.status_code == 409 and late.json()["detail"] == MSG_SHOP_CLOSED
    assert {
        a.value
        for a in _answers(session, fill.shop)
        if a.question_id == fill.questions["yes_no"].id
    } == {True}


def test_section_comment_and_visit_checks(fill: Fill, session: Session) -> None:
    headers = {"X-CSRF-Token": fill.client.csrf, "Origin": BASE_URL}
    link = session.exec(
        select(ShopTouchpoint).where(ShopTouchpoint.shop_id == fill.shop.id)
    ).first()
    assert link is not None
    ok = fill.client.post(
        f"/shops/{fill.shop.id}/section-comment",
        json={"touchpoint_id": link.touchpoint_id, "comment": "Queue was long."},
        headers=headers,
    )
    assert ok.status_code == 200
    future = fill.client.post(
        f"/shops/{fill.shop.id}/visit",
        json={"visited_at": "2999-01-01T10:00"},
        headers=headers,
    )
    assert future.status_code == 400 and future.json()["field"] == "visited_at"
    page = fill.client.get(f"/shops/{fill.shop.id}/fill?section=1").text
    assert "Queue was long." in page


def test_service_worker_is_served_for_shoppers(fill: Fill) -> None:
    response = fill.client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "htmx-2.0.11.min.js" in response.text
    assert "worker-src 'self'" in response.headers["content-security-policy"]
    # Every file it keeps for offline use exists, and it names this release's files.
    files = json.loads(re.search(r"var STATIC_FILES = (\[.*?\]);", response.text)[1])  # type: ignore[index]
    assert "/static/touchstone-queue.js" in files
    for path in files:
        assert fill.client.get(path).status_code == 200, path
    assert f'var RELEASE = "{static_digest()}";' in response.text
    assert "__" not in response.text  # nothing left unfilled


def test_a_release_name_makes_the_worker_new_to_the_phones(
    fill: Fill, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = fill.client.get("/sw.js").text
    settings = fill.client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "release", "2027.1 (build 7)")  # undone after the test
    after = fill.client.get("/sw.js").text
    assert after != before
    assert 'var RELEASE = "2027.1--build-7-";' in after
    # The pages' cache keeps its name across releases; only the static files' is per release.
    assert 'var PAGES = "touchstone-pages-v1";' in after
