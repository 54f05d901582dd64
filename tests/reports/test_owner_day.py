"""The owner's start page says what to do (issue 18): the journey's score against the
targets, the shops due this week, the shops to review, and the overdue recovery cases and
action items, each a link to where it is done.

The journey's score is worked out here from the answers the factories store (each yes/no
question worth the same), not read back through the report queries.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from sqlmodel import Session

from actions.services import action_item_set_status
from app.db import Database
from app.modelbase import ident, utcnow
from app.orgs.models import Role
from app.tenancy import scope_session
from audits.models import ShopStatus
from tests.conftest import sign_in
from tests.factories import (
    make_action_item,
    make_answer,
    make_location,
    make_member,
    make_org,
    make_question,
    make_recovery_case,
    make_shop,
    make_stage,
    make_touchpoint,
    store_score,
)
from tests.helpers import shown
from touchpoints.models import ActionStatus

pytestmark = pytest.mark.db


def _month_day(today: date, months_back: int, day: int) -> date:
    first = today.replace(day=1)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first.replace(day=day)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_owner_start_page_lists_what_to_do_with_the_journey_score(
    session: Session, db: Database, browser_factory: object
) -> None:
    org = make_org(session, name="Quayside Bakery", timezone="UTC")
    owner = make_member(session, org, Role.owner)
    viewer = make_member(session, org, Role.viewer)
    shopper = make_member(session, org, Role.shopper, name="Sam Secret")
    scope_session(session, ident(org))
    quay = make_location(session, org, name="Quay Street")
    hill = make_location(session, org, name="Hill Road")
    stage = make_stage(session, org, name="Visit")
    door = make_touchpoint(session, org, stage, name="At the counter", target=90)
    bill = make_touchpoint(session, org, stage, name="Paying", target=60, position=2)
    make_touchpoint(session, org, stage, name="On the phone", target=80, position=3)
    door_qs = [make_question(session, door, text=f"Counter {i}?") for i in (1, 2)]
    bill_qs = [make_question(session, bill, text=f"Till {i}?") for i in (1, 2)]

    now = utcnow()
    today = now.date()

    def approved(tp_questions: list, day: date, answers: tuple[bool, bool], tp: object) -> None:
        when = datetime(day.year, day.month, day.day, 11, tzinfo=UTC)
        shop = make_shop(
            session,
            org,
            location=quay,
            touchpoints=[tp],  # type: ignore[list-item]
            status=ShopStatus.approved,
            shopper_id=shopper.id,
            visited_at=when,
            submitted_at=when,
            approved_at=when + timedelta(hours=1),
        )
        for question, value in zip(tp_questions, answers, strict=True):
            make_answer(session, shop, question, value)
        store_score(session, shop)

    # Two months ago: the counter 100. Last month: the counter 50 and 100, paying 100.
    approved(door_qs, _month_day(today, 2, 8), (True, True), door)
    approved(door_qs, _month_day(today, 1, 4), (True, False), door)
    approved(door_qs, _month_day(today, 1, 18), (True, True), door)
    approved(bill_qs, _month_day(today, 1, 11), (True, True), bill)
    counter_last, paying_last = (50 + 100) / 2, 100.0
    journey_last = (counter_last + paying_last) / 2  # each touchpoint counts once
    journey_before = 100.0

    # Shops with their shoppers: one overdue, one due before the week is out, one next week.
    monday = today + timedelta(days=7 - today.weekday())
    next_monday = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    late = make_shop(
        session, org, location=hill, touchpoints=[door], shopper_id=shopper.id,
        status=ShopStatus.assigned, due_until=now - timedelta(days=2),
    )  # fmt: skip
    this_week = make_shop(
        session, org, location=quay, touchpoints=[bill], shopper_id=shopper.id,
        status=ShopStatus.in_progress, due_until=now + (next_monday - now) / 2,
    )  # fmt: skip
    make_shop(
        session, org, location=quay, touchpoints=[bill], shopper_id=shopper.id,
        status=ShopStatus.assigned, due_until=next_monday + timedelta(hours=9),
    )  # fmt: skip
    handed_in = make_shop(
        session, org, location=hill, touchpoints=[door], shopper_id=shopper.id,
        status=ShopStatus.submitted, submitted_at=now - timedelta(hours=3),
    )  # fmt: skip
    # Recovery: one case past its 24 hours, one still within them.
    overdue_case = make_recovery_case(
        session, org, summary="Cold coffee, served late", reported_at=now - timedelta(hours=30)
    )
    make_recovery_case(session, org, summary="Wrong change", reported_at=now - timedelta(hours=2))
    # Actions: one overdue, one due later, one done though its date has passed.
    overdue_item = make_action_item(
        session, door, title="Put a bell on the counter", due_on=today - timedelta(days=3)
    )
    make_action_item(session, door, title="Train the Saturday team", due_on=today + timedelta(5))
    done = make_action_item(session, bill, title="Fix the card reader", due_on=today - timedelta(1))
    action_item_set_status(session=session, item=done, status=ActionStatus.done)

    page = sign_in(browser_factory(), db, owner, org).get("/")  # type: ignore[operator]
    assert page.status_code == 200
    html = page.text
    text = _text(html)

    # The journey's score: the last month's, against the month before.
    label = _month_day(today, 1, 1).strftime("%B %Y")
    before = _month_day(today, 2, 1).strftime("%B %Y")
    assert f"{shown(journey_last)} Journey score, {label}" in text
    assert f"Down {shown(journey_before - journey_last)} since {before} ({shown(100)})" in text
    assert f"At the counter ✗ below {shown(counter_last)} of 90" in text
    assert "Paying ✓" not in text  # met: counted, not listed
    assert "1 of 2 shopped touchpoints at or above target; 1 not shopped" in text
    assert f'href="/reports/touchpoints/{door.id}"' in html

    # To do, each with its link.
    sunday = monday - timedelta(days=1)
    assert f"2 shops due by Sunday {sunday.day} {sunday:%b} 1 overdue" in text
    assert f'href="/shops/{late.id}"' in html and f'href="/shops/{this_week.id}"' in html
    assert text.count("Quay Street · Sam Secret · due") == 1  # next week's shop is not listed
    assert "Hill Road · Sam Secret · was due" in text
    assert "1 shop to review" in text and f'href="/shops/{handed_in.id}"' in html
    assert "1 recovery case past 24 hours Cold coffee, served late" in text
    assert f'href="/recovery/{overdue_case.id}"' in html and "Wrong change" not in text
    assert "1 action item overdue Put a bell on the counter" in text
    assert f'href="/actions/{overdue_item.id}"' in html
    assert "Train the Saturday team" not in text and "Fix the card reader" not in text

    # Staff start on the reports instead: none of the owner's to-do list.
    staff = sign_in(browser_factory(), db, viewer, org).get("/")  # type: ignore[operator]
    assert staff.status_code == 200 and "To do" not in _text(staff.text)
    assert "Sam Secret" not in staff.text


def test_a_new_organization_is_told_there_is_nothing_to_do_yet(
    session: Session, db: Database, browser_factory: object
) -> None:
    org = make_org(session, name="Fresh Start Florist", timezone="Europe/London")
    owner = make_member(session, org, Role.owner)
    text = _text(sign_in(browser_factory(), db, owner, org).get("/").text)  # type: ignore[operator]
    assert "No approved shops in the last 12 months yet" in text
    assert "Nothing is due or overdue this week, and no shop waits for review." in text
