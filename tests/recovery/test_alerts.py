"""Alerts: raised by approving real scored shops and by recovery cases past 24 hours, listed,
dismissed and brought back on the page and in the API, and checked from the command line."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.db import Database
from app.modelbase import ident, utcnow
from app.orgs.models import Location, Organization, Role, User
from app.tenancy import scope_session
from audits import services as shop_services
from audits.models import Shop, ShopStatus
from recovery.alerts import services as alerts
from recovery.alerts.services import (
    MSG_ALREADY_DISMISSED,
    NEXT_STEP,
    alert_dismiss,
    alert_undismiss,
    alerts_check_overdue,
    alerts_for_shop,
    open_alert_count,
)
from recovery.models import Alert, AlertKind, RecoveryCase
from recovery.window import WINDOW
from tests.conftest import Browser, fresh_schema_url, sign_in
from tests.factories import (
    make_answer,
    make_location,
    make_member,
    make_org,
    make_question,
    make_recovery_case,
    make_token,
    make_touchpoint,
)
from touchpoints.models import Question, Touchpoint

pytestmark = pytest.mark.db

CRITICAL_TEXT = "Was the total on the bill correct?"


@dataclass
class World:
    org: Organization
    owner: User
    viewer: User
    shopper: User
    location: Location
    bill: Touchpoint  # target 80: one critical question and nine others, weight 1 each
    door: Touchpoint  # target 80: ten plain questions, weight 1 each
    bill_qs: list[Question]  # [0] is the critical one
    door_qs: list[Question]


def _bookshop(session: Session) -> World:
    org = make_org(session, name="Lantern Books", timezone="Europe/London")
    owner = make_member(session, org, Role.owner, email="owner@lantern.example")
    viewer = make_member(session, org, Role.viewer)
    shopper = make_member(session, org, Role.shopper)
    location = make_location(session, org, name="Harbour Street")
    bill = make_touchpoint(session, org, name="Paying the bill", target=80)
    door = make_touchpoint(session, org, name="Walking in", target=80)
    bill_qs = [make_question(session, bill, text=CRITICAL_TEXT, critical=True)]
    bill_qs += [make_question(session, bill, text=f"Bill check {i}") for i in range(9)]
    door_qs = [make_question(session, door, text=f"Door check {i}") for i in range(10)]
    return World(org, owner, viewer, shopper, location, bill, door, bill_qs, door_qs)


@pytest.fixture
def w(session: Session) -> World:
    return _bookshop(session)


def _submitted_shop(
    session: Session, w: World, *, bill_yes: int = 10, door_yes: int = 10, critical_ok: bool = True
) -> Shop:
    """A submitted shop of both touchpoints: the first `n` questions of each answered yes,
    the rest no; the critical question answered as told."""
    shop = Shop(
        org_id=ident(w.org),
        location_id=ident(w.location),
        shopper_id=ident(w.shopper),
        status=ShopStatus.submitted,
        submitted_at=utcnow(),
    )
    session.add(shop)
    session.flush()
    from audits.models import ShopTouchpoint

    for position, tp in enumerate([w.bill, w.door], start=1):
        session.add(
            ShopTouchpoint(
                org_id=ident(w.org), shop_id=ident(shop), touchpoint_id=ident(tp), position=position
            )
        )
    session.commit()
    for i, q in enumerate(w.bill_qs):
        value = critical_ok if i == 0 else i < bill_yes
        make_answer(session, shop, q, value)
    for i, q in enumerate(w.door_qs):
        make_answer(session, shop, q, i < door_yes)
    return shop


def _approve(session: Session, w: World, shop: Shop) -> Shop:
    return shop_services.shop_approve(session=session, shop=shop, actor_id=ident(w.owner))


def _alerts(session: Session, **where: Any) -> list[Alert]:
    query = select(Alert).order_by(col(Alert.id))
    for name, value in where.items():
        query = query.where(getattr(Alert, name) == value)
    return list(session.exec(query).all())


# --- approval ------------------------------------------------------------------------------


def test_a_failed_critical_question_raises_one_alert_naming_it(session: Session, w: World) -> None:
    shop = _approve(session, w, _submitted_shop(session, w, critical_ok=False))

    found = _alerts(session)
    assert [a.kind for a in found] == [AlertKind.critical_fail]
    alert = found[0]
    assert CRITICAL_TEXT in alert.message
    assert "Harbour Street" in alert.message and "Paying the bill" in alert.message
    assert f"shop #{shop.id}" in alert.message
    assert (alert.shop_id, alert.touchpoint_id, alert.location_id) == (
        shop.id,
        w.bill.id,
        w.location.id,
    )
    # The zeroed section is said once, by the critical alert, not again as "below target".
    row = alerts.alert_row(alert)
    assert row.links[0] == ("Read the shop", f"/shops/{shop.id}")
    assert ("See the trend", f"/reports/touchpoints/{w.bill.id}") in row.links
    assert row.next_step == NEXT_STEP[AlertKind.critical_fail]


@pytest.mark.parametrize(
    ("margin", "door_yes", "raised"),
    [
        (10, 7, True),  # 70 against 80: exactly the margin under target
        (11, 7, False),  # one point more margin than the shortfall
        (10, 8, False),  # on target
        (0, 8, False),  # margin 0 still needs a shortfall
        (0, 7, True),
    ],
)
def test_below_target_respects_the_margin_at_the_boundary(
    session: Session, w: World, margin: int, door_yes: int, raised: bool
) -> None:
    w.org.alert_margin = margin
    session.add(w.org)
    session.commit()
    shop = _approve(session, w, _submitted_shop(session, w, door_yes=door_yes))

    assert shop.status == ShopStatus.approved
    found = _alerts(session, kind=AlertKind.below_target)
    if not raised:
        assert found == []
        return
    assert len(found) == 1
    assert found[0].touchpoint_id == w.door.id
    assert found[0].message == (
        f"Walking in scored 70 in shop #{shop.id} at Harbour Street: 10 points under its "
        "target of 80."
    )


def test_approving_again_or_rechecking_never_duplicates(session: Session, w: World) -> None:
    shop = _submitted_shop(session, w, critical_ok=False, door_yes=5)
    _approve(session, w, shop)
    first = [(a.kind, a.key) for a in _alerts(session)]
    assert sorted(k for k, _ in first) == [AlertKind.below_target, AlertKind.critical_fail]

    # A dismissed alert stays dismissed when the same shop is looked at again.
    dismissed = _alerts(session, kind=AlertKind.below_target)[0]
    alert_dismiss(session=session, alert=dismissed, actor_id=ident(w.owner))
    _approve(session, w, shop)  # a second press of Approve, or a replayed API call
    assert alerts_for_shop(session=session, shop=shop) == []
    session.commit()

    assert [(a.kind, a.key) for a in _alerts(session)] == first
    session.refresh(dismissed)
    assert dismissed.dismissed_at is not None


def test_reapproval_after_a_correction_keeps_one_alert(session: Session, w: World) -> None:
    """A shop approved, then (on the database's word) sent back for a correction of an
    unrelated answer and approved again, keeps its one critical alert."""
    shop = _submitted_shop(session, w, critical_ok=False)
    _approve(session, w, shop)
    shop.status = ShopStatus.submitted
    session.add(shop)
    session.commit()
    shop_services.answer_correct(
        session=session,
        shop=shop,
        actor_id=ident(w.owner),
        data=shop_services.AnswerInput(
            id=uuid.uuid4(), question_id=ident(w.door_qs[9]), value=False
        ),
    )
    _approve(session, w, shop)

    assert [a.kind for a in _alerts(session)] == [AlertKind.critical_fail]


def test_an_alert_failure_never_loses_the_approval(
    session: Session, w: World, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = alerts.alerts_for_shop

    def half_then_crash(**kwargs: Any) -> list[Alert]:
        real(**kwargs)  # stores the alert, then fails: the savepoint takes it back
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(alerts, "alerts_for_shop", half_then_crash)
    shop = _approve(session, w, _submitted_shop(session, w, critical_ok=False))

    with db.session() as fresh:
        stored = fresh.get(Shop, shop.id)
        assert stored is not None and stored.status == ShopStatus.approved
        assert stored.score == 50.0  # the bill section (critical fail) scores 0, the door 100
        assert fresh.exec(select(Alert)).all() == []


def test_only_approved_shops_raise_alerts(session: Session, w: World) -> None:
    shop = _submitted_shop(session, w, critical_ok=False)
    assert alerts_for_shop(session=session, shop=shop) == []


# --- overdue recovery cases ----------------------------------------------------------------


def test_overdue_alert_comes_exactly_after_24_hours(session: Session, w: World) -> None:
    reported = (utcnow() - timedelta(hours=30)).replace(microsecond=0)
    case = make_recovery_case(session, w.org, reported_at=reported, location_id=w.location.id)

    assert alerts_check_overdue(session, reported + WINDOW - timedelta(seconds=1)) == []
    assert alerts_check_overdue(session, reported + WINDOW) == []  # the last moment in time
    raised = alerts_check_overdue(session, reported + WINDOW + timedelta(seconds=1))
    session.commit()

    assert len(raised) == 1
    alert = raised[0]
    assert alert.kind == AlertKind.case_overdue and alert.recovery_case_id == case.id
    assert case.reference in alert.message and "Harbour Street" in alert.message
    assert alerts.alert_row(alert).links[0] == ("Open the case", f"/recovery/{case.id}")
    # Checking again (cron, a page) finds it done.
    assert alerts_check_overdue(session, utcnow()) == []
    assert len(_alerts(session)) == 1


def test_no_overdue_alert_for_a_case_fixed_in_time_or_closed(session: Session, w: World) -> None:
    reported = utcnow() - timedelta(hours=48)
    fixed = make_recovery_case(session, w.org, reported_at=reported)
    fixed.fixed_at = reported + timedelta(hours=5)
    closed = make_recovery_case(session, w.org, reported_at=reported)
    closed.closed_at = reported + timedelta(hours=30)
    session.add_all([fixed, closed])
    session.commit()

    assert alerts_check_overdue(session, utcnow()) == []


def test_the_overdue_check_stays_inside_a_scoped_organization(session: Session, w: World) -> None:
    other = make_org(session, name="Other Co")
    make_recovery_case(session, other, reported_at=utcnow() - timedelta(hours=26))
    mine = make_recovery_case(session, w.org, reported_at=utcnow() - timedelta(hours=26))
    scope_session(session, ident(w.org))

    raised = alerts_check_overdue(session, utcnow())
    session.commit()

    assert [a.recovery_case_id for a in raised] == [mine.id]


# --- dismissing ----------------------------------------------------------------------------


def test_dismiss_and_undo(session: Session, w: World) -> None:
    _approve(session, w, _submitted_shop(session, w, critical_ok=False))
    scope_session(session, ident(w.org))
    alert = _alerts(session)[0]
    assert open_alert_count(session) == 1

    alert_dismiss(session=session, alert=alert, actor_id=ident(w.owner))
    assert open_alert_count(session) == 0
    assert alert.dismissed_by == w.owner.id
    with pytest.raises(Exception, match=MSG_ALREADY_DISMISSED):
        alert_dismiss(session=session, alert=alert, actor_id=ident(w.owner))

    alert_undismiss(session=session, alert=alert)
    assert open_alert_count(session) == 1 and alert.dismissed_at is None


# --- pages ---------------------------------------------------------------------------------


def nav_count(html: str) -> int | None:
    """The number in the navigation's alert count, as drawn."""
    found = re.search(r'<span id="nav-alert-count"[^>]*>(\d+)<', html)
    return int(found.group(1)) if found else None


def _owner(browser_factory: Any, db: Database, w: World) -> Browser:
    return sign_in(browser_factory(), db, w.owner, w.org)


def test_alerts_page_groups_explains_links_and_dismisses_in_one_tap(
    session: Session, w: World, db: Database, browser_factory: Any
) -> None:
    shop = _approve(session, w, _submitted_shop(session, w, critical_ok=False, door_yes=6))
    case = make_recovery_case(session, w.org, reported_at=utcnow() - timedelta(hours=25))
    owner = _owner(browser_factory, db, w)

    page = owner.get("/alerts")
    assert page.status_code == 200
    text = page.text
    # Opening the page raised the overdue case's alert (no cron on this deployment).
    for heading in ["Recovery cases past 24 hours", "Critical questions failed"]:
        assert heading in text
    assert "Sections below target" in text
    assert text.index("Recovery cases past 24 hours") < text.index("Critical questions failed")
    assert CRITICAL_TEXT.replace("?", "") in text
    assert f'href="/shops/{shop.id}"' in text and f'href="/recovery/{case.id}"' in text
    assert f'href="/reports/touchpoints/{w.door.id}"' in text
    assert NEXT_STEP[AlertKind.case_overdue].split(".")[0] in text
    assert nav_count(text) == 3

    critical = _alerts(session, kind=AlertKind.critical_fail)[0]
    response = owner.htmx("POST", f"/alerts/{critical.id}/dismiss")
    assert response.status_code == 200  # type: ignore[attr-defined]
    fragment = response.text  # type: ignore[attr-defined]
    assert fragment.startswith('<div id="alerts-panel">')
    assert "Critical questions failed" not in fragment
    assert "Dismissed <span" in fragment and ">Undo</button>" in fragment
    assert 'hx-swap-oob="true">2<' in fragment  # the header's count follows

    response = owner.htmx("POST", f"/alerts/{critical.id}/undismiss")
    assert "Critical questions failed" in response.text  # type: ignore[attr-defined]
    assert 'hx-swap-oob="true">3<' in response.text  # type: ignore[attr-defined]


def test_a_dismiss_without_htmx_redirects_and_a_second_one_says_so(
    session: Session, w: World, db: Database, browser_factory: Any
) -> None:
    _approve(session, w, _submitted_shop(session, w, critical_ok=False))
    alert = _alerts(session)[0]
    owner = _owner(browser_factory, db, w)

    first = owner.form(f"/alerts/{alert.id}/dismiss")
    assert first.status_code == 303  # type: ignore[attr-defined]
    again = owner.htmx("POST", f"/alerts/{alert.id}/dismiss")
    assert MSG_ALREADY_DISMISSED in again.text  # type: ignore[attr-defined]


def test_owner_overview_shows_the_newest_alerts_and_other_roles_are_refused(
    session: Session, w: World, db: Database, browser_factory: Any
) -> None:
    make_recovery_case(session, w.org, reported_at=utcnow() - timedelta(hours=40))
    owner = _owner(browser_factory, db, w)

    home = owner.get("/").text
    assert "Needs a look" in home and "is past its 24 hours" in home
    assert 'href="/settings"' in home  # the account menu leads to the settings

    viewer = sign_in(browser_factory(), db, w.viewer, w.org)
    assert viewer.get("/alerts").status_code == 403
    assert "nav-alert-count" not in viewer.get("/reports").text


def test_alert_text_is_escaped(
    session: Session, w: World, db: Database, browser_factory: Any
) -> None:
    w.door.name = "<script>alert(1)</script>"
    session.add(w.door)
    session.commit()
    _approve(session, w, _submitted_shop(session, w, door_yes=2))
    page = _owner(browser_factory, db, w).get("/alerts").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- API -----------------------------------------------------------------------------------


def test_api_lists_dismisses_and_undismisses(session: Session, w: World, client: Browser) -> None:
    shop = _approve(session, w, _submitted_shop(session, w, critical_ok=False))
    owner = {"Authorization": f"Bearer {make_token(session, w.org, w.owner)}"}
    viewer = {"Authorization": f"Bearer {make_token(session, w.org, w.viewer)}"}

    listed = client.get("/api/v1/alerts", headers=owner).json()
    assert [(a["kind"], a["shop_id"]) for a in listed] == [("critical_fail", shop.id)]
    assert listed[0]["links"][0] == f"/shops/{shop.id}"
    alert_id = listed[0]["id"]

    dismissed = client.post(f"/api/v1/alerts/{alert_id}/dismiss", headers=owner)
    assert dismissed.status_code == 200 and dismissed.json()["dismissed_at"]
    again = client.post(f"/api/v1/alerts/{alert_id}/dismiss", headers=owner)
    assert again.status_code == 409 and again.json()["detail"] == MSG_ALREADY_DISMISSED
    assert client.get("/api/v1/alerts", headers=owner).json() == []
    gone = client.get("/api/v1/alerts?state=dismissed", headers=owner).json()
    assert [a["id"] for a in gone] == [alert_id]
    assert client.get("/api/v1/alerts?state=nonsense", headers=owner).status_code == 422

    back = client.post(f"/api/v1/alerts/{alert_id}/undismiss", headers=owner)
    assert back.status_code == 200 and back.json()["dismissed_at"] is None

    assert client.get("/api/v1/alerts", headers=viewer).status_code == 403
    assert client.post(f"/api/v1/alerts/{alert_id}/dismiss", headers=viewer).status_code == 403


# --- the command ---------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A migrated database for the command, in an environment of its own (no `.env`)."""
    test_pg = os.environ.get("TEST_DATABASE_URL")
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.lower() in Settings.model_fields or key == "TS_BUSY_MS":
            monkeypatch.delenv(key)
    monkeypatch.setenv("DEV_MODE", "1")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))

    def run(url: str) -> Iterator[Database]:
        monkeypatch.setenv("DATABASE_URL", url)
        result = CliRunner().invoke(cli, ["migrate"])
        assert result.exit_code == 0, result.output
        database = Database(Settings(_env_file=None).resolved_database_url)  # type: ignore[call-arg]
        yield database
        database.dispose()

    if test_pg:
        with fresh_schema_url(test_pg, "a") as url:
            yield from run(url)
    else:
        yield from run(f"sqlite:///{tmp_path / 'cli.db'}")


