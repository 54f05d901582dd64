"""CSV export: every shop's score recomputed from answers.csv alone, and who sees what."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session

from app.db import Database
from app.figures import score_text
from app.modelbase import ident
from app.orgs.models import Location, Organization, Role, User
from app.tenancy import scope_session
from audits.models import Shop, ShopStatus, Wave
from reports.export import queries as export
from reports.filters import MSG_LOCATION, MSG_RANGE
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_answer,
    make_location,
    make_member,
    make_org,
    make_question,
    make_shop,
    make_stage,
    make_token,
    make_touchpoint,
    store_score,
)
from touchpoints.models import Question, QuestionFields, Touchpoint
from touchpoints.services import question_update

SHOPPER_EMAIL = "mystery.shopper@example.test"
SHOPPER_NAME = "Mona Mystery"
FORMULA_TEXT = '=HYPERLINK("http://evil.example","click")'


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=UTC)


def handed_in(
    session: Session,
    org: Organization,
    location: Location,
    touchpoints: list[Touchpoint],
    answers: list[tuple[Question, Any]],
    *,
    visited: datetime | None,
    status: ShopStatus = ShopStatus.approved,
    approved: datetime | None = None,
    **extra: Any,
) -> Shop:
    """A handed-in shop with its answers and the snapshot the services store on approval."""
    shop = make_shop(
        session,
        org,
        location=location,
        touchpoints=touchpoints,
        status=status,
        visited_at=visited,
        approved_at=approved if status == ShopStatus.approved else None,
        **extra,
    )
    for question, value in answers:
        if value == "N/A":
            make_answer(session, shop, question, None, not_applicable=True)
        elif isinstance(value, tuple):  # (value, comment)
            make_answer(session, shop, question, value[0], comment=value[1])
        else:
            make_answer(session, shop, question, value)
    store_score(session, shop)
    return shop


@dataclass
class World:
    org: Organization
    owner: User
    viewer: User
    shopper: User
    harbour: Location
    evil: Location
    shops: dict[str, Shop]
    foreign_location: Location


def _build(session: Session) -> World:
    # New York: a visit at 03:30 UTC on 15 March is still the evening of 14 March there.
    org = make_org(session, name="Café Nord & Co", timezone="America/New_York")
    scope_session(session, ident(org))
    owner = make_member(session, org, Role.owner)
    viewer = make_member(session, org, Role.viewer)
    shopper = make_member(session, org, Role.shopper, email=SHOPPER_EMAIL, name=SHOPPER_NAME)
    harbour = make_location(session, org, name="Harbour", region="North")
    evil = make_location(session, org, name="=Evil()", region="@East")
    stage = make_stage(session, org, name="Arrival")
    greeting = make_touchpoint(session, org, stage, name="Greeting")
    checkout = make_touchpoint(session, org, stage, name="Checkout")
    greeted = make_question(session, greeting, text="Greeted?", weight=2)
    warmth = make_question(
        session,
        greeting,
        text="How warm?",
        kind="scale",
        weight=3,
        scale_labels=["Cold", "Cool", "Fine", "Warm", "Glowing"],
    )
    safety = make_question(session, greeting, text="Safety note given?", critical=True)
    remarks = make_question(session, greeting, text="Anything else?", kind="text")
    rings = make_question(
        session, checkout, text="Rings", kind="number", weight=2, rule="at_most", threshold=3
    )
    offer = make_question(
        session,
        checkout,
        text="Offer",
        kind="choice",
        weight=3,
        options=[
            {"label": "Great", "points": 4},
            {"label": "OK", "points": 2},
            {"label": "Poor", "points": 0},
        ],
    )
    receipt = make_question(session, checkout, text="Receipt offered?", allow_na=True)
    wave = Wave(org_id=ident(org), name="-Spring wave")
    session.add(wave)
    session.commit()
    both = [greeting, checkout]

    shops = {}
    shops["one"] = handed_in(
        session,
        org,
        harbour,
        both,
        [
            (greeted, True),
            (warmth, 4),
            (safety, False),  # critical fail: Greeting scores 0
            (remarks, (FORMULA_TEXT, "=1+1")),
            (rings, 2),
            (offer, 1),
            (receipt, "N/A"),
        ],
        visited=at(2026, 3, 14, 15),
        approved=at(2026, 3, 16, 9),
        shopper_id=ident(shopper),
        scenario="+cmd|' /C calc'!A0",
        wave_id=ident(wave),
    )
    # The owner rewords "Greeted?" after it was answered: later shops answer version 2.
    fields = QuestionFields.model_validate({**greeted.fields().model_dump(), "text": "Welcomed?"})
    greeted_v2 = question_update(session=session, question=greeted, fields=fields)
    assert greeted_v2.version == 2
    shops["late_evening"] = handed_in(
        session,
        org,
        evil,
        both,
        [
            (greeted_v2, False),
            (warmth, 5),
            (safety, True),
            (remarks, "Très bien, merci"),
            (rings, 5),
            (offer, 0),
        ],
        visited=at(2026, 3, 15, 3, 30),  # 23:30 on 14 March in New York
        approved=at(2026, 3, 16, 9),
        shopper_id=ident(shopper),
    )
    shops["submitted"] = handed_in(
        session,
        org,
        harbour,
        both,
        [(greeted_v2, True), (warmth, 2), (rings, 1)],
        visited=at(2026, 3, 16),
        status=ShopStatus.submitted,
        shopper_id=ident(shopper),
    )
    shops["no_visit_time"] = handed_in(
        session,
        org,
        harbour,
        [checkout],
        [(rings, -1), (offer, 0), (receipt, True)],
        visited=None,
        approved=at(2026, 4, 2),
    )

    # Another organization, with the same shapes and names that must never show up.
    other = make_org(session, name="Elsewhere Ltd")
    scope_session(session, ident(other))
    spy = make_member(session, other, Role.shopper, email="other.shopper@example.test")
    foreign = make_location(session, other, name="Secret Branch", region="Hidden")
    other_tp = make_touchpoint(session, other, name="Foreign touchpoint")
    other_q = make_question(session, other_tp, text="Foreign question?")
    handed_in(
        session,
        other,
        foreign,
        [other_tp],
        [(other_q, True)],
        visited=at(2026, 3, 14, 15),
        approved=at(2026, 3, 15),
        shopper_id=ident(spy),
    )
    scope_session(session, ident(org))
    return World(org, owner, viewer, shopper, harbour, evil, shops, foreign)


@pytest.fixture
def export_orgs(session: Session) -> World:
    return _build(session)


def _as(client: Browser, db: Database, export_orgs: World, user: User) -> Browser:
    return sign_in(client, db, user, export_orgs.org)


def rows_of(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def get_csv(client: Browser, path: str, **params: Any) -> tuple[bytes, list[dict[str, str]]]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/csv")
    return response.content, rows_of(response.content)


def recompute(answer_rows: list[dict[str, str]]) -> dict[str, float | None]:
    """Each shop's percent from answers.csv alone, by the rules of docs/definitions.md: a
    section's earned points are zeroed when a critical question in it earned less than half
    its points. At full precision, as the score is stored (only the display rounds it)."""
    sections: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in answer_rows:
        sections[(row["shop_id"], row["touchpoint_id"])].append(row)
    earned: dict[str, float] = defaultdict(float)
    possible: dict[str, float] = defaultdict(float)
    for (shop_id, _tp), rows in sections.items():
        got = sum(float(r["earned"]) for r in rows)
        could = sum(float(r["possible"]) for r in rows)
        critical_fail = any(
            r["critical"] == "true"
            and float(r["possible"]) > 0
            and float(r["earned"]) < 0.5 * float(r["possible"])
            for r in rows
        )
        earned[shop_id] += 0.0 if critical_fail else got
        possible[shop_id] += could
    return {sid: (100 * earned[sid] / possible[sid] if possible[sid] else None) for sid in possible}


@pytest.mark.parametrize("base", ["/reports/export", "/api/v1/exports"])
def test_every_score_recomputes_from_answers_csv(
    base: str, client: Browser, db: Database, session: Session, export_orgs: World
) -> None:
    if base.startswith("/api"):
        client.headers["Authorization"] = (
            f"Bearer {make_token(session, export_orgs.org, export_orgs.owner)}"
        )
    else:
        _as(client, db, export_orgs, export_orgs.owner)
    _, shops = get_csv(client, f"{base}/shops.csv", status="all")
    _, answers = get_csv(client, f"{base}/answers.csv", status="all")

    assert len(shops) == 4
    recomputed = recompute(answers)
    for shop in shops:
        assert recomputed[shop["shop_id"]] == pytest.approx(float(shop["score"]), abs=1e-9), shop[
            "shop_id"
        ]
        sid = shop["shop_id"]
        assert sum(float(a["possible"]) for a in answers if a["shop_id"] == sid) == float(
            shop["possible"]
        )
    # And by hand, so that both files cannot be wrong together. Shop one: Greeting is
    # zeroed by the failed critical question (2 + 2.25 + 0 of 6); Checkout earns 2 (rings)
    # + 1.5 (OK = 2 of 4 points, of 3) of 5, the N/A receipt counting for nothing: 3.5 / 11.
    one = next(s for s in shops if s["shop_id"] == str(export_orgs.shops["one"].id))
    assert float(one["score"]) == pytest.approx(100 * 3.5 / 11)  # stored unrounded
    assert score_text(float(one["score"])) == "31.8"
    assert (one["earned"], one["possible"], one["critical_fail"]) == (
        "3.5",
        "11",
        "true",
    )
    by_question = {a["question_text"]: a for a in answers if a["shop_id"] == one["shop_id"]}
    assert (by_question["How warm?"]["earned"], by_question["How warm?"]["possible"]) == (
        "2.25",
        "3",
    )
    receipt = by_question["Receipt offered?"]
    assert (receipt["not_applicable"], receipt["value"], receipt["possible"]) == ("true", "", "0")
    assert by_question["Anything else?"]["possible"] == "0"  # free text is not scored
    assert by_question["Offer"]["config"] == (
        '{"options":[{"label":"Great","points":4.0},{"label":"OK","points":2.0},'
        '{"label":"Poor","points":0.0}]}'
    )
    assert by_question["Rings"]["config"] == '{"rule":"at_most","threshold":3.0,"unit":""}'
    assert by_question["How warm?"]["config"].startswith('{"min":1,"max":5,"labels":["Cold"')


def test_question_versions_times_and_sections(
    client: Browser, db: Database, export_orgs: World
) -> None:
    _as(client, db, export_orgs, export_orgs.viewer)
    _, shops = get_csv(client, "/reports/export/shops.csv")
    _, answers = get_csv(client, "/reports/export/answers.csv")

    # Approved shops only, in time order; the visit-less shop falls back to its approval.
    order = ["one", "late_evening", "no_visit_time"]
    assert [s["shop_id"] for s in shops] == [str(export_orgs.shops[k].id) for k in order]
    late = shops[1]
    assert late["visited_at"] == "2026-03-15T03:30:00Z"
    assert late["visited_local"] == "2026-03-14T23:30:00-04:00"  # New York, daylight time
    assert late["location"] == "'=Evil()" and late["region"] == "'@East"
    assert shops[2]["visited_at"] == "" and shops[2]["approved_at"] == "2026-04-02T10:00:00Z"

    greeted = {a["shop_id"]: a for a in answers if a["question_text"] in ("Greeted?", "Welcomed?")}
    first, second = greeted[shops[0]["shop_id"]], greeted[late["shop_id"]]
    assert first["question_lineage"] == second["question_lineage"]
    assert (first["question_version"], first["question_text"], first["value"]) == (
        "1",
        "Greeted?",
        "true",
    )
    assert (second["question_version"], second["question_text"], second["value"]) == (
        "2",
        "Welcomed?",
        "false",
    )
    assert (first["stage"], first["touchpoint"], first["kind"], first["weight"]) == (
        "Arrival",
        "Greeting",
        "yes_no",
        "2",
    )
    # Answers follow the shops' order, section by section.
    assert list(dict.fromkeys(a["shop_id"] for a in answers)) == [s["shop_id"] for s in shops]


def test_staff_export_never_names_the_shopper(
    client: Browser, db: Database, export_orgs: World
) -> None:
    _as(client, db, export_orgs, export_orgs.viewer)
    for name in ("shops.csv", "answers.csv"):
        body, rows = get_csv(client, f"/reports/export/{name}")
        assert rows
        assert not any("shopper" in column for column in rows[0])
        text = body.decode()
        assert SHOPPER_EMAIL not in text
        assert SHOPPER_NAME not in text


def test_owner_export_names_the_shopper(client: Browser, db: Database, export_orgs: World) -> None:
    _as(client, db, export_orgs, export_orgs.owner)
    _, shops = get_csv(client, "/reports/export/shops.csv")
    assert shops[0]["shopper"] == SHOPPER_EMAIL
    assert shops[2]["shopper"] == ""  # the shop without a shopper


def test_other_organizations_never_appear(
    client: Browser, db: Database, export_orgs: World
) -> None:
    _as(client, db, export_orgs, export_orgs.owner)
    for name in ("shops.csv", "answers.csv"):
        body, _ = get_csv(client, f"/reports/export/{name}", status="all")
        text = body.decode()
        for foreign in ("Secret Branch", "Hidden", "Foreign", "other.shopper@"):
            assert foreign not in text, (name, foreign)


def test_formula_cells_are_defused_and_numbers_stay_numbers(
    client: Browser, db: Database, export_orgs: World
) -> None:
    _as(client, db, export_orgs, export_orgs.owner)
    _, shops = get_csv(client, "/reports/export/shops.csv")
    _, answers = get_csv(client, "/reports/export/answers.csv")
    one = shops[0]
    assert one["scenario"] == "'+cmd|' /C calc'!A0"
    assert one["wave"] == "'-Spring wave"
    remark = next(a for a in answers if a["question_text"] == "Anything else?")
    assert remark["comment"] == "'=1+1"
    # A text answer is JSON: it starts with a quote, which no spreadsheet runs.
    assert remark["value"] == '"=HYPERLINK(\\"http://evil.example\\",\\"click\\")"'
    french = next(
        a
        for a in answers
        if a["question_text"] == "Anything else?" and a["shop_id"] == shops[1]["shop_id"]
    )
    assert french["value"] == '"Très bien, merci"'  # JSON, but readable
    negative = next(
        a for a in answers if a["question_text"] == "Rings" and a["shop_id"] == shops[2]["shop_id"]
    )
    assert (negative["value"], negative["earned"]) == ("-1", "2")  # a number, untouched
    for row in shops + answers:
        for column in ("shop_id", "location_id", "score", "earned", "possible", "weight"):
            if row.get(column):
                float(row[column])


def test_filters_by_local_dates_and_locations(
    client: Browser, db: Database, export_orgs: World
) -> None:
    _as(client, db, export_orgs, export_orgs.viewer)
    ids = {str(s.id): k for k, s in export_orgs.shops.items()}

    def shops(**params: Any) -> list[str]:
        return [
            ids[r["shop_id"]] for r in get_csv(client, "/reports/export/shops.csv", **params)[1]
        ]

    # 14 March in New York holds the 03:30 UTC visit of the 15th; both ends are inclusive.
    assert shops(**{"from": "2026-03-14", "to": "2026-03-14"}) == ["one", "late_evening"]
    assert shops(**{"from": "2026-03-15"}) == ["no_visit_time"]
    assert shops(to="2026-03-31") == ["one", "late_evening"]
    assert shops(location=export_orgs.evil.id) == ["late_evening"]
    assert shops(location=[export_orgs.evil.id, export_orgs.harbour.id]) == [
        "one",
        "late_evening",
        "no_visit_time",
    ]
    _, answers = get_csv(client, "/reports/export/answers.csv", location=export_orgs.evil.id)
    assert {a["shop_id"] for a in answers} == {str(export_orgs.shops["late_evening"].id)}


def test_chunks_join_into_one_file(
    client: Browser, db: Database, export_orgs: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as(client, db, export_orgs, export_orgs.owner)
    whole, rows = get_csv(client, "/reports/export/answers.csv", status="all")
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    chunked, _ = get_csv(client, "/reports/export/answers.csv", status="all")
    assert chunked == whole and len(rows) == 19


def test_download_name_and_headers(client: Browser, db: Database, export_orgs: World) -> None:
    _as(client, db, export_orgs, export_orgs.viewer)
    response = client.get("/reports/export/answers.csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="cafe-nord-co-answers-')
    assert disposition.endswith('.csv"')
    assert response.headers["cache-control"] == "no-store"


def test_bad_options_name_their_field(
    client: Browser, db: Database, session: Session, export_orgs: World
) -> None:
    token = make_token(session, export_orgs.org, export_orgs.viewer)
    auth = {"Authorization": f"Bearer {token}"}
    api = "/api/v1/exports/shops.csv"

    response = client.get(api, params={"from": "2026-03-20", "to": "2026-03-10"}, headers=auth)
    assert response.status_code == 400
    assert response.json() == {
        "detail": MSG_RANGE % {"start": "2026-03-20"},
        "field": "to",
    }
    response = client.get(api, params={"from": "14/03/2026"}, headers=auth)
    assert (response.status_code, response.json()["field"]) == (400, "from")
    response = client.get(api, params={"status": "pending"}, headers=auth)
    assert (response.status_code, response.json()["field"]) == (400, "status")
    # Staff never see shops before approval, so they cannot export them either.
    response = client.get(api, params={"status": "all"}, headers=auth)
    assert (response.status_code, response.json()["field"]) == (403, "status")
    # Another organization's location is as unknown as one that does not exist.
    for wrong in (export_orgs.foreign_location.id, 999999):
        response = client.get(api, params={"location": wrong}, headers=auth)
        assert response.status_code == 400
        assert response.json() == {
            "detail": MSG_LOCATION % {"value": wrong},
            "field": "location",
        }

    _as(client, db, export_orgs, export_orgs.viewer)
    page = client.get(
        "/reports/export/answers.csv", params={"from": "2026-03-20", "to": "2026-03-10"}
    )
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "ends before it starts" in page.text


def test_shoppers_and_strangers_are_turned_away(
    client: Browser, db: Database, session: Session, export_orgs: World
) -> None:
    for path in ("/reports/export/shops.csv", "/reports/export/answers.csv"):
        assert client.get(path).status_code == 303  # anonymous: to the login page
    for path in ("/api/v1/exports/shops.csv", "/api/v1/exports/answers.csv"):
        assert client.get(path).status_code == 401
        token = make_token(session, export_orgs.org, export_orgs.shopper)
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403
        assert SHOPPER_EMAIL not in response.text
    _as(client, db, export_orgs, export_orgs.shopper)
    for path in ("/reports/export/shops.csv", "/reports/export/answers.csv"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Harbour" not in response.text
