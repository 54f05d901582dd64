"""Recovery rates, measures and action items on paper: the touchpoint PDF and the meeting pack
read back with pypdf, numbers worked out by hand; and a cached PDF is never served stale."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from actions.services import ActionItemFields, action_item_create
from app.db import Database
from app.modelbase import ident, utcnow
from app.orgs.models import Location, Organization, Role, User
from app.pdf import Renderer
from app.tenancy import scope_session
from recovery.models import CaseSource, RecoveryCase, Verdict
from reports.filters import parse_filters
from reports.pdf.cache import PdfCache
from reports.pdf.services import pack_pdf
from tests.conftest import Browser, sign_in
from tests.factories import make_location, make_member, make_org, make_touchpoint
from tests.helpers import pdf_text
from touchpoints.models import Measure, MeasureValue, Touchpoint

# slow: real WeasyPrint renders of the recovery sections
pytestmark = [pytest.mark.db, pytest.mark.slow]

# The reports' clock: the October case two hours old is still inside its 24 hours.
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
RANGE = {"period": "month", "from": "2026-08-01", "to": "2026-10-31"}
CUSTOMER = "Grace Complainer"
CONTACT = "grace@example.com"
_refs = itertools.count(1)


class Shop:
    """A small organization: one touchpoint with cases, a measure and action items."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.org: Organization = make_org(session, name="Corner Café", timezone="UTC")
        scope_session(session, ident(self.org))
        self.owner: User = make_member(session, self.org, role=Role.owner)
        self.viewer: User = make_member(session, self.org, role=Role.viewer)
        self.tp: Touchpoint = make_touchpoint(session, self.org, name="Handling a problem")
        self.north: Location = make_location(session, self.org, name="Quay Street")
        self.south: Location = make_location(session, self.org, name="Mill Lane")
        self.cases: list[RecoveryCase] = []

    def case(
        self,
        reported: datetime,
        fixed_after: timedelta | None,
        *,
        verdict: Verdict | None = None,
        surprised: bool = False,
        champion: bool = False,
    ) -> RecoveryCase:
        case = RecoveryCase(
            org_id=ident(self.org),
            reference=f"P{next(_refs):07d}",
            touchpoint_id=ident(self.tp),
            location_id=ident(self.north),
            source=CaseSource.complaint_form,
            reported_at=reported,
            summary="Waited forty minutes for a replacement.",
            customer_name=CUSTOMER,
            customer_contact=CONTACT,
            fixed_at=None if fixed_after is None else reported + fixed_after,
            surprised_at=reported + timedelta(days=1) if surprised else None,
            followed_up_at=reported + timedelta(days=2) if verdict else None,
            verdict=verdict,
            champion=champion,
        )
        self.session.add(case)
        self.session.commit()
        self.cases.append(case)
        return case

    def rates_line(self, month: int, label: str) -> str:
        """The PDF's sentence for a month, worked out from the cases by hand."""
        mine = [c for c in self.cases if c.reported_at.month == month]
        n = len(mine)
        due = [c for c in mine if c.fixed_at is not None or NOW - c.reported_at > timedelta(1)]
        ok = [
            c for c in due if c.fixed_at is not None and c.fixed_at - c.reported_at <= timedelta(1)
        ]
        sat = sum(c.verdict == Verdict.satisfied for c in mine)
        sur = sum(c.surprised_at is not None for c in mine)
        champ = sum(c.champion for c in mine)

        def pct(a: int, b: int) -> int:
            return int(100 * a / b + 0.5)

        return (
            f"{label}: {n} cases; {len(ok)} of {len(due)} fixed within 24 h "
            f"({pct(len(ok), len(due))} %), {sat} of {n} followed up and fully satisfied "
            f"({pct(sat, n)} %), {sur} of {n} surprised ({pct(sur, n)} %), "
            f"{champ} champion{'' if champ == 1 else 's'}."
        )


