"""Printed reports: the numbers on paper are the ones computed by hand from the shops.

Each test builds a small organization with factories, works out the expected section scores
with plain arithmetic (not with the code under test) and reads the PDF's text back.
"""

from __future__ import annotations

import html
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from sqlmodel import Session

from app.db import Database
from app.orgs.models import Location, Organization, Role, User
from audits.models import ShopStatus
from tests.conftest import BASE_URL, Browser, sign_in
from tests.factories import (
    make_answer,
    make_location,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_touchpoint,
    store_score,
)
from tests.helpers import pdf_pages, pdf_text, run_jobs, shown
from tests.reports.csv_figures import FromCsv, figures_from_csv
from touchpoints.models import Question, Touchpoint

pytestmark = pytest.mark.slow  # real WeasyPrint renders (touchpoint PDF, meeting pack)

SHOPPER_EMAIL = "hidden.shopper@example.com"
RANGE = {"period": "month", "from": "2026-09-01", "to": "2026-10-31"}


fmt = shown  # how the report prints a score: rounded once, half away from zero, one decimal


@dataclass
class Bill:
    """Demo-like org: one touchpoint 'Paying the bill' with three questions, two locations."""

    org: Organization
    owner: User
    viewer: User
    shopper: User
    touchpoint: Touchpoint
    clear: Question  # yes/no, weight 1
    friendly: Question  # scale 1-5, weight 2
    correct: Question  # yes/no, weight 1, critical
    harbour: Location
    market: Location


def section_pct(clear: bool, friendly: int, correct: bool) -> float:
    """The scoring rules of docs/definitions.md by hand: yes earns all points, a scale value v
    earns (v-1)/4 of them, and a failed critical question zeroes the section."""
    if not correct:
        return 0.0
    earned = (1 if clear else 0) + 2 * (friendly - 1) / 4 + 1
    return 100 * earned / 4


def add_shop(
    session: Session,
    w: Bill,
    when: datetime,
    answers: tuple[bool, int, bool],
    *,
    location: Location | None = None,
    comment: str = "",
) -> None:
    shop = make_shop(
        session,
        w.org,
        location=location or w.harbour,
        touchpoints=[w.touchpoint],
        status=ShopStatus.approved,
        shopper_id=w.shopper.id,
        visited_at=when,
        approved_at=when + timedelta(days=1),
    )
    clear, friendly, correct = answers
    make_answer(session, shop, w.clear, clear)
    make_answer(session, shop, w.friendly, friendly, comment=comment)
    make_answer(session, shop, w.correct, correct)
    store_score(session, shop)


SHOPS: list[tuple[datetime, tuple[bool, int, bool], str]] = [
    (datetime(2026, 9, 10, 11, tzinfo=UTC), (True, 5, True), "harbour"),
    (datetime(2026, 9, 20, 11, tzinfo=UTC), (False, 3, True), "market"),
    (datetime(2026, 10, 5, 11, tzinfo=UTC), (True, 4, True), "harbour"),
    (datetime(2026, 10, 15, 11, tzinfo=UTC), (True, 5, False), "market"),  # critical fail
    (datetime(2026, 10, 25, 11, tzinfo=UTC), (False, 5, True), "harbour"),
]


@pytest.fixture
def bill(session: Session) -> Bill:
    org = make_org(session, name="Harbour Bistro")
    owner = make_member(session, org, role=Role.owner)
    viewer = make_member(session, org, role=Role.viewer)
    shopper = make_member(session, org, role=Role.shopper, email=SHOPPER_EMAIL)
    tp = make_touchpoint(session, org, name="Paying the bill", target=80)
    w = Bill(
        org=org,
        owner=owner,
        viewer=viewer,
        shopper=shopper,
        touchpoint=tp,
        clear=make_question(session, tp, text="Was the bill clear?", kind="yes_no"),
        friendly=make_question(
            session,
            tp,
            text="How friendly was the cashier?",
            kind="scale",
            weight=2,
            scale_labels=["Rude", "Cold", "Polite", "Warm", "Delightful"],
        ),
        correct=make_question(
            session, tp, text="Was every charge correct?", kind="yes_no", critical=True
        ),
        harbour=make_location(session, org, name="Harbour St"),
        market=make_location(session, org, name="Market Sq"),
    )
    for when, answers, where in SHOPS:
        comment = "Card machine was slow." if when.day == 25 else ""
        location = w.harbour if where == "harbour" else w.market
        add_shop(session, w, when, answers, location=location, comment=comment)
    return w


