"""A recovery board to work from (issue 18): filters by location, touchpoint, next step and
overdue; the rates of this month and last at the top (recomputed here from the cases); and
ready-made replies to the customer on the case page, filled in from the case."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import Role
from recovery import services
from recovery.services import Step, StepRecord
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_location,
    make_member,
    make_org,
    make_recovery_case,
    make_touchpoint,
)

pytestmark = pytest.mark.db


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _open_refs(html: str) -> list[str]:
    """The references of the open cases the board lists."""
    open_part = html.split('id="open-h"', 1)[1].split('id="closed-h"', 1)[0]
    return re.findall(
        r'class="case-ref" href="/recovery/\d+"><span class="sr-only">Case </span>(\w+)<', open_part
    )


def test_the_board_filters_and_shows_the_months_rates(
    session: Session, db: Database, client: Browser
) -> None:
    org = make_org(session, name="Corner Bakery", timezone="Europe/London")
    owner = make_member(session, org, Role.owner)
    quay = make_location(session, org, name="Quay")
    hill = make_location(session, org, name="Hill")
    counter = make_touchpoint(session, org, name="At the counter")
    phone = make_touchpoint(session, org, name="On the phone")
    now = utcnow()
    late = make_recovery_case(
        session, org, reported_at=now - timedelta(hours=30), location_id=quay.id,
        touchpoint_id=counter.id, summary="Stale bread sold as fresh",
    )  # fmt: skip
    fresh = make_recovery_case(
        session, org, reported_at=now - timedelta(hours=2), location_id=hill.id,
        touchpoint_id=phone.id, summary="Nobody called back",
    )  # fmt: skip
    fixed = make_recovery_case(
        session, org, reported_at=now - timedelta(hours=10), location_id=quay.id,
        touchpoint_id=phone.id, summary="Order taken wrong",
    )  # fmt: skip
    for step, note in ((Step.acknowledge, ""), (Step.fix, "Baked the right cake that day")):
        services.case_step_record(
            session=session,
            case=fixed,
            step=step,
            data=StepRecord(at=fixed.reported_at + timedelta(hours=1), note=note),
        )
    session.commit()
    sign_in(client, db, owner, org)

    board = client.get("/recovery").text
    assert sorted(_open_refs(board)) == sorted([late.reference, fresh.reference, fixed.reference])
    at_quay = client.get(f"/recovery?location={quay.id}").text
    assert sorted(_open_refs(at_quay)) == sorted([late.reference, fixed.reference])
    on_phone_at_quay = client.get(f"/recovery?location={quay.id}&touchpoint={phone.id}").text
    assert _open_refs(on_phone_at_quay) == [fixed.reference]
    overdue = client.get("/recovery?overdue=1").text
    assert _open_refs(overdue) == [late.reference]
    assert 'id="closed-h"' not in overdue  # closed cases are never overdue
    to_surprise = client.get("/recovery?step=surprise").text
    assert _open_refs(to_surprise) == [fixed.reference]
    assert _open_refs(client.get("/recovery?step=acknowledge").text) == sorted(
        [late.reference, fresh.reference], key=[late.reference, fresh.reference].index
    )
    nothing = text(client.get(f"/recovery?location={hill.id}&step=surprise").text)
    assert "No open case matches: show every case" in nothing
    # A value the organization does not have narrows nothing.
    assert len(_open_refs(client.get("/recovery?location=999999&step=nonsense").text)) == 3

    # The rates, worked out here: cases count in the month (organization's zone) they were
    # reported; fixed within 24 h is out of those fixed or past their 24 hours.
    zone = ZoneInfo(org.timezone)
    months: dict[str, list[tuple[bool, bool]]] = {}  # label -> (due, on time) per case
    for case, due, on_time in ((late, True, False), (fresh, False, False), (fixed, True, True)):
        label = case.reported_at.astimezone(zone).strftime("%B %Y")
        months.setdefault(label, []).append((due, on_time))
    words = text(board)
    for label, cases in months.items():
        n, due = len(cases), sum(d for d, _ in cases)
        on_time = sum(ok for _, ok in cases)
        fixed_words = (
            f"{on_time} of {due} fixed within 24 h ({round(100 * on_time / due)} %)"
            if due
            else "fixed within 24 h: none due yet"
        )
        assert f"{label}: {n} case{'s' if n != 1 else ''}; {fixed_words}" in words
    # Narrowed to a location, the rates follow.
    quay_words = text(at_quay)
    assert "(for the chosen location)" in quay_words
    assert f": {1 if len(months) > 1 else 2} case" in quay_words


def test_the_case_page_offers_replies_filled_in_from_the_case(
    session: Session, db: Database, client: Browser
) -> None:
    org = make_org(session, name="Corner Bakery")
    owner = make_member(session, org, Role.owner)
    case = make_recovery_case(
        session, org, customer_name="Ada Baker", customer_contact="ada@example.test",
        summary="The birthday cake had the wrong name on it",
    )  # fmt: skip
    sign_in(client, db, owner, org)
    page = client.get(f"/recovery/{case.id}").text
    words = text(page)
    assert "Reply to the customer" in words
    # The next step's reply is the one open; it greets the customer and names the case.
    opened = re.search(r"<details class=\"reply\" open>(.*?)</details>", page, re.S)
    assert opened is not None and "We heard you" in opened.group(1)
    assert "Dear Ada Baker," in words and f"please quote the reference {case.reference}" in words
    assert "Corner Bakery" in words
    # The e-mail link carries the same subject and message.
    link = re.search(r'href="(mailto:[^"]+)"', page)
    assert link is not None
    mailto = unquote(unescape(link.group(1)))
    assert mailto.startswith("mailto:ada@example.test?subject=About your experience with")
    assert "Thank you for telling us what happened." in mailto

    # Once fixed, the fix reply uses the owner's own note.
    services.case_step_record(session=session, case=case, step=Step.acknowledge, data=StepRecord())
    services.case_step_record(
        session=session,
        case=case,
        step=Step.fix,
        data=StepRecord(note="A new cake, name spelled right"),
    )
    session.commit()
    words = text(client.get(f"/recovery/{case.id}").text)
    assert "we have: A new cake, name spelled right" in words