@pytest.fixture
def cafe(session: Session, monkeypatch: pytest.MonkeyPatch) -> Shop:
    monkeypatch.setattr("reports.loop.summary.utcnow", lambda: NOW)
    monkeypatch.setattr("reports.pdf.services.utcnow", lambda: NOW)
    w = Shop(session)
    day = timedelta(hours=24)
    # September: at exactly 24 h (in time), at 24 h + 1 min (late), in 5 h, never.
    w.case(datetime(2026, 9, 3, 10, tzinfo=UTC), day, verdict=Verdict.satisfied)
    w.case(datetime(2026, 9, 12, 18, tzinfo=UTC), day + timedelta(minutes=1), surprised=True)
    w.case(datetime(2026, 9, 20, 9, tzinfo=UTC), timedelta(hours=5), verdict=Verdict.partly)
    w.case(datetime(2026, 9, 28, 23, tzinfo=UTC), None)
    # October: the latest period, with one case still inside its window.
    w.case(
        datetime(2026, 10, 2, 8, tzinfo=UTC),
        timedelta(hours=2),
        verdict=Verdict.satisfied,
        surprised=True,
        champion=True,
    )
    w.case(datetime(2026, 10, 9, 15, tzinfo=UTC), timedelta(hours=20), verdict=Verdict.satisfied)
    w.case(datetime(2026, 10, 14, 11, tzinfo=UTC), timedelta(hours=30))
    w.case(NOW - timedelta(hours=2), None)
    # A measure: complaints per location and month (fewer is better).
    measure = Measure(
        org_id=ident(w.org),
        touchpoint_id=ident(w.tp),
        name="Complaints received",
        higher_is_better=False,
    )
    session.add(measure)
    session.commit()
    for month, north, south in ((8, 9, 7), (9, 11, 6), (10, 5, 4)):
        for loc, value in ((w.north, north), (w.south, south)):
            session.add(
                MeasureValue(
                    org_id=ident(w.org),
                    measure_id=ident(measure),
                    location_id=ident(loc),
                    period_start=date(2026, month, 1),
                    value=value,
                )
            )
    session.commit()
    action_item_create(
        session=session,
        org_id=ident(w.org),
        touchpoint_id=ident(w.tp),
        data=ActionItemFields(
            title="Let staff replace faulty items up to £50 on the spot",
            team="Store teams",
            due_on=date(2026, 10, 15),
        ),
        actor_id=None,
    )
    session.commit()
    return w


def get_pdf(client: Browser, w: Shop, **params: str) -> Any:
    return client.get(f"/reports/touchpoints/{w.tp.id}/pdf", params={**RANGE, **params})


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_touchpoint_pdf_prints_rates_measures_and_items(
    client: Browser, db: Database, cafe: Shop, paper: str
) -> None:
    sign_in(client, db, cafe.viewer, cafe.org)  # staff read it too
    response = get_pdf(client, cafe, paper=paper)
    assert response.status_code == 200, response.text[:300]
    text = pdf_text(response.content)
    assert "Service recovery" in text
    assert cafe.rates_line(10, "October 2026") in text
    assert "September 2026 4 2 of 4 (50 %) 1 of 4 (25 %) 1 of 4 (25 %) 0" in text
    assert "Fixed within 24 h: ▲ up 17 points since September 2026 (50 %)." in text
    # The measure: total of both locations per month, and the move judged by its direction.
    assert "Complaints received" in text
    assert "Aug 26 Sep 26 Oct 26" in text
    assert "16 17 9" in text
    # October is still running on the report's clock (20 October): the change says so.
    assert "▼ down 8 since September 2026 (October 2026 so far): better" in text
    # The open item, overdue in words, with its team.
    assert "Let staff replace faulty items up to £50 on the spot" in text
    assert "Store teams" in text and "OVERDUE (was due 15 Oct 2026)" in text
    # Staff never see who complained.
    assert CUSTOMER not in text and CONTACT not in text


def test_a_new_case_value_or_item_prints_a_fresh_pdf(
    client: Browser, db: Database, session: Session, cafe: Shop
) -> None:
    sign_in(client, db, cafe.owner, cafe.org)
    first = get_pdf(client, cafe)
    assert first.headers["x-touchstone-cache"] == "miss"
    assert get_pdf(client, cafe).headers["x-touchstone-cache"] == "hit"
    # A case reported in October, fixed in an hour: the rates line changes.
    cafe.case(datetime(2026, 10, 18, 9, tzinfo=UTC), timedelta(hours=1))
    fresh = get_pdf(client, cafe)
    assert fresh.headers["x-touchstone-cache"] == "miss"
    assert cafe.rates_line(10, "October 2026") in pdf_text(fresh.content)
    # A new action item: printed at once, not from the cache.
    scope_session(session, ident(cafe.org))
    action_item_create(
        session=session,
        org_id=ident(cafe.org),
        touchpoint_id=ident(cafe.tp),
        data=ActionItemFields(title="Say sorry before anything else", team="Front of house"),
        actor_id=None,
    )
    session.commit()
    fresh = get_pdf(client, cafe)
    assert fresh.headers["x-touchstone-cache"] == "miss"
    assert "Say sorry before anything else" in pdf_text(fresh.content)