def test_cli_check_raises_overdue_alerts_in_every_organization(cli_db: Database) -> None:
    with cli_db.session() as session:
        first, second = make_org(session, name="North Co"), make_org(session, name="South Co")
        late = make_recovery_case(session, first, reported_at=utcnow() - timedelta(hours=25))
        make_recovery_case(session, second, reported_at=utcnow() - timedelta(hours=72))
        make_recovery_case(session, second, reported_at=utcnow() - timedelta(hours=2))

    result = CliRunner().invoke(cli, ["alerts", "check"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert f"North Co: Recovery case {late.reference}" in result.output
    assert "South Co: Recovery case" in result.output
    assert "Raised 2 alerts for recovery cases past 24 hours." in result.output
    assert "E-mail is off" in result.output

    again = CliRunner().invoke(cli, ["alerts", "check"])
    assert "No recovery case has passed its 24 hours without an alert." in again.output
    with cli_db.session() as session:
        assert len(session.exec(select(Alert)).all()) == 2
        assert session.exec(select(RecoveryCase)).all()


def test_an_overdue_alert_says_when_its_case_has_been_fixed_since(
    session: Session, w: World, db: Database, browser_factory: Any
) -> None:
    case = make_recovery_case(session, w.org, reported_at=utcnow() - timedelta(hours=30))
    owner = _owner(browser_factory, db, w)
    assert "Fixed since" not in owner.get("/alerts").text

    case.fixed_at = utcnow()
    session.add(case)
    session.commit()
    page = owner.get("/alerts").text

    assert "✓ Fixed since, on " in page and "Nothing left to chase" in page
    assert len(_alerts(session, kind=AlertKind.case_overdue)) == 1  # still there, still open


def test_a_request_that_raises_alerts_tells_htmx_to_refresh_the_count(
    session: Session, w: World, db: Database, browser_factory: Any
) -> None:
    owner = _owner(browser_factory, db, w)
    quiet = _submitted_shop(session, w)
    response = owner.htmx("POST", f"/shops/{quiet.id}/approve")
    assert "HX-Trigger" not in response.headers  # type: ignore[attr-defined]

    failing = _submitted_shop(session, w, critical_ok=False)
    response = owner.htmx("POST", f"/shops/{failing.id}/approve")
    assert response.headers["HX-Trigger"] == "alerts-changed"  # type: ignore[attr-defined]

    count = owner.htmx("GET", "/alerts/count").text  # type: ignore[attr-defined]
    assert nav_count(count) == 1 and 'hx-trigger="alerts-changed from:body"' in count


def test_a_long_list_says_what_it_leaves_out_and_the_api_pages_it(
    session: Session, w: World, db: Database, browser_factory: Any, client: Browser
) -> None:
    start = utcnow() - timedelta(days=30)
    for i in range(alerts.PAGE_LIMIT + 5):
        session.add(
            Alert(
                org_id=ident(w.org),
                key=f"test-{i}",
                kind=AlertKind.below_target,
                message=f"Walking in fell under target, number {i}",
                touchpoint_id=ident(w.door),
                created_at=start + timedelta(minutes=i),
            )
        )
    session.commit()
    total = alerts.PAGE_LIMIT + 5

    page = _owner(browser_factory, db, w).get("/alerts")
    assert page.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert f"These are the newest {alerts.PAGE_LIMIT} of {total} open alerts." in text
    assert f"number {total - 1}" in text and "number 4 " not in text
    assert nav_count(page.text) == total

    owner = {"Authorization": f"Bearer {make_token(session, w.org, w.owner)}"}
    seen: list[str] = []
    path = "/api/v1/alerts?limit=90"
    while path:
        answer = client.get(path, headers=owner)
        assert answer.status_code == 200 and answer.headers["X-Total-Count"] == str(total)
        seen += [a["message"] for a in answer.json()]
        link = answer.headers.get("Link", "")
        path = link[link.index("/api/") : link.index(">")] if link else ""
    assert seen == [f"Walking in fell under target, number {i}" for i in reversed(range(total))]
    assert client.get("/api/v1/alerts?limit=501", headers=owner).status_code == 422