def expected() -> dict[str, Any]:
    months: dict[str, list[float]] = {}
    for when, answers, _where in SHOPS:
        months.setdefault(f"{when:%Y-%m}", []).append(section_pct(*answers))
    sep = sum(months["2026-09"]) / 2
    oct_ = sum(months["2026-10"]) / 3
    return {"sep": sep, "oct": oct_, "change": oct_ - sep, "gap": 80 - oct_}


def signed_in(client: Browser, db: Database, user: User, org: Organization) -> Browser:
    return sign_in(client, db, user, org)


def post_json(client: Browser, path: str, body: dict[str, Any]) -> Any:
    """A POST as the page's script would send it: cookie session plus the CSRF header."""
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf, "Origin": BASE_URL})


def wait_for_job(client: Browser, job: dict[str, Any]) -> dict[str, Any]:
    """Run the queued pack jobs (what a job worker would do), then poll the job until it
    ends."""
    run_jobs(client.app)
    deadline = time.monotonic() + 300  # an upper bound; the loop ends when the job does
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.get(f"/api/v1/reports/jobs/{job['id']}").json()
    return job


def get_pdf(client: Browser, w: Bill, **params: str) -> Any:
    query = {**RANGE, **params}
    return client.get(f"/reports/touchpoints/{w.touchpoint.id}/pdf", params=query)


def test_touchpoint_pdf_shows_the_hand_computed_scores(
    client: Browser, db: Database, bill: Bill
) -> None:
    signed_in(client, db, bill.owner, bill.org)
    response = get_pdf(client, bill)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    text = pdf_text(response.content)
    e = expected()
    # The plain-words line: latest, change since the previous period, distance to target.
    # 100 and 50, then 87.5, 0 and 75: a fall of 20.8 points on five shops is within the
    # noise, so the report does not call it a fall (docs/definitions.md).
    assert (
        f"{fmt(e['oct'])} in October 2026: about the same as September 2026 "
        f"(−{fmt(-e['change'])} points, within the noise), {fmt(e['gap'])} below target." in text
    )
    assert "Harbour Bistro" in text and "Paying the bill" in text
    assert "1 Sep – 31 Oct 2026" in text
    # September rests on two shops: the report says so.
    assert "September 2026 rests on 2 shops" in text
    # Per-question table over the months: "Was the bill clear?" in October: yes, yes, no.
    assert "Was the bill clear?" in text and fmt(200 / 3) in text
    # The critical fail, with its day and location; the comment, without the shopper.
    assert "Was every charge correct? 1 15 Oct 2026 (Market Sq)" in text
    assert "Card machine was slow." in text
    assert SHOPPER_EMAIL not in text and bill.shopper.name not in text
    # Both locations compared in the latest period; footer with page x of y on every page.
    assert "Locations in October 2026" in text
    pages = pdf_pages(response.content)
    for number in range(1, pages + 1):
        assert f"page {number} of {pages}" in text


def test_letter_paper_and_a4_differ_in_size(client: Browser, db: Database, bill: Bill) -> None:
    signed_in(client, db, bill.owner, bill.org)
    sizes = {}
    for paper in ("a4", "letter"):
        response = get_pdf(client, bill, paper=paper)
        assert response.status_code == 200
        box = PdfReader(io.BytesIO(response.content)).pages[0].mediabox
        sizes[paper] = (round(float(box.width)), round(float(box.height)))
    assert sizes["a4"] == (595, 842)
    assert sizes["letter"] == (612, 792)