def test_meeting_pack_carries_the_sections(
    session: Session, cafe: Shop, shared_renderer: Renderer, tmp_path: Path
) -> None:
    filters = parse_filters(session, cafe.org, period="month", start="2026-08-01", end="2026-10-31")
    printed = pack_pdf(
        session, cafe.org, filters, renderer=shared_renderer, cache=PdfCache(tmp_path, 20)
    )
    text = pdf_text(printed.pdf)
    # The front closes the loop across the journey, then the touchpoint's own pages.
    assert (
        "Closing the loop" in text
        and "Handling a problem October 2026 4 2 of 3 (67 %) 2 of 4 (50 %) 1 open, 1 overdue"
        in text
    )
    assert cafe.rates_line(10, "October 2026") in text
    # The touchpoint has no shops: no score pages, only what closes its loop.
    assert "No approved shops in this range. Only this touchpoint's service recovery" in text
    assert "Pulled the score down most" not in text and "Questions over the last" not in text
    assert "Complaints received" in text
    assert "Let staff replace faulty items up to £50 on the spot" in text
    assert CUSTOMER not in text


def test_a_complaint_walked_through_its_steps_is_in_the_next_pdf(
    client: Browser, db: Database, session: Session
) -> None:
    """The acceptance path on the service level: a complaint from the public form (no
    touchpoint), filed under one while triaging, fixed within the hour, surprised, followed
    up as satisfied, closed: the next printed report counts it, on the real clock."""
    from recovery import services

    org = make_org(session, name="Tea Room", timezone="UTC")
    scope_session(session, ident(org))
    owner = make_member(session, org, role=Role.owner)
    tp = make_touchpoint(session, org, name="Dealing with a problem")
    where = make_location(session, org, name="Market Hall")
    reported = utcnow() - timedelta(minutes=50)
    case = services.case_open(
        session=session,
        org_id=ident(org),
        data=services.CaseOpen(
            summary="The scones were stale.",
            source=CaseSource.complaint_form,
            reported_at=reported,
            location_id=ident(where),
            customer_name=CUSTOMER,
            customer_contact=CONTACT,
        ),
        actor_id=None,
    )
    session.commit()
    services.case_update(
        session=session, case=case, data=services.CaseDetails(touchpoint_id=ident(tp))
    )
    steps = [
        (services.Step.acknowledge, services.StepRecord(note="Sorry, we hear you.")),
        (services.Step.fix, services.StepRecord(note="Fresh scones baked and brought over.")),
        (services.Step.surprise, services.StepRecord(note="A pot of tea on the house.")),
        (
            services.Step.follow_up,
            services.StepRecord(note="Delighted.", verdict=Verdict.satisfied),
        ),
    ]
    for step, record in steps:
        services.case_step_record(session=session, case=case, step=step, data=record)
    services.case_champion(session=session, case=case, champion=True)
    services.case_triage(
        session=session,
        case=case,
        data=services.Triage(
            triage_what="Yesterday's batch was put out.",
            cause_category="process",
            triage_why="Nobody checked the date labels at opening.",
            triage_change="Check the date labels at opening.",
        ),
    )
    services.case_close(session=session, case=case)

    sign_in(client, db, owner, org)
    day = reported.date()
    month = day.replace(day=1)
    first = (month - timedelta(days=1)).replace(day=1)
    response = client.get(
        f"/reports/touchpoints/{tp.id}/pdf",
        params={"period": "month", "from": first.isoformat(), "to": utcnow().date().isoformat()},
    )
    assert response.status_code == 200, response.text[:300]
    text = pdf_text(response.content)
    assert (
        f"{day:%B %Y}: 1 case; 1 of 1 fixed within 24 h (100 %), 1 of 1 followed up and "
        "fully satisfied (100 %), 1 of 1 surprised (100 %), 1 champion."
    ) in text
    assert CUSTOMER not in text and CONTACT not in text and "stale" not in text


