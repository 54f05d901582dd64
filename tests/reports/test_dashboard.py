"""The report pages: journey cards, the reports home and a touchpoint's dashboard.

The expected scores are worked out here from the answers the factories store (each yes/no
question is worth the same, so a shop scores its share of yeses), not read back through the
report queries, and the pages must show them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from sqlmodel import Session

from app.db import Database
from app.modelbase import ident
from app.orgs.models import Location, Organization, Role, User
from app.tenancy import scope_session
from audits.models import Shop, ShopStatus
from reports.filters import MSG_DATE, MSG_LOCATION, MSG_PERIOD, MSG_RANGE
from reports.periods import slot_of
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_answer,
    make_location,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_stage,
    make_touchpoint,
    store_score,
)
from tests.helpers import shown
from touchpoints.models import Question, Touchpoint

pytestmark = pytest.mark.db

SHOPPER_NAME = "Quentin Quietshopper"
SHOPPER_EMAIL = "quentin.secret@example.test"
COMMENT = "The greeting felt rushed at the door."


def month_day(months_back: int, day: int = 10) -> date:
    """Day `day` of the month `months_back` months before this one (always in the past)."""
    first = date.today().replace(day=1)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first.replace(day=day)


@dataclass
class World:
    org: Organization
    owner: User
    viewer: User
    shopper: User
    north: Location
    south: Location
    tp: Touchpoint
    q1: Question
    q2: Question
    # (day, location, answers to q1 and q2) of every approved shop
    shops: list[tuple[date, Location, tuple[bool, bool]]]


def approved_shop(
    session: Session,
    two_months: World,
    day: date,
    location: Location,
    answers: tuple[bool, bool],
    *,
    comment: str = "",
) -> Shop:
    """A shop as review leaves it: approved, answered, with its score snapshot."""
    when = datetime(day.year, day.month, day.day, 11, tzinfo=UTC)
    shop = make_shop(
        session,
        two_months.org,
        location=location,
        touchpoints=[two_months.tp],
        status=ShopStatus.approved,
        shopper_id=two_months.shopper.id,
        visited_at=when,
        submitted_at=when,
        approved_at=when + timedelta(hours=2),
    )
    make_answer(session, shop, two_months.q1, answers[0], comment=comment)
    make_answer(session, shop, two_months.q2, answers[1])
    store_score(session, shop)
    two_months.shops.append((day, location, answers))
    return shop


@pytest.fixture
def two_months(session: Session) -> World:
    org = make_org(session, name="Harbour Opticians", timezone="UTC")
    owner = make_member(session, org, Role.owner)
    viewer = make_member(session, org, Role.viewer)
    shopper = make_member(session, org, Role.shopper, name=SHOPPER_NAME, email=SHOPPER_EMAIL)
    scope_session(session, ident(org))
    north = make_location(session, org, name="Harbour Street", region="North")
    south = make_location(session, org, name="Hilltop", region="South")
    stage = make_stage(session, org, name="Visit")
    tp = make_touchpoint(session, org, stage, name="Greeting at the door", target=80)
    q1 = make_question(session, tp, text="Greeted within a minute?")
    q2 = make_question(session, tp, text="Offered a seat?")
    w = World(org, owner, viewer, shopper, north, south, tp, q1, q2, [])
    # Two months ago: 50 and 100. Last month: 100, 100 and 50, one with a comment.
    approved_shop(session, w, month_day(2, 5), north, (True, False))
    approved_shop(session, w, month_day(2, 12), south, (True, True))
    approved_shop(session, w, month_day(1, 3), north, (True, True))
    approved_shop(session, w, month_day(1, 9), south, (True, True))
    approved_shop(session, w, month_day(1, 20), north, (False, True), comment=COMMENT)
    # Not approved yet: not counted.
    pending = make_shop(session, org, location=north, touchpoints=[tp], status="submitted")
    make_answer(session, pending, q1, False)
    return w


def expected_month(two_months: World, months_back: int) -> tuple[float, int]:
    """Mean shop score and shop count of one month, from the answers themselves."""
    key = month_day(months_back).strftime("%Y-%m")
    scores = [
        100 * sum(answers) / len(answers)
        for day, _, answers in two_months.shops
        if day.strftime("%Y-%m") == key
    ]
    return sum(scores) / len(scores), len(scores)


number = shown  # a score as the page shows it: rounded once, half away from zero


def text_of(html: str) -> str:
    """The page's words as a person reads them: tags dropped, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def signed_in(browser_factory: object, db: Database, user: User, org: Organization) -> Browser:
    return sign_in(browser_factory(), db, user, org)  # type: ignore[operator]


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="filter-{field}-error"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no message slot for {field}"
    return unescape(match.group(1)).strip()


