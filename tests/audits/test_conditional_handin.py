"""Hand-in, scoring and the reports' stored shares under show-when and evidence rules: a hidden
question is neither required nor scored (like N/A), its stored answer is kept but not counted;
hand-in waits for a required photo and for a comment on a failed answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db import Database
from app.errors import DomainError
from app.orgs.models import Role
from app.tenancy import scope_session
from audits import services
from audits.models import Answer, Shop, ShopStatus
from audits.queries import (
    MSG_NEEDS_COMMENT,
    MSG_NEEDS_PHOTO,
    handin_missing,
    shop_explain,
    shopper_cards,
)
from audits.services import AnswerInput, ShopPlan
from tests.audits.test_owner_pages import text
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_location,
    make_member,
    make_org,
    make_photo,
    make_question,
    make_touchpoint,
)
from tests.reports.test_export import get_csv, recompute
from touchpoints.models import Question
from touchpoints.preview import examples

pytestmark = pytest.mark.db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Bar:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.org = make_org(session)
        scope_session(session, self.org.id)  # type: ignore[arg-type]
        self.owner = make_member(session, self.org, Role.owner)
        self.shopper = make_member(session, self.org, Role.shopper)
        self.location = make_location(session, self.org)
        self.tp = make_touchpoint(session, self.org, name="At the bar")
        self.drink = make_question(session, self.tp, text="Offered a drink?", weight=1)
        self.which = make_question(
            session,
            self.tp,
            text="Which drinks?",
            kind="choice",
            weight=4,
            options=[{"label": "Water", "points": 1}, {"label": "Coffee", "points": 2}],
            show_if={"question": self.drink.lineage, "is": "yes"},
        )
        self.taste = make_question(
            session,
            self.tp,
            text="Coffee good?",
            kind="yes_no",
            weight=4,
            comment_on_fail=True,
            show_if={"question": self.which.lineage, "in": [1]},
        )
        self.receipt = make_question(
            session, self.tp, text="Receipt?", weight=1, photo_required=True, required=False
        )

    def shop(self) -> Shop:
        plan = ShopPlan(
            location_id=self.location.id,  # type: ignore[arg-type]
            touchpoint_ids=[self.tp.id],  # type: ignore[list-item]
            shopper_id=self.shopper.id,
            due_from=T0,
            due_until=T0 + timedelta(days=7),
        )
        return services.shop_plan(
            session=self.session,
            org_id=self.org.id,  # type: ignore[arg-type]
            data=plan,
            actor_id=self.owner.id,  # type: ignore[arg-type]
        )

    def answer(self, shop: Shop, q: Question, value: Any, **kw: Any) -> Answer:
        data = AnswerInput(id=uuid.uuid4(), question_id=q.id, value=value, **kw)  # type: ignore[arg-type]
        return services.answer_record(
            session=self.session,
            shop=shop,
            actor_id=self.shopper.id,  # type: ignore[arg-type]
            data=data,
        )

    def submit(self, shop: Shop) -> Shop:
        return services.shop_submit(session=self.session, shop=shop, actor_id=self.shopper.id)  # type: ignore[arg-type]


def test_a_hidden_follow_up_is_not_required_and_its_kept_answer_is_not_counted(
    session: Session,
) -> None:
    bar = Bar(session)
    shop = bar.shop()
    bar.answer(shop, bar.drink, True)
    # Shown now, and required: hand-in waits for it (saving to it is allowed, as ever).
    with pytest.raises(DomainError) as caught:
        bar.submit(shop)
    assert caught.value.message == "1 required question still need an answer."
    assert caught.value.field == f"question-{bar.which.id}"
    bar.answer(shop, bar.which, 1)
    bar.answer(shop, bar.taste, True)
    # The shopper changes the first answer: the chain is hidden, its answers stay.
    bar.answer(shop, bar.drink, False)
    assert handin_missing(session, shop) == []
    bar.submit(shop)
    assert shop.status == ShopStatus.submitted
    # Shown: the drink (no, 0 of 1) only; the receipt is optional and unanswered.
    assert shop.score == 0.0
    assert shop.score_detail is not None and shop.score_detail["possible"] == 1
    [section], _score = shop_explain(session, shop)
    assert section.by_question[bar.which.id].hidden
    assert not section.by_question[bar.which.id].counted
    services.shop_approve(session=session, shop=shop, actor_id=bar.owner.id)  # type: ignore[arg-type]
    session.expire_all()
    stored = {
        a.question_id: a for a in session.exec(select(Answer).where(Answer.shop_id == shop.id))
    }
    assert stored[bar.which.id].value == 1 and stored[bar.taste.id].value is True
    # The reports read each answer's share: a hidden one has none.
    assert stored[bar.which.id].share is None and stored[bar.taste.id].share is None
    assert stored[bar.drink.id].share == 0.0


def test_evidence_a_photo_and_a_comment_on_a_fail(session: Session) -> None:
    bar = Bar(session)
    shop = bar.shop()
    bar.answer(shop, bar.drink, True)
    bar.answer(shop, bar.which, 1)
    bar.answer(shop, bar.taste, False)  # failed, and no comment
    receipt = bar.answer(shop, bar.receipt, True)
    missing = handin_missing(session, shop)
    assert [(m.question.id, m.what, m.message) for m in missing] == [
        (bar.taste.id, "comment", MSG_NEEDS_COMMENT),
        (bar.receipt.id, "photo", MSG_NEEDS_PHOTO),
    ]
    with pytest.raises(DomainError) as caught:
        bar.submit(shop)
    assert caught.value.message == ("2 answers still need a photo or a comment (see the question).")
    assert caught.value.field == f"question-{bar.taste.id}"
    bar.answer(shop, bar.taste, False, comment="Lukewarm, in a chipped cup.")
    make_photo(session, receipt)
    bar.submit(shop)
    # Shown and counted: drink 1/1, coffee 4/4, taste 0/4 (failed), receipt 1/1.
    assert shop.score == pytest.approx(60.0)


def test_n_a_skips_the_photo_and_a_pass_needs_no_comment(session: Session) -> None:
    bar = Bar(session)
    shop = bar.shop()
    bar.answer(shop, bar.drink, True)
    bar.answer(shop, bar.which, 1)
    bar.answer(shop, bar.taste, True)
    assert handin_missing(session, shop) == []  # the receipt is optional and unanswered
    bar.submit(shop)


def test_what_visits_would_score_follows_the_rules(session: Session) -> None:
    bar = Bar(session)
    perfect, typical, failing = examples(bar.tp.id, [bar.drink, bar.which, bar.taste, bar.receipt])  # type: ignore[arg-type]
    # Perfect: every question shown and at its best: 10 of 10.
    assert (perfect.score.earned, perfect.score.possible) == (10, 10)
    # Failing: no drink, so "which" and "taste" are not asked: 0 of 2, not 0 of 10.
    assert (failing.score.earned, failing.score.possible) == (0, 2)
    hidden = [q.hidden for q in failing.score.questions]
    assert hidden == [False, True, True, False]


def test_review_shows_hidden_answers_and_missing_evidence(
    client: Browser, db: Database, session: Session
) -> None:
    bar = Bar(session)
    shop = bar.shop()
    bar.answer(shop, bar.drink, True)
    bar.answer(shop, bar.which, 0)
    bar.answer(shop, bar.taste, True)  # asked only after coffee: kept, not counted
    bar.answer(shop, bar.receipt, True)
    make_photo(
        session, session.exec(select(Answer).where(Answer.question_id == bar.receipt.id)).one()
    )
    bar.submit(shop)
    # The owner asks for a comment on a failed drink after the hand-in.
    drink = session.get(Question, bar.drink.id)
    assert drink is not None
    from touchpoints import services as journey

    journey.question_update(
        session=session,
        question=drink,
        fields=drink.fields().model_copy(update={"comment_on_fail": True, "photo_required": True}),
    )
    owner = sign_in(client, db, bar.owner, bar.org)
    words = text(owner.get(f"/shops/{shop.id}").text)
    assert "Coffee good? Answer: Yes not asked: condition not met" in words
    assert (
        "Offered a drink? Answer: Yes ✓ Pass · 1 of 1 points "
        "⚠ Photo missing: this question asks for one." in words
    )


def test_the_answers_csv_counts_a_hidden_answer_for_nothing(
    client: Browser, db: Database, session: Session
) -> None:
    bar = Bar(session)
    shop = bar.shop()
    bar.answer(shop, bar.drink, True)
    bar.answer(shop, bar.which, 1)
    bar.answer(shop, bar.taste, True)
    bar.answer(shop, bar.drink, False)  # the follow-ups are hidden now, their answers kept
    bar.submit(shop)
    services.shop_approve(session=session, shop=shop, actor_id=bar.owner.id)  # type: ignore[arg-type]
    sign_in(client, db, bar.owner, bar.org)
    _, shops = get_csv(client, "/reports/export/shops.csv")
    _, answers = get_csv(client, "/reports/export/answers.csv")
    cells = {a["question_text"]: (a["value"], a["earned"], a["possible"]) for a in answers}
    assert cells["Which drinks?"] == ("1", "0", "0")
    assert cells["Coffee good?"] == ("true", "0", "0")
    assert cells["Offered a drink?"] == ("false", "0", "1")
    # So the shop's score recomputes from the file, by the rules of docs/definitions.md.
    [row] = shops
    assert recompute(answers)[row["shop_id"]] == pytest.approx(float(row["score"])) == 0.0


def test_the_shoppers_home_counts_the_questions_shown(session: Session) -> None:
    bar = Bar(session)
    shop = bar.shop()
    [card] = shopper_cards(session, bar.shopper.id)  # type: ignore[arg-type]
    assert (card.answered, card.total) == (0, 2)  # the drink and the receipt
    bar.answer(shop, bar.drink, True)
    bar.answer(shop, bar.which, 1)
    [card] = shopper_cards(session, bar.shopper.id)  # type: ignore[arg-type]
    assert (card.answered, card.total) == (2, 4)
    bar.answer(shop, bar.drink, False)
    [card] = shopper_cards(session, bar.shopper.id)  # type: ignore[arg-type]
    assert (card.answered, card.total) == (1, 2)