def test_pack_of_a_past_range_tells_its_end_and_the_unfiled_cases(
    session: Session, cafe: Shop, shared_renderer: Renderer, tmp_path: Path
) -> None:
    """A pack for August and September, printed on 20 October: the item agreed on 1 September
    and done on 5 October was open at the end of September, and is printed so; two complaints
    from the public form of September are not filed yet, one of August is, one of October is
    outside the range."""
    from touchpoints.models import ActionItem, ActionStatus

    item = session.exec(select(ActionItem).where(ActionItem.touchpoint_id == cafe.tp.id)).one()
    assert item.status == ActionStatus.open
    item.created_at = datetime(2026, 9, 1, 9, tzinfo=UTC)
    session.add(item)
    late = action_item_create(
        session=session,
        org_id=ident(cafe.org),
        touchpoint_id=ident(cafe.tp),
        data=ActionItemFields(title="Keep spare cups behind the counter", team="Store teams"),
        actor_id=None,
    )
    late.created_at = datetime(2026, 9, 2, 9, tzinfo=UTC)
    late.status = ActionStatus.done
    late.closed_at = datetime(2026, 10, 5, 9, tzinfo=UTC)
    session.add(late)
    session.commit()
    for reported in (
        datetime(2026, 9, 4, 10, tzinfo=UTC),
        datetime(2026, 9, 30, 23, 30, tzinfo=UTC),
        datetime(2026, 10, 1, 0, 30, tzinfo=UTC),
    ):
        case = cafe.case(reported, None)
        case.touchpoint_id = None
        session.add(case)
    session.commit()
    filters = parse_filters(session, cafe.org, period="month", start="2026-08-01", end="2026-09-30")
    cache = PdfCache(tmp_path, 20)
    text = pdf_text(pack_pdf(session, cafe.org, filters, renderer=shared_renderer, cache=cache).pdf)
    assert "action items open at 30 Sep 2026" in text
    assert (
        "2 recovery cases reported in this range are not yet filed under a touchpoint. "
        "They count in no touchpoint's rates until someone files them."
    ) in text
    # The touchpoint's own page: both items as they stood on 30 September, neither overdue
    # then (the first fell due on 15 October), and nothing done in August or September.
    assert "Open at 30 Sep 2026" in text and "OVERDUE" not in text
    assert "Keep spare cups behind the counter" in text
    assert text.count("Open at 30 Sep") >= 3  # the heading and each item's state
    assert "Done between 1 Aug 2026 and 30 Sep 2026" in text
    assert "nothing was marked done in that time." in text
    assert "Handling a problem September 2026" in text and "2 open" in text

    # Filing one of them prints a fresh pack that counts one.
    case = next(c for c in cafe.cases if c.reported_at == datetime(2026, 9, 4, 10, tzinfo=UTC))
    case.touchpoint_id = ident(cafe.tp)
    session.add(case)
    session.commit()
    again = pack_pdf(session, cafe.org, filters, renderer=shared_renderer, cache=cache)
    assert not again.cached
    assert "1 recovery case reported in this range is not yet filed" in pdf_text(again.pdf)


def test_a_pack_without_unfiled_cases_says_nothing_of_them(
    session: Session, cafe: Shop, shared_renderer: Renderer, tmp_path: Path
) -> None:
    filters = parse_filters(session, cafe.org, period="month", start="2026-08-01", end="2026-10-31")
    printed = pack_pdf(
        session, cafe.org, filters, renderer=shared_renderer, cache=PdfCache(tmp_path, 20)
    )
    text = pdf_text(printed.pdf)
    assert "Closing the loop" in text and "action items open now" in text
    assert "not yet filed" not in text


def test_reports_home_says_how_many_cases_are_not_filed(
    client: Browser, db: Database, session: Session, cafe: Shop
) -> None:
    sign_in(client, db, cafe.viewer, cafe.org)
    home = client.get("/reports", params=RANGE)
    assert home.status_code == 200 and "not yet filed" not in home.text
    case = cafe.cases[0]  # reported on 3 September
    case.touchpoint_id = None
    session.add(case)
    session.commit()
    home = client.get("/reports", params=RANGE)
    assert (
        "1 recovery case reported in this range is not yet filed under a touchpoint. "
        "It counts in no touchpoint&#39;s rates until someone files it."
    ) in home.text
    # A range without it says nothing.
    october = client.get("/reports", params={**RANGE, "from": "2026-10-01"})
    assert october.status_code == 200 and "not yet filed" not in october.text
