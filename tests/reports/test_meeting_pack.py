"""The meeting pack as one document: page numbers that run on, a contents list whose page
numbers point at the right pages, a first page of what needs attention, no pages for a
touchpoint without shops, critical fails grouped per question, a partial period said so,
and one generated time everywhere. Every check reads the PDF back, page by page."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from app.clock import today_in
from app.db import Database
from app.orgs.models import Location, Organization, Role, User
from audits.models import ShopStatus
from reports.periods import coverage_words, slot_of
from reports.queries import CriticalFailRow
from reports.summary import critical_groups
from tests.conftest import BASE_URL, Browser, sign_in
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
from tests.reports.test_printing import wait_for_job
from touchpoints.models import Question, Touchpoint

pytestmark = pytest.mark.slow  # real WeasyPrint renders of the whole pack

# The range ends on 7 November: November is partial, 7 of its 30 days.
RANGE = {"period": "month", "from": "2026-08-01", "to": "2026-11-07"}


@dataclass
class Pack:
    org: Organization
    owner: User
    bill: Touchpoint
    door: Touchpoint
    idle: Touchpoint  # no shops in the range
    charge: Question  # critical, failed three times
    clear: Question
    harbour: Location
    market: Location


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, 11, tzinfo=UTC)


# (when, location, bill answers (clear, charge correct), door answer)
SHOPS: list[tuple[datetime, str, tuple[bool, bool], bool]] = [
    (day(8, 12), "harbour", (True, True), True),
    (day(9, 10), "harbour", (True, False), True),  # critical fail
    (day(9, 22), "market", (False, True), False),
    (day(10, 15), "market", (True, False), True),  # critical fail
    (day(10, 28), "harbour", (True, True), False),
    (day(11, 3), "market", (False, False), True),  # critical fail
]


@pytest.fixture
def pack_world(session: Session) -> Pack:
    org = make_org(session, name="Harbour Bistro")
    owner = make_member(session, org, role=Role.owner)
    shopper = make_member(session, org, role=Role.shopper)
    arrival = make_stage(session, org, name="Arrival", position=1)
    billing = make_stage(session, org, name="Billing", position=2)
    door = make_touchpoint(session, org, arrival, name="Walking in", target=70, position=1)
    idle = make_touchpoint(session, org, arrival, name="Parking the car", target=70, position=2)
    bill = make_touchpoint(session, org, billing, name="Paying the bill", target=80)
    w = Pack(
        org=org,
        owner=owner,
        bill=bill,
        door=door,
        idle=idle,
        charge=make_question(
            session, bill, text="Was every charge correct?", kind="yes_no", critical=True
        ),
        clear=make_question(session, bill, text="Was the bill clear?", kind="yes_no"),
        harbour=make_location(session, org, name="Harbour St"),
        market=make_location(session, org, name="Market Sq"),
    )
    greeted = make_question(session, door, text="Were you greeted?", kind="yes_no")
    make_question(session, idle, text="Was there a space?", kind="yes_no")
    for when, where, (clear, correct), welcome in SHOPS:
        shop = make_shop(
            session,
            org,
            location=w.harbour if where == "harbour" else w.market,
            touchpoints=[bill, door],
            status=ShopStatus.approved,
            shopper_id=shopper.id,
            visited_at=when,
            approved_at=when + timedelta(days=1),
        )
        make_answer(session, shop, w.clear, clear)
        make_answer(session, shop, w.charge, correct)
        make_answer(session, shop, greeted, welcome)
        store_score(session, shop)
    return w


def post_json(client: Browser, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL})


def print_pack(client: Browser, db: Database, w: Pack, **params: str) -> bytes:
    sign_in(client, db, w.owner, w.org)
    started = post_json(client, "/api/v1/reports/pack", {**RANGE, **params})
    assert started.status_code == 202, started.text
    job = wait_for_job(client, started.json())  # runs the queued job, as a worker would
    assert job["status"] == "done", job
    pdf = client.get(job["pdf_url"])
    assert pdf.status_code == 200
    return pdf.content


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text as one line (runs of whitespace made one space)."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def contents(first_page: str) -> dict[str, int]:
    """The contents list of the first page: entry -> the page number it names."""
    listed = first_page.split("In this pack", 1)[1].split("Scores are out of 100", 1)[0]
    found = {}
    for name, page in re.findall(r"(\S.*?) (?:\. ?)+(\d+)", listed):
        found[name.strip()] = int(page)
    return found


def test_page_numbers_run_on_and_the_contents_point_at_each_part(
    client: Browser, db: Database, pack_world: Pack
) -> None:
    pdf = print_pack(client, db, pack_world)
    pages = pages_text(pdf)
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {total}" in text, (number, text[-120:])

    listed = contents(pages[0])
    assert list(listed) == [
        "The journey map",
        "The journey at a glance",
        "Arrival — Walking in",
        "Billing — Paying the bill",
    ], listed
    # Each entry's page is where the part begins: its heading is there, not on the page before.
    assert "The customer's journey" in pages[listed["The journey map"] - 1]
    assert "The journey at a glance" in pages[listed["The journey at a glance"] - 1]
    for entry, eyebrow in (
        ("Arrival — Walking in", "HARBOUR BISTRO · ARRIVAL Walking in"),
        ("Billing — Paying the bill", "HARBOUR BISTRO · BILLING Paying the bill"),
    ):
        start = listed[entry]
        assert eyebrow in pages[start - 1], (entry, pages[start - 1][:200])
        assert eyebrow not in pages[start - 2]
    # Every touchpoint fits in two pages, and the last part runs to the end of the pack.
    starts = sorted(listed.values())
    assert all(b - a <= 2 for a, b in zip(starts[2:], [*starts[3:], total + 1], strict=True))
    # The journey map comes before any touchpoint, on a landscape page.
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[listed["The journey map"] - 1].mediabox
    assert float(box.width) > float(box.height)


def test_first_page_says_what_needs_attention_and_lists_the_unshopped(
    client: Browser, db: Database, pack_world: Pack
) -> None:
    pages = pages_text(print_pack(client, db, pack_world))
    first = pages[0]
    # By hand: November has one shop; Paying the bill: clear no, charge failed -> 0 (critical);
    # Walking in: greeted -> 100. October: bill (100*0 critical, 100) mean 50; door (100, 0) 50.
    assert "What needs attention" in first
    journey_nov = (0 + 100) / 2
    journey_oct = (50 + 50) / 2
    assert re.search(rf"\b{shown(journey_nov)}\s*Journey score, November 2026", first), first
    assert f"Level with October 2026 ({shown(journey_oct)})" in first
    assert "✗ Below target: Paying the bill (0 of 80)" in first
    # November has one shop: no touchpoint's move can be told from the noise (reports.stats),
    # so neither is called improved or slipped; both are named as too few to tell.
    assert "Improved beyond the noise: none." in first
    assert "Slipped beyond the noise: none." in first
    assert "Moved, too few shops to tell: Walking in +50, Paying the bill −50." in first
    assert "Overdue actions: none." in first
    assert "Recovery: no recovery cases in this range." in first
    # The touchpoint without shops is named on the summary and gets no pages of its own.
    assert "No shops in this range (so no score pages): Arrival — Parking the car." in first
    assert "Parking the car" not in " ".join(contents(first))
    assert not any("HARBOUR BISTRO · ARRIVAL Parking the car" in p for p in pages)


def test_critical_fails_are_grouped_partial_month_marked_one_generated_time(
    client: Browser, db: Database, pack_world: Pack
) -> None:
    text = " ".join(pages_text(print_pack(client, db, pack_world)))
    # One line for the question: how often and when (newest first, with the location).
    assert text.count("Was every charge correct? 3 ") == 1, text
    assert "3 Nov 2026 (Market Sq); 15 Oct 2026 (Market Sq); 10 Sep 2026 (Harbour St)" in text
    assert "3 critical fails in this range" not in text  # the pack leaves the note to page 1
    # November is set against the whole of October, and says it has only 7 of 30 days ("to
    # date" while the range reaches today, on a clock set before 7 November 2026).
    running = today_in(pack_world.org.timezone) <= date(2026, 11, 7)
    held = "to date" if running else "to 7 Nov"
    assert f"November 2026 is partial: {held}, 7 of 30 days." in text
    assert "It is set against the whole of October 2026." in text
    # Every part carries the pack's one time.
    prepared = re.search(r"Prepared (\d+ \w+ \d{4}) at (\d\d:\d\d)", text)
    assert prepared is not None
    stamp = datetime.strptime(" ".join(prepared.groups()), "%d %B %Y %H:%M")
    generated = set(re.findall(r"generated (\d+ \w{3} \d{4}, \d\d:\d\d)", text))
    assert generated == {f"{stamp:%-d %b %Y, %H:%M}"}


def test_coverage_words_name_the_days_a_range_holds() -> None:
    nov = slot_of("month", date(2026, 11, 1))
    assert coverage_words(nov, date(2026, 1, 1), date(2026, 11, 7), today=date(2026, 11, 7)) == (
        "to date, 7 of 30 days"
    )
    assert coverage_words(nov, date(2026, 1, 1), date(2026, 11, 7), today=date(2026, 12, 1)) == (
        "to 7 Nov, 7 of 30 days"
    )
    assert coverage_words(nov, date(2026, 11, 10), date(2026, 12, 31), today=date(2027, 1, 1)) == (
        "from 10 Nov, 21 of 30 days"
    )
    assert coverage_words(nov, date(2026, 1, 1), date(2026, 11, 30), today=date(2026, 11, 30)) == ""


def test_a_repeat_pack_comes_from_the_cache_until_the_data_changes(
    client: Browser, db: Database, session: Session, pack_world: Pack
) -> None:
    first = print_pack(client, db, pack_world)
    repeat = post_json(client, "/api/v1/reports/pack", RANGE).json()
    assert repeat["status"] == "done"  # the same pack over the same data: straight from disk
    assert client.get(repeat["pdf_url"]).content == first
    # A new approved shop in November: the next pack is printed afresh and counts it.
    shop = make_shop(
        session,
        pack_world.org,
        location=pack_world.harbour,
        touchpoints=[pack_world.bill],
        status=ShopStatus.approved,
        visited_at=day(11, 5),
        approved_at=day(11, 5) + timedelta(hours=2),
    )
    make_answer(session, shop, pack_world.clear, True)
    make_answer(session, shop, pack_world.charge, True)
    store_score(session, shop)
    fresh = pages_text(print_pack(client, db, pack_world))
    # November for the bill is now (0 + 100) / 2; the journey (50 + 100) / 2.
    assert f"Below target: Paying the bill ({shown(50)} of 80)" in fresh[0]
    assert re.search(rf"\b{shown(75)}\s*Journey score", fresh[0])


def test_critical_fails_group_by_question_most_frequent_first() -> None:
    def fail(lineage: str, text: str, when: date, where: str) -> CriticalFailRow:
        at = datetime(when.year, when.month, when.day, 12, tzinfo=UTC)
        return CriticalFailRow(1, at, 1, where, "", 1, lineage, text, when)

    rows = [
        fail("a", "Was every charge correct?", date(2026, 10, 3), "Harbour St"),
        fail("b", "Was the card machine working?", date(2026, 10, 20), "Market Sq"),
        fail("a", "Was every charge correct?", date(2026, 11, 1), "Market Sq"),
        fail("a", "Was each charge correct?", date(2026, 9, 9), "Harbour St"),  # older wording
    ]
    groups = critical_groups(rows)
    assert [(g.text, g.count) for g in groups] == [
        ("Was every charge correct?", 3),  # named by the newest wording
        ("Was the card machine working?", 1),
    ]
    assert [(f.day, f.location) for f in groups[0].fails] == [
        (date(2026, 11, 1), "Market Sq"),
        (date(2026, 10, 3), "Harbour St"),
        (date(2026, 9, 9), "Harbour St"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4"])
def test_the_demo_pack_keeps_every_touchpoint_within_two_pages(
    session: Session, demo_org: Organization, settings: Any, shared_renderer: Any, paper: str
) -> None:
    """Issue 14: on the demo (seeded as of the day the suite runs, so a full year and a part
    month), each touchpoint's part of the pack is at most two A4 pages."""
    from reports.filters import parse_filters
    from reports.pdf.cache import PdfCache
    from reports.pdf.services import pack_pdf

    filters = parse_filters(session, demo_org, paper=paper)
    cache = PdfCache(settings.data_dir / "demo-pack-cache", 10)
    printed = pack_pdf(session, demo_org, filters, renderer=shared_renderer, cache=cache)
    pages = pages_text(printed.pdf)
    listed = contents(pages[0])
    starts = sorted(listed.values())
    assert len(starts) >= 8, listed  # map, glance and the demo's six touchpoints
    spans = {
        name: b - a
        for (name, a), b in zip(
            sorted(listed.items(), key=lambda item: item[1])[2:],
            [*starts[3:], len(pages) + 1],
            strict=True,
        )
    }
    assert all(span <= 2 for span in spans.values()), spans
