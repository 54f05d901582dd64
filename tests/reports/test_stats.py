"""Honest statistics: each period's 95 % interval, change calls only beyond the noise, and
locations too thin to rank — every figure recomputed from the CSV export alone
(tests/reports/csv_figures.py, which shares no code with reports/stats.py) and compared with
the trend API and the dashboard."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from app.db import Database
from app.orgs.models import Location, Organization, Role, User
from audits.models import ShopStatus
from reports.stats import change_call, mean_interval, ranked, t_quantile
from tests.conftest import Browser, sign_in
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
from tests.helpers import pdf_text
from tests.reports.csv_figures import FromCsv, figures_from_csv, shown, t975
from tests.reports.test_printing import post_json, wait_for_job
from touchpoints.models import Question, Touchpoint

pytestmark = pytest.mark.db

# --- the t quantile -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "table"),
    # Published two-sided 95 % critical values (any statistics textbook's t table).
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (10, 2.228), (30, 2.042)]
    + [(120, 1.980)],
)
def test_t_quantile_matches_the_printed_tables(df: int, table: float) -> None:
    assert round(t_quantile(0.975, df), 3) == table


@pytest.mark.parametrize("df", [1.0, 1.7, 2.5, 7.31, 44.9])
def test_t_quantile_agrees_with_integrating_the_density(df: float) -> None:
    # Welch's degrees of freedom are fractions: checked against an independent road.
    assert t_quantile(0.975, df) == pytest.approx(t975(df), abs=1e-7)


def test_one_shop_has_no_interval_and_no_change_call() -> None:
    assert mean_interval(70.0, None, 1) is None
    assert mean_interval(None, None, 0) is None
    # Two shops: an interval, however wide (t with 1 degree of freedom is 12.7).
    two = mean_interval(75.0, 35.355339, 2)
    assert two is not None and (two.low, two.high) == (0.0, 100.0)
    assert two.margin == pytest.approx(12.7062 * 25, rel=1e-4)
    assert change_call((70.0, None, 1), (90.0, 10.0, 5)).call == "too few shops"


def test_a_change_without_any_spread_is_called_by_its_sign() -> None:
    # Every shop of both periods scored the same: there is no noise to hide in.
    assert change_call((80.0, 0.0, 3), (90.0, 0.0, 3)).call == "up"
    assert change_call((80.0, 0.0, 3), (80.0, 0.0, 3)).call == "about the same"


def test_locations_with_too_few_shops_are_not_ranked_and_equal_scores_tie() -> None:
    rows = ["A", "B", "C", "D", "E"]
    means = [90.04, 90.0, 85.0, 99.0, 70.0]  # D has the best score, but only 2 shops
    shops = [3, 4, 2, 2, 5]
    assert ranked(rows, means, shops) == [(1, "A"), (1, "B"), (3, "E"), (None, "C"), (None, "D")]


# --- from the CSV export to the API and the pages --------------------------------------------

RANGE = {"period": "month", "from": "2026-01-01", "to": "2026-02-28"}
# Section scores of a checklist of three yes/no questions weighing 50, 30 and 20.
ANSWERS = {
    100: (True, True, True),
    80: (True, True, False),
    70: (True, False, True),
    50: (True, False, False),
    30: (False, True, False),
    20: (False, False, True),
    0: (False, False, False),
}
# touchpoint -> month -> [(section score, location)]; target 80, "near" is 5 points.
PLAN: dict[str, dict[int, list[tuple[int, str]]]] = {
    # 44 then exactly 80: up beyond the noise; met at exactly the target.
    "Rising": {
        1: [(50, "high"), (30, "high"), (50, "market"), (20, "high"), (70, "market")],
        2: [(100, "high"), (80, "high"), (80, "market"), (70, "high"), (70, "market")],
    },
    # 75 and 75: about the same; near at exactly target − 5.
    "Steady": {
        1: [(80, "high"), (50, "high"), (100, "market"), (70, "high")],
        2: [(70, "high"), (100, "high"), (80, "high"), (50, "market")],
    },
    # 95 then 37.5: down beyond the noise; below.
    "Falling": {
        1: [(100, "high"), (100, "high"), (80, "market"), (100, "market")],
        2: [(50, "high"), (30, "high"), (20, "high"), (50, "market")],
    },
    # One shop, then two: too few shops to call a change.
    "Thin": {1: [(70, "high")], 2: [(100, "high"), (50, "market")]},
}


@dataclass
class World:
    org: Organization
    owner: User
    touchpoints: dict[str, Touchpoint]


@pytest.fixture
def world(session: Session) -> World:
    org = make_org(session, name="Quay Stores", timezone="UTC")
    owner = make_member(session, org, role=Role.owner)
    shopper = make_member(session, org, role=Role.shopper)
    places: dict[str, Location] = {
        "high": make_location(session, org, name="High Street"),
        "market": make_location(session, org, name="Market Row"),
    }
    touchpoints = {}
    for name, months in PLAN.items():
        tp = make_touchpoint(session, org, name=name, target=80)
        touchpoints[name] = tp
        questions: list[Question] = [
            make_question(session, tp, text=f"{name} {w}?", kind="yes_no", weight=w)
            for w in (50, 30, 20)
        ]
        for month, shops in months.items():
            for day, (score, where) in enumerate(shops, start=3):
                when = datetime(2026, month, day, 11, tzinfo=UTC)
                shop = make_shop(
                    session,
                    org,
                    location=places[where],
                    touchpoints=[tp],
                    status=ShopStatus.approved,
                    shopper_id=shopper.id,
                    visited_at=when,
                    approved_at=when + timedelta(days=1),
                )
                for question, value in zip(questions, ANSWERS[score], strict=True):
                    make_answer(session, shop, question, value)
                store_score(session, shop)
    return World(org, owner, touchpoints)


def words_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_csv_alone_recomputes_intervals_calls_statuses_and_ranks(
    client: Browser, db: Database, world: World
) -> None:
    sign_in(client, db, world.owner, world.org)
    csv_figures = figures_from_csv(client, RANGE)
    calls = {name: csv_figures[name].welch()[0] for name in PLAN}
    # The story the plan tells, worked out from the CSV alone.
    assert calls == {
        "Rising": "up",
        "Steady": "about the same",
        "Falling": "down",
        "Thin": "too few shops",
    }
    statuses = {name: csv_figures[name].status() for name in PLAN}
    assert statuses == {"Rising": "met", "Steady": "near", "Falling": "below", "Thin": "near"}

    for name, tp in world.touchpoints.items():
        want: FromCsv = csv_figures[name]
        body = client.get(f"/api/v1/reports/touchpoints/{tp.id}/trend", params=RANGE).json()
        for period in body["periods"]:
            month = period["key"]
            interval = want.interval(month)
            if interval is None:  # one shop: no interval
                assert (period["interval_low"], period["interval_high"]) == (None, None)
                assert period["margin_text"] == ""
            else:
                margin, low, high = interval
                assert period["interval_low"] == pytest.approx(low, abs=1e-6)
                assert period["interval_high"] == pytest.approx(high, abs=1e-6)
                assert period["margin_text"] == want.margin_words(month)
        call, low, high = want.welch()
        assert body["change_call"] == call, name
        if low is None:
            assert (body["change_low"], body["change_high"]) == (None, None)
        else:
            assert body["change_low"] == pytest.approx(low, abs=1e-6)
            assert body["change_high"] == pytest.approx(high, abs=1e-6)
        assert body["status"] == want.status()
        assert body["latest"]["status"] == want.status()
        ranks = {row["location"]: row["rank"] for row in body["locations"]}
        assert ranks == want.ranks()

        # The dashboard says the same in words: ± after the score, the call, the status.
        page = words_of(client.get(f"/reports/touchpoints/{tp.id}", params=RANGE).text)
        latest_interval = want.interval("2026-02")
        assert latest_interval is not None
        assert f"{shown(want.latest)} {want.margin_words('2026-02')}" in page
        mark = {"met": "✓ met", "near": "◐ near", "below": "✗ below"}[want.status()]
        assert f"target 80 · {mark}" in page
        diff = shown(abs(want.change))
        sign = "+" if want.change > 0 else "−" if want.change < 0 else "±"
        expected = {
            "up": f"up {diff} points since January 2026",
            "down": f"down {diff} points since January 2026",
            "about the same": f"about the same as January 2026 ({sign}{diff} points",
            "too few shops": f"{sign}{diff} points on January 2026, too few shops to tell",
        }[call]
        assert expected in page, (name, expected)
        if call not in ("up", "down"):
            assert "points since January 2026" not in page


def test_locations_too_thin_to_rank_are_marked_on_the_dashboard(
    client: Browser, db: Database, world: World
) -> None:
    sign_in(client, db, world.owner, world.org)
    page = words_of(
        client.get(f"/reports/touchpoints/{world.touchpoints['Falling'].id}", params=RANGE).text
    )
    # February: High Street has 3 shops, Market Row 1.
    assert "1. High Street" in page and "– Market Row" in page
    assert "too few shops to rank: Market Row (1 shop)" in page


def test_the_near_band_is_the_organizations_setting(
    client: Browser, db: Database, session: Session, world: World
) -> None:
    sign_in(client, db, world.owner, world.org)
    steady = world.touchpoints["Steady"]
    url = f"/api/v1/reports/touchpoints/{steady.id}/trend"
    assert client.get(url, params=RANGE).json()["status"] == "near"  # 75: exactly 80 − 5
    world.org.near_target = 4
    session.add(world.org)
    session.commit()
    body = client.get(url, params=RANGE).json()
    assert (body["status"], body["near_target"]) == ("below", 4)  # 75 is 5 below: not near
    csv_figures = figures_from_csv(client, RANGE)
    assert csv_figures["Steady"].near == 4 and csv_figures["Steady"].status() == "below"


@pytest.mark.slow  # real WeasyPrint renders
def test_the_pdf_and_the_pack_print_the_intervals_calls_and_marks(
    client: Browser, db: Database, world: World
) -> None:
    sign_in(client, db, world.owner, world.org)
    csv_figures = figures_from_csv(client, RANGE)
    marks = {"met": "✓ met", "near": "◐ near", "below": "✗ below"}
    for name, tp in world.touchpoints.items():
        want = csv_figures[name]
        response = client.get(f"/reports/touchpoints/{tp.id}/pdf", params=RANGE)
        assert response.status_code == 200, response.text[:300]
        text = pdf_text(response.content)
        latest = want.interval("2026-02")
        assert latest is not None
        assert f"{shown(want.latest)} {want.margin_words('2026-02')}" in text, name
        assert f"Target 80 {marks[want.status()]}" in text, name
        call = want.welch()[0]
        words = {
            "up": "up 36 points since January 2026",
            "down": "down 57.5 points since January 2026",
            "about the same": "about the same as January 2026 (±0 points, within the noise)",
            "too few shops": "+5 points on January 2026, too few shops to tell",
        }[call]
        assert words in text, (name, words)
    started = post_json(client, "/api/v1/reports/pack", RANGE)
    job = wait_for_job(client, started.json())
    assert job["status"] == "done", job
    pack = pdf_text(client.get(job["pdf_url"]).content)
    # The overview: every status by its mark and word, the calls by their signs.
    for name in PLAN:
        assert marks[csv_figures[name].status()] in pack
    assert "▲ +36" in pack and "▼ −57.5" in pack and "≈ same" in pack