def test_cards_and_dashboard_show_latest_score_and_change(
    two_months: World, db: Database, browser_factory: object
) -> None:
    latest, latest_n = expected_month(two_months, 1)
    previous, _ = expected_month(two_months, 2)
    assert (number(latest), number(previous)) == ("83.3", "75")  # the story told above
    change = number(latest - previous)
    last_month = slot_of("month", month_day(1))
    since = slot_of("month", month_day(2)).start.strftime("%b")
    if month_day(1).year != month_day(2).year:
        since += f" {month_day(2).year}"

    owner = signed_in(browser_factory, db, two_months.owner, two_months.org)
    journey = text_of(owner.get("/journey").text)
    # 50 and 100, then 100, 100 and 50: a rise of 8.3 on five shops is well within the
    # noise, so it is not called a rise; the ± is the latest month's 95 % interval.
    same = f"≈ about the same as {since} (+{change}, within the noise)"
    # (100, 100, 50: the interval reaches past 100, so it is printed as its two ends.)
    interval = r"(?:± [0-9.]+|[0-9.]+ to [0-9.]+)"
    assert re.search(rf"{re.escape(number(latest))} {interval} {re.escape(same)}", journey)
    assert f"up {change}" not in journey
    assert "target 80 · ✓ met" in journey
    assert f"{latest_n} shops in {last_month.start:%b %Y}" in journey
    assert f'href="/reports/touchpoints/{two_months.tp.id}"' in owner.get("/journey").text

    viewer = signed_in(browser_factory, db, two_months.viewer, two_months.org)
    for path in ("/", "/reports"):
        home = viewer.get(path)
        assert home.status_code == 200
        assert "<h1>Reports</h1>" in home.text
        words = text_of(home.text)
        assert re.search(rf"Greeting at the door {re.escape(number(latest))} {interval}", words)
        assert same in words
        assert f"/reports/touchpoints/{two_months.tp.id}?period=month" in home.text

    page = viewer.get(f"/reports/touchpoints/{two_months.tp.id}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert (
        f"{number(latest)} in {last_month.label}: about the same as "
        f"{slot_of('month', month_day(2)).label} (+{change} points, within the noise), "
        f"{number(latest - 80)} above target."
    ) in words
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart' in page.text
    # The question table: q1 was yes in 2 of 3 shops last month, q2 in all three.
    empty = r"(?:– no answers )*"
    assert re.search(rf"Greeted within a minute\? {empty}100 66\.7 1 fail", words)
    assert re.search(rf"Offered a seat\? {empty}50 1 fail 100", words)
    assert "Critical fails" in words
    assert "Locations in" in words  # two locations: the comparison chart
    assert COMMENT in words


def test_viewer_never_sees_the_shopper(
    two_months: World, db: Database, browser_factory: object
) -> None:
    viewer = signed_in(browser_factory, db, two_months.viewer, two_months.org)
    for path in ("/", "/reports", f"/reports/touchpoints/{two_months.tp.id}", "/journey"):
        html = viewer.get(path).text
        assert SHOPPER_NAME not in html and SHOPPER_EMAIL not in html, path
        assert "quentin" not in html.lower(), path
    assert COMMENT in viewer.get(f"/reports/touchpoints/{two_months.tp.id}").text