def test_repeat_print_comes_from_the_cache_until_a_shop_is_approved(
    app: FastAPI,
    client: Browser,
    db: Database,
    session: Session,
    bill: Bill,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renders: list[str] = []
    renderer = app.state.renderer
    real_render = renderer.render

    def counted(html: str, **kw: Any) -> Any:
        renders.append(html)
        return real_render(html, **kw)

    monkeypatch.setattr(renderer, "render", counted)
    signed_in(client, db, bill.owner, bill.org)
    first = get_pdf(client, bill)
    assert first.headers["x-touchstone-cache"] == "miss"
    assert len(renders) == 1
    again = get_pdf(client, bill)
    assert again.headers["x-touchstone-cache"] == "hit"
    assert again.content == first.content
    assert len(renders) == 1  # no render happened (asked, not timed: a busy machine is slow)
    # One more approved shop in October changes the data: a fresh PDF with the new mean.
    add_shop(session, bill, datetime(2026, 10, 28, 9, tzinfo=UTC), (True, 5, True))
    fresh = get_pdf(client, bill)
    assert fresh.headers["x-touchstone-cache"] == "miss"
    octobers = [section_pct(*a) for w, a, _ in SHOPS if w.month == 10] + [100.0]
    assert f"{fmt(sum(octobers) / 4)} in October 2026" in pdf_text(fresh.content)


def test_viewer_prints_without_shopper_identity_and_shopper_cannot(
    browser_factory: Any, db: Database, bill: Bill
) -> None:
    viewer = signed_in(browser_factory(), db, bill.viewer, bill.org)
    response = get_pdf(viewer, bill)
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert SHOPPER_EMAIL not in text and bill.shopper.name not in text
    shopper = signed_in(browser_factory(), db, bill.shopper, bill.org)
    assert get_pdf(shopper, bill).status_code == 403
    api = shopper.get(f"/api/v1/reports/touchpoints/{bill.touchpoint.id}/trend")
    assert api.status_code == 403


def test_trend_api_matches_the_hand_computation(client: Browser, db: Database, bill: Bill) -> None:
    signed_in(client, db, bill.owner, bill.org)
    response = client.get(f"/api/v1/reports/touchpoints/{bill.touchpoint.id}/trend", params=RANGE)
    assert response.status_code == 200, response.text
    body = response.json()
    e = expected()
    # Full precision beside the text as printed (rounded once).
    exact = pytest.approx
    assert [(p["key"], p["score"], p["score_text"], p["shops"]) for p in body["periods"]] == [
        ("2026-09", exact(e["sep"]), fmt(e["sep"]), 2),
        ("2026-10", exact(e["oct"]), fmt(e["oct"]), 3),
    ]
    assert body["change"] == exact(e["change"])
    assert body["change_text"] == fmt(e["change"])
    assert body["critical_total"] == 1
    assert body["critical_fails"][0]["location"] == "Market Sq"
    assert "shopper" not in response.text.lower()


@pytest.mark.parametrize(
    ("params", "status", "field", "words"),
    [
        ({"from": "2026-10-01", "to": "2026-09-01"}, 400, "to", "ends before it starts"),
        ({"period": "fortnight"}, 400, "period", "week, month or quarter"),
        ({"from": "1 Sept"}, 400, "from", "YYYY-MM-DD"),
        ({"to": "9999-12-31"}, 400, "to", "between the years 1900 and 2999"),
        ({"period": "week", "from": "2000-01-01"}, 400, "from", "at most 160"),
        ({"paper": "a3"}, 400, "paper", "A4 or US Letter"),
        ({"location": "999999"}, 400, "location", "not one of this organization's locations"),
    ],
)
def test_bad_report_input_gets_a_precise_4xx(
    client: Browser,
    db: Database,
    bill: Bill,
    params: dict[str, str],
    status: int,
    field: str,
    words: str,
) -> None:
    signed_in(client, db, bill.owner, bill.org)
    for kind in ("trend", "pdf"):
        response = client.get(
            f"/api/v1/reports/touchpoints/{bill.touchpoint.id}/{kind}", params=params
        )
        assert response.status_code == status, response.text
        assert response.json()["field"] == field
        assert words in response.json()["detail"]
    page = get_pdf(client, bill, **params)
    assert page.status_code == status
    assert words in html.unescape(page.text)


def test_another_organizations_touchpoint_and_location_are_refused(
    client: Browser, db: Database, session: Session, bill: Bill
) -> None:
    other = make_org(session, name="Rival Diner")
    their_tp = make_touchpoint(session, other, name="Their bill")
    their_location = make_location(session, other, name="Their street")
    signed_in(client, db, bill.owner, bill.org)
    assert client.get(f"/api/v1/reports/touchpoints/{their_tp.id}/pdf").status_code == 404
    assert client.get(f"/reports/touchpoints/{their_tp.id}/pdf").status_code == 404
    response = client.get(
        f"/api/v1/reports/touchpoints/{bill.touchpoint.id}/pdf",
        params={"location": str(their_location.id)},
    )
    assert response.status_code == 400
    assert response.json()["field"] == "location"


def test_a_render_over_the_time_limit_fails_cleanly_and_the_server_keeps_serving(
    app: Any, client: Browser, db: Database, bill: Bill
) -> None:
    signed_in(client, db, bill.owner, bill.org)
    app.state.renderer.time_limit = 0.001
    response = client.get(f"/api/v1/reports/touchpoints/{bill.touchpoint.id}/pdf", params=RANGE)
    assert response.status_code == 503
    assert "took longer than" in response.json()["detail"]
    page = get_pdf(client, bill, paper="letter")
    assert page.status_code == 503
    assert "took longer than" in page.text
    app.state.renderer.time_limit = 60.0
    assert client.get("/journey").status_code == 200
    again = get_pdf(client, bill)
    assert again.status_code == 200
    assert again.headers["x-touchstone-cache"] == "miss"  # nothing half-made was cached


def test_meeting_pack_prints_in_the_background_with_progress(
    client: Browser, db: Database, session: Session, bill: Bill
) -> None:
    second = make_touchpoint(session, bill.org, name="Walking in")
    make_question(session, second, text="Were you greeted?", kind="yes_no")
    signed_in(client, db, bill.owner, bill.org)
    started = post_json(client, "/api/v1/reports/pack", {**RANGE, "paper": "letter"})
    assert started.status_code == 202, started.text
    job = wait_for_job(client, started.json())
    assert job["status"] == "done", job
    assert job["done"] == job["total"]  # collecting, then printing the one document
    pdf = client.get(job["pdf_url"])
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    e = expected()
    assert "Meeting pack" in text and "The journey at a glance" in text
    assert "Paying the bill" in text and "Walking in" in text
    assert f"{fmt(e['oct'])} in October 2026" in text
    assert "The customer's journey" in text  # the landscape journey map page, up front
    reader = PdfReader(io.BytesIO(pdf.content))
    second = reader.pages[1].mediabox
    assert float(second.width) > float(second.height)  # landscape
    last = reader.pages[-1].mediabox
    assert float(last.width) == pytest.approx(612)  # letter portrait: 8.5 in
    # The page flow: the pack page shows progress, then a download link.
    page = client.get(f"/reports/jobs/{job['id']}")
    assert "The meeting pack is ready." in page.text
    # Printing the same pack again is done at once, from the cache.
    repeat = post_json(client, "/api/v1/reports/pack", {**RANGE, "paper": "letter"})
    assert repeat.json()["status"] == "done"


def test_pack_job_of_another_organization_is_not_found(
    browser_factory: Any, db: Database, session: Session, bill: Bill
) -> None:
    owner = signed_in(browser_factory(), db, bill.owner, bill.org)
    job = post_json(owner, "/api/v1/reports/pack", RANGE).json()
    other = make_org(session, name="Rival Diner")
    stranger = make_member(session, other, role=Role.owner)
    outsider = signed_in(browser_factory(), db, stranger, other)
    assert outsider.get(f"/api/v1/reports/jobs/{job['id']}").status_code == 404
    assert outsider.get(f"/reports/jobs/{job['id']}").status_code == 404
    assert outsider.get(f"/api/v1/reports/jobs/{job['id']}/pdf").status_code == 404
    assert wait_for_job(owner, job)["status"] == "done"


# --- exact figures: rounded once, never twice ---------------------------------------------
#
# Figures where rounding the stored section scores first and the mean again would show: the
# mean of 93.333… and 0 is 46.667 (46.7), where 93.3 and 0 average 46.65 and showed 46.6; the
# mean of 50.67 and 50 is 50.335 (50.3), where 50.7 and 50 average 50.35 and showed 50.4. Every
# figure is recomputed from the CSV export alone, and compared with the trend API (exact, and
# its text), the touchpoint PDF and the meeting pack.

EXACT_RANGE = {"period": "month", "from": "2026-01-01", "to": "2026-02-28"}


@dataclass
class Exact:
    org: Organization
    owner: User
    bill: Touchpoint  # questions of weight 14 and 1: sections of 93.333…, 100, 6.67 or 0
    entry: Touchpoint  # questions of weight 50, 0.67 and 49.33: sections 50.67, 50, 99.33 …


@pytest.fixture
def exact_world(session: Session) -> Exact:
    org = make_org(session, name="Corner Shops")
    owner = make_member(session, org, role=Role.owner)
    shopper = make_member(session, org, role=Role.shopper)
    bill = make_touchpoint(session, org, name="Settling up", target=80)
    entry = make_touchpoint(session, org, name="Coming in", target=50)
    total = make_question(session, bill, text="Total right?", kind="yes_no", weight=14)
    receipt = make_question(session, bill, text="Receipt offered?", kind="yes_no", weight=1)
    door = make_question(session, entry, text="Door held?", kind="yes_no", weight=50)
    mat = make_question(session, entry, text="Mat clean?", kind="yes_no", weight=0.67)
    hello = make_question(session, entry, text="Said hello?", kind="yes_no", weight=49.33)
    high = make_location(session, org, name="High Street")
    market = make_location(session, org, name="Market Row")
    plan: list[tuple[int, int, Location, Touchpoint, list[tuple[Question, bool]]]] = [
        (1, 10, high, bill, [(total, True), (receipt, False)]),  # 93.333…
        (1, 12, market, bill, [(total, False), (receipt, False)]),  # 0
        (2, 10, high, bill, [(total, True), (receipt, False)]),  # 93.333…
        (2, 12, high, bill, [(total, False), (receipt, False)]),  # 0: High Street 46.667
        (2, 14, market, bill, [(total, True), (receipt, True)]),  # 100
        (1, 15, high, entry, [(door, True), (mat, False), (hello, True)]),  # 99.33
        (2, 15, high, entry, [(door, True), (mat, True), (hello, False)]),  # 50.67
        (2, 16, market, entry, [(door, True), (mat, False), (hello, False)]),  # 50
    ]
    for month, day, location, tp, answers in plan:
        when = datetime(2026, month, day, 11, tzinfo=UTC)
        shop = make_shop(
            session,
            org,
            location=location,
            touchpoints=[tp],
            status=ShopStatus.approved,
            shopper_id=shopper.id,
            visited_at=when,
            approved_at=when + timedelta(days=1),
        )
        for question, value in answers:
            make_answer(session, shop, question, value)
        store_score(session, shop)
    return Exact(org=org, owner=owner, bill=bill, entry=entry)


def test_exact_figures_csv_recomputation_is_what_double_rounding_got_wrong(
    client: Browser, db: Database, exact_world: Exact
) -> None:
    signed_in(client, db, exact_world.owner, exact_world.org)
    csv_figures = figures_from_csv(client, EXACT_RANGE)
    bill, entry = csv_figures["Settling up"], csv_figures["Coming in"]
    assert bill.months["2026-01"] == pytest.approx(140 / 3)  # (93.333… + 0) / 2
    assert bill.locations["High Street"] == pytest.approx(140 / 3)
    assert entry.latest == pytest.approx(50.335)

    # Shown once-rounded; the old way (round the stored 93.3 / 50.7 to one decimal, average,
    # round again with Python's round) showed other figures.
    def twice(value: float) -> str:
        return f"{round(value, 1):g}"

    assert (shown(bill.months["2026-01"]), twice((93.3 + 0) / 2)) == ("46.7", "46.6")
    assert (shown(entry.latest), twice((50.7 + 50) / 2)) == ("50.3", "50.4")
    assert (shown(-entry.change), twice(-(50.4 - 99.3))) == ("49", "48.9")


def test_exact_figures_in_the_trend_api(client: Browser, db: Database, exact_world: Exact) -> None:
    signed_in(client, db, exact_world.owner, exact_world.org)
    csv_figures = figures_from_csv(client, EXACT_RANGE)
    for tp in (exact_world.bill, exact_world.entry):
        want = csv_figures[tp.name]
        response = client.get(f"/api/v1/reports/touchpoints/{tp.id}/trend", params=EXACT_RANGE)
        assert response.status_code == 200, response.text
        body = response.json()
        # Full precision (equal up to a float's last bits), and the text as printed.
        got = {p["key"]: (p["score"], p["score_text"]) for p in body["periods"]}
        assert got == {m: (pytest.approx(v, abs=1e-9), shown(v)) for m, v in want.months.items()}
        assert body["change"] == pytest.approx(want.change, abs=1e-9)
        assert body["change_text"] == shown(want.change)
        places = {row["location"]: (row["score"], row["score_text"]) for row in body["locations"]}
        assert places == {
            p: (pytest.approx(v, abs=1e-9), shown(v)) for p, v in want.locations.items()
        }
    bill = client.get(
        f"/api/v1/reports/touchpoints/{exact_world.bill.id}/trend", params=EXACT_RANGE
    ).json()
    assert bill["periods"][0]["score_text"] == "46.7"
    assert {r["location"]: r["score_text"] for r in bill["locations"]}["High Street"] == "46.7"
    entry = client.get(
        f"/api/v1/reports/touchpoints/{exact_world.entry.id}/trend", params=EXACT_RANGE
    ).json()
    assert (entry["latest"]["score_text"], entry["change_text"]) == ("50.3", "-49")
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "full precision" in schema["PeriodOut"]["properties"]["score"]["description"]


def test_exact_figures_in_the_touchpoint_pdf(
    client: Browser, db: Database, exact_world: Exact
) -> None:
    signed_in(client, db, exact_world.owner, exact_world.org)
    csv_figures = figures_from_csv(client, EXACT_RANGE)
    for tp in (exact_world.bill, exact_world.entry):
        want = csv_figures[tp.name]
        response = client.get(f"/reports/touchpoints/{tp.id}/pdf", params=EXACT_RANGE)
        assert response.status_code == 200, response.text[:300]
        text = pdf_text(response.content)
        assert f"{shown(want.latest)} in February 2026: {change_words(want)}" in text
        for value in [*want.months.values(), *want.locations.values()]:
            assert shown(value) in text, (tp.name, value)
        if tp.name == "Settling up":
            assert "46.7" in text and "46.6" not in text  # January, and High Street
        else:
            assert "50.3 in February 2026: −49 points on January 2026, too few shops" in text
            assert "50.4" not in text and "48.9" not in text


def test_exact_figures_in_the_meeting_pack(
    client: Browser, db: Database, exact_world: Exact
) -> None:
    signed_in(client, db, exact_world.owner, exact_world.org)
    csv_figures = figures_from_csv(client, EXACT_RANGE)
    started = post_json(client, "/api/v1/reports/pack", EXACT_RANGE)
    assert started.status_code == 202, started.text
    job = wait_for_job(client, started.json())
    assert job["status"] == "done", job
    text = pdf_text(client.get(job["pdf_url"]).content)
    for want in csv_figures.values():
        assert f"{shown(want.latest)} in February 2026" in text
        for value in [*want.months.values(), *want.locations.values()]:
            assert shown(value) in text, value
    # The overview's change column: ▼ −49 for "Coming in", not −48.9.
    assert "−49" in text and "48.9" not in text
    assert "46.6" not in text and "50.4" not in text


def test_exact_figures_on_the_dashboard(client: Browser, db: Database, exact_world: Exact) -> None:
    signed_in(client, db, exact_world.owner, exact_world.org)
    csv_figures = figures_from_csv(client, EXACT_RANGE)
    home = page_words(client.get("/reports", params=EXACT_RANGE).text)
    for tp in (exact_world.bill, exact_world.entry):
        want = csv_figures[tp.name]
        assert shown(want.latest) in home
        response = client.get(f"/reports/touchpoints/{tp.id}", params=EXACT_RANGE)
        assert response.status_code == 200
        words = page_words(response.text)
        assert change_words(want) in words
        for value in [*want.months.values(), *want.locations.values()]:
            assert shown(value) in words, (tp.name, value)
    assert "46.6" not in home and "50.4" not in home


def change_words(want: FromCsv) -> str:
    """The headline's change as the CSV says it should read: "up" or "down" only beyond the
    noise (the Welch interval of the difference excludes 0)."""
    call, _, _ = want.welch()
    amount = shown(abs(want.change))
    since = "January 2026"
    if call == "up":
        return f"up {amount} points since {since}"
    if call == "down":
        return f"down {amount} points since {since}"
    sign = "+" if want.change > 0 else "−"
    if call == "about the same":
        return f"about the same as {since} ({sign}{amount} points, within the noise)"
    return f"{sign}{amount} points on {since}, too few shops to tell a change from noise"


def page_words(page: str) -> str:
    """A page's words: tags dropped, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
