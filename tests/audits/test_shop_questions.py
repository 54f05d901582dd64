"""A shop shows and scores the question versions it asked, whatever owners edit later."""

from __future__ import annotations

from sqlmodel import Session

from app.tenancy import scope_session
from audits.models import ShopStatus
from audits.queries import shop_score, shop_sections
from tests.factories import make_answer, make_org, make_question, make_shop, make_touchpoint
from touchpoints import services
from touchpoints.models import QuestionFields


def _texts(session: Session, shop: object) -> list[str]:
    return [q.text for s in shop_sections(session, shop) for q in s.questions]  # type: ignore[arg-type]


def test_old_shop_keeps_the_version_it_answered(session: Session) -> None:
    org = make_org(session)
    scope_session(session, org.id)  # type: ignore[arg-type]
    tp = make_touchpoint(session, org)
    greeted = make_question(session, tp, text="Were you greeted?", weight=2)
    make_question(session, tp, text="Was the counter tidy?")
    old = make_shop(session, org, touchpoints=[tp], status=ShopStatus.approved)
    make_answer(session, old, greeted, value=True)
    before = shop_score(session, old)

    edited = services.question_update(
        session=session,
        question=greeted,
        fields=QuestionFields(text="Were you greeted within a minute?", kind="yes_no", weight=5),
    )
    assert edited.version == 2

    # The approved shop still shows version 1, with its answer, and scores as before.
    assert _texts(session, old) == ["Were you greeted?"]
    after = shop_score(session, old)
    assert (after.earned, after.possible, after.percent) == (before.earned, before.possible, 100.0)
    assert after.possible == 2  # version 1's weight, not version 2's

    # A new, open shop asks the current versions.
    new = make_shop(session, org, touchpoints=[tp])
    assert _texts(session, new) == ["Were you greeted within a minute?", "Was the counter tidy?"]


def test_retired_question_stays_with_the_shops_that_answered_it(session: Session) -> None:
    org = make_org(session)
    scope_session(session, org.id)  # type: ignore[arg-type]
    tp = make_touchpoint(session, org)
    kept = make_question(session, tp, text="Was the price shown?")
    dropped = make_question(session, tp, text="Was music playing?")
    old = make_shop(session, org, touchpoints=[tp], status=ShopStatus.submitted)
    make_answer(session, old, kept, value=True)
    make_answer(session, old, dropped, value=False)
    assert services.question_remove(session=session, question=dropped) == "retired"

    assert _texts(session, old) == ["Was the price shown?", "Was music playing?"]
    assert shop_score(session, old).percent == 50.0
    assert _texts(session, make_shop(session, org, touchpoints=[tp])) == ["Was the price shown?"]


def test_handed_in_shop_shows_only_what_was_answered(session: Session) -> None:
    org = make_org(session)
    scope_session(session, org.id)  # type: ignore[arg-type]
    tp = make_touchpoint(session, org)
    asked = make_question(session, tp, text="Did they smile?")
    shop = make_shop(session, org, touchpoints=[tp], status=ShopStatus.submitted)
    make_answer(session, shop, asked, value=True)
    make_question(session, tp, text="Added after the visit")
    assert _texts(session, shop) == ["Did they smile?"]