def test_shoppers_may_not_read_reports(
    two_months: World, db: Database, browser_factory: object
) -> None:
    shopper = signed_in(browser_factory, db, two_months.shopper, two_months.org)
    assert shopper.get("/reports").status_code == 403
    assert shopper.get(f"/reports/touchpoints/{two_months.tp.id}").status_code == 403


def test_another_organizations_touchpoint_is_not_found(
    two_months: World, session: Session, db: Database, browser_factory: object
) -> None:
    other = make_org(session, name="Other Org")
    scope_session(session, ident(other))
    other_owner = make_member(session, other, Role.owner)
    their_tp = make_touchpoint(session, other, name="Their secret touchpoint")
    mine = signed_in(browser_factory, db, two_months.viewer, two_months.org)
    response = mine.get(f"/reports/touchpoints/{their_tp.id}")
    assert response.status_code == 404
    assert "Their secret touchpoint" not in response.text
    # ... while their own owner reaches it, with no shops and no numbers of ours.
    theirs = signed_in(browser_factory, db, other_owner, other)
    page = theirs.get(f"/reports/touchpoints/{their_tp.id}")
    assert page.status_code == 200
    assert "No approved shops in this range yet." in page.text
    assert "Harbour Street" not in page.text


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-05-01&to=2026-04-01", "to", MSG_RANGE % {"start": "2026-05-01"}),
        ("period=fortnight", "period", MSG_PERIOD),
        ("from=2026-13-01", "from", MSG_DATE),
        ("location=abc", "location", MSG_LOCATION % {"value": "'abc'"}),
    ],
)
def test_bad_filters_are_named_next_to_their_field(
    two_months: World, db: Database, browser_factory: object, query: str, field: str, message: str
) -> None:
    viewer = signed_in(browser_factory, db, two_months.viewer, two_months.org)
    for path in ("/reports", f"/reports/touchpoints/{two_months.tp.id}"):
        page = viewer.get(f"{path}?{query}")
        assert page.status_code == 400
        assert field_error(page.text, field) == message
        assert "Fix the filter marked above to see results." in page.text
        assert 'id="report-filters"' in page.text  # the whole page, filter bar included
        # htmx gets the results part, with the message slot sent out of band.
        part = viewer.get(f"{path}?{query}", headers={"HX-Request": "true"})
        assert part.status_code == 400
        assert "<h1>" not in part.text
        assert re.search(
            rf'<p class="error" id="filter-{field}-error" hx-swap-oob="true">'
            rf"{re.escape(message)}</p>".replace("'", "(?:'|&#39;)"),
            part.text,
        ), part.text


def test_location_of_another_org_is_refused(
    two_months: World, session: Session, db: Database, browser_factory: object
) -> None:
    other = make_org(session, name="Elsewhere")
    scope_session(session, ident(other))
    theirs = make_location(session, other, name="Their shop")
    viewer = signed_in(browser_factory, db, two_months.viewer, two_months.org)
    page = viewer.get(f"/reports/touchpoints/{two_months.tp.id}?location={theirs.id}")
    assert page.status_code == 400
    assert field_error(page.text, "location") == MSG_LOCATION % {"value": theirs.id}
    assert "Their shop" not in page.text


def test_filters_narrow_and_regroup_the_results(
    two_months: World, db: Database, browser_factory: object
) -> None:
    viewer = signed_in(browser_factory, db, two_months.viewer, two_months.org)
    # Only Hilltop: one shop two months ago (100) and one last month (100).
    page = viewer.get(f"/reports/touchpoints/{two_months.tp.id}?location={two_months.south.id}")
    words = text_of(page.text)
    assert "Hilltop" in words and "100 in" in words
    assert "Locations in" not in words  # one location: nothing to compare
    # By quarter, the htmx part: one figure per quarter, the links keep the period.
    part = viewer.get("/reports?period=quarter&region=South", headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert "per quarter · Region South" in text_of(part.text)
    assert f"/reports/touchpoints/{two_months.tp.id}?period=quarter&amp;region=South" in part.text
    assert f"location={two_months.south.id}" in part.text  # the CSV links take the region's
    assert "<h1>" not in part.text
