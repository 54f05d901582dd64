"""`touchstone demo`'s year of mystery shops: a story in the numbers, and rows the services
would have written."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

import pytest
from sqlmodel import Session, col, select

from app.modelbase import utcnow
from app.orgs.models import Location, Organization, User
from audits.models import OPEN_STATES, Answer, Shop, ShopEvent, ShopStatus, ShopTouchpoint
from audits.queries import shop_score, shops_for_shopper
from touchpoints.models import Question, Touchpoint

# The demo year: seeded once per process, then a year of shops walked row by row.
pytestmark = pytest.mark.slow


def _months_back(months: int) -> list[tuple[int, int]]:
    now = utcnow()
    year, month, out = now.year, now.month, []
    for _ in range(months):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def test_demo_has_a_year_of_approved_shops_that_tell_a_story(
    session: Session, demo_org: Organization
) -> None:
    org = demo_org
    now = utcnow()
    shops = session.exec(
        select(Shop).where(Shop.org_id == org.id, Shop.status == ShopStatus.approved)
    ).all()
    months = _months_back(12)

    # Every one of the last 12 months, every location.
    by_month = defaultdict(list)
    for shop in shops:
        assert shop.visited_at and shop.submitted_at and shop.approved_at
        assert shop.visited_at < shop.submitted_at < shop.approved_at <= now
        by_month[(shop.visited_at.year, shop.visited_at.month)].append(shop)
    assert sorted(by_month) == months
    locations = session.exec(select(Location.id).where(Location.org_id == org.id)).all()
    assert {s.location_id for s in shops} == set(locations)

    # The stored snapshot is what scoring gives today, section by section.
    section_scores: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    critical_fails = 0
    for shop in shops:
        score = shop_score(session, shop)
        assert score.percent is not None
        assert shop.score == score.percent
        assert shop.score_detail is not None
        assert shop.score_detail["earned"] == score.earned
        assert shop.score_detail["possible"] == score.possible
        assert [s["percent"] for s in shop.score_detail["sections"]] == [
            s.percent for s in score.sections
        ]
        month = months.index((shop.visited_at.year, shop.visited_at.month))  # type: ignore[union-attr]
        for section in score.sections:
            critical_fails += section.critical_fail
            if section.percent is not None:
                section_scores[section.touchpoint_id][month].append(section.percent)
    assert critical_fails >= 1

    # Some touchpoints got better over the year, at least one got worse.
    def window(tp: int, months_: range) -> float:
        return mean(p for m in months_ for p in section_scores[tp][m])

    change = {tp: window(tp, range(9, 12)) - window(tp, range(3)) for tp in section_scores}
    assert max(change.values()) > 5
    assert min(change.values()) < -5

    # Answers are for question versions of the shop's own touchpoints; N/A and comments occur.
    rows = session.exec(
        select(Answer, Question, ShopTouchpoint)
        .join(Question, col(Question.id) == col(Answer.question_id))
        .join(
            ShopTouchpoint,
            (col(ShopTouchpoint.shop_id) == col(Answer.shop_id))
            & (col(ShopTouchpoint.touchpoint_id) == col(Question.touchpoint_id)),
            isouter=True,
        )
        .where(Answer.org_id == org.id)
    ).all()
    assert rows
    assert all(link is not None for _, _, link in rows)
    assert all(q.org_id == org.id for _, q, _ in rows)
    assert any(a.not_applicable for a, _, _ in rows)
    assert all(q.allow_na for a, q, _ in rows if a.not_applicable)
    assert any(a.comment for a, _, _ in rows)

    # Each approved shop's history: planned, started, handed in, approved, in that order.
    events = defaultdict(list)
    for event in session.exec(select(ShopEvent).order_by(col(ShopEvent.id))):
        events[event.shop_id].append(event)
    for shop in shops:
        trail = events[shop.id]  # type: ignore[index]
        assert [(e.from_status, e.to_status) for e in trail] == [
            (None, "assigned"),
            ("assigned", "in_progress"),
            ("in_progress", "submitted"),
            ("submitted", "approved"),
        ]
        assert [e.at for e in trail] == sorted(e.at for e in trail)
        assert trail[-1].at == shop.approved_at
    touchpoints = session.exec(select(Touchpoint.name).where(Touchpoint.org_id == org.id)).all()
    assert "Paying the bill" in touchpoints


def test_demo_shopper_has_open_shops_to_do(session: Session, demo_org: Organization) -> None:
    shopper = session.exec(select(User).where(User.email == "shopper@demo.example")).one()

    mine = shops_for_shopper(session, shopper.id)  # type: ignore[arg-type]
    still_open = [s for s in mine if s.status in OPEN_STATES]
    assert len(still_open) >= 2
    assert mine[: len(still_open)] == still_open  # open ones first, as the home shows them
    assert {s.status for s in still_open} >= {ShopStatus.assigned, ShopStatus.in_progress}
    started = next(s for s in still_open if s.status == ShopStatus.in_progress)
    answers = session.exec(select(Answer).where(Answer.shop_id == started.id)).all()
    assert len(answers) >= 1 and len(answers) < 10
    assert all(s.due_until and s.due_until > utcnow() for s in still_open)
    assert all(s.score is None and s.submitted_at is None for s in still_open)
