"""Paying shoppers (audits/pay): each shop's fee state, payment runs that claim their lines
(one run per shop, even when two are made at once), marking paid once, the CSV whose totals
are recomputed here, bad input refused with nothing written, and who may see what."""

from __future__ import annotations

import csv
import io
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlmodel import Session, func, select

from app import clock
from app.db import Database
from app.errors import ConflictError
from app.orgs.models import Location, Organization, Role, User
from app.tenancy import scope_session, unscoped
from audits.board.models import ReleaseReason, ShopRelease
from audits.models import Shop, ShopStatus
from audits.pay import queries, services
from audits.pay.csv_export import CSV_COLUMNS
from audits.pay.models import PaymentLine, PaymentRun
from audits.pay.queries import FeeState
from tests.conftest import Browser, sign_in
from tests.factories import make_location, make_member, make_org, make_shop, make_token

pytestmark = pytest.mark.db

TZ = "Europe/Berlin"


def _last_month() -> tuple[date, date]:
    """The calendar month before the clock's: a closed period whatever day the suite runs."""
    first_this = clock.utcnow().date().replace(day=1)
    last = first_this - timedelta(days=1)
    return last.replace(day=1), last


FIRST, LAST = _last_month()


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class World:
    org: Organization
    owner: User
    viewer: User
    ann: User
    bob: User
    place: Location


def _world(session: Session) -> World:
    org = make_org(session, name="Pay Co", timezone=TZ)
    owner = make_member(session, org, Role.owner)
    viewer = make_member(session, org, Role.viewer)
    ann = make_member(session, org, Role.shopper, name="Ann", email="ann@pay.example")
    bob = make_member(session, org, Role.shopper, name="Bob", email="bob@pay.example")
    place = make_location(session, org, name="High Street")
    scope_session(session, org.id)  # type: ignore[arg-type]
    return World(org, owner, viewer, ann, bob, place)


def _approved(session: Session, w: World, who: User, fee: int, on: date, **kw: object) -> Shop:
    return make_shop(
        session,
        w.org,
        location=w.place,
        shopper_id=who.id,
        status=ShopStatus.approved,
        approved_at=kw.pop("at", _at(on)),
        fee_minor=fee,
        fee_currency=kw.pop("currency", "EUR"),
        **kw,
    )


def _period(start: date = FIRST, end: date = LAST) -> services.PaymentPeriod:
    return services.PaymentPeriod(period_from=start, period_until=end)


def _make_run(session: Session, w: World, **kw: object) -> PaymentRun:
    return services.payment_run_create(
        session=session,
        org_id=w.org.id,  # type: ignore[arg-type]
        period=kw.pop("period", _period()),  # type: ignore[arg-type]
        tz=TZ,
        actor_id=w.owner.id,  # type: ignore[arg-type]
    )


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


# --- the fee state ---------------------------------------------------------------------------


def test_every_fee_of_a_shopper_has_a_state_and_a_returned_or_dropped_one_its_reason(
    session: Session,
) -> None:
    w = _world(session)
    approved = _approved(session, w, w.ann, 2500, FIRST)
    returned = make_shop(
        session,
        w.org,
        location=w.place,
        shopper_id=w.ann.id,
        status=ShopStatus.returned,
        return_note="Photo of the receipt missing",
        fee_minor=1500,
        fee_currency="EUR",
    )
    handed_in = make_shop(
        session,
        w.org,
        shopper_id=w.ann.id,
        status=ShopStatus.submitted,
        fee_minor=1000,
        fee_currency="EUR",
    )
    held = make_shop(session, w.org, shopper_id=w.ann.id, fee_minor=900, fee_currency="EUR")
    # A no-show: taken off Ann at its deadline, now Bob's.
    dropped = make_shop(session, w.org, shopper_id=w.bob.id, fee_minor=3000, fee_currency="EUR")
    session.add(
        ShopRelease(
            org_id=w.org.id,  # type: ignore[arg-type]
            shop_id=dropped.id,  # type: ignore[arg-type]
            shopper_id=w.ann.id,  # type: ignore[arg-type]
            reason=ReleaseReason.no_show,
            deadline=_at(LAST, 17),
        )
    )
    no_fee = make_shop(session, w.org, shopper_id=w.ann.id)
    session.commit()

    pay = queries.shopper_pay(session, w.ann.id, TZ)  # type: ignore[arg-type]
    states = {i.shop_id: (i.state, i.reason) for i in pay.items}
    assert states[approved.id][0] == FeeState.owed  # type: ignore[index]
    assert states[returned.id] == (  # type: ignore[index]
        FeeState.not_owed,
        queries.REASON_RETURNED % {"note": "Photo of the receipt missing"},
    )
    assert states[handed_in.id] == (FeeState.pending, queries.REASON_SUBMITTED)  # type: ignore[index]
    assert states[held.id] == (FeeState.pending, queries.REASON_HELD)  # type: ignore[index]
    assert states[dropped.id] == (  # type: ignore[index]
        FeeState.not_owed,
        queries.REASON_NO_SHOW % {"day": f"{LAST.day} {LAST:%B %Y}"},
    )
    assert no_fee.id not in states
    assert pay.total(FeeState.owed) == {"EUR": 2500}
    # Bob sees the shop he holds now, and nothing of Ann's.
    bobs = queries.shopper_pay(session, w.bob.id, TZ)  # type: ignore[arg-type]
    assert [(i.shop_id, i.state) for i in bobs.items] == [(dropped.id, FeeState.pending)]


# --- payment runs ----------------------------------------------------------------------------


def test_a_run_claims_the_period_s_owed_fees_and_is_paid_once(session: Session) -> None:
    w = _world(session)
    a1 = _approved(session, w, w.ann, 2500, FIRST)
    a2 = _approved(session, w, w.ann, 1050, LAST)
    b1 = _approved(session, w, w.bob, 3000, LAST, currency="GBP")
    before = _approved(session, w, w.bob, 700, FIRST - timedelta(days=1))
    after = _approved(session, w, w.bob, 800, LAST + timedelta(days=1))

    run = _make_run(session, w)
    lines = queries.run_lines(session, run.id, TZ)  # type: ignore[arg-type]
    assert sorted(x.shop_id for x in lines) == sorted([a1.id, a2.id, b1.id])  # type: ignore[type-var]
    assert queries.run_totals(session, run.id) == {"EUR": 3550, "GBP": 3000}  # type: ignore[arg-type]
    assert before.id not in {x.shop_id for x in lines} and after.id not in {
        x.shop_id for x in lines
    }
    assert queries.owed_before(session, FIRST, TZ) == 1

    # The same period again: nothing is left to claim, and nothing is written.
    with pytest.raises(ConflictError) as refused:
        _make_run(session, w)
    assert refused.value.message == services.MSG_NOTHING_OWED
    assert _count(session, PaymentRun) == 1

    # Owed (in the run), then paid once; the second press is refused and changes nothing.
    ann_pay = queries.shopper_pay(session, w.ann.id, TZ)  # type: ignore[arg-type]
    assert {i.state for i in ann_pay.items} == {FeeState.owed}
    assert all(f"payment run #{run.id}" in i.reason for i in ann_pay.items)
    services.payment_run_mark_paid(session=session, run=run, actor_id=w.owner.id, tz=TZ)  # type: ignore[arg-type]
    paid_at = run.paid_at
    assert paid_at is not None
    with pytest.raises(ConflictError) as twice:
        services.payment_run_mark_paid(session=session, run=run, actor_id=w.owner.id, tz=TZ)  # type: ignore[arg-type]
    assert twice.value.message.startswith("This payment run was already marked paid on")
    session.refresh(run)
    assert run.paid_at == paid_at
    with pytest.raises(ConflictError):
        services.payment_run_cancel(session=session, run=run)

    ann_pay = queries.shopper_pay(session, w.ann.id, TZ)  # type: ignore[arg-type]
    assert ann_pay.total(FeeState.paid) == {"EUR": 3550}
    assert ann_pay.total(FeeState.owed) == {}


def test_a_shop_approved_late_at_night_counts_on_its_day_in_the_organization_s_zone(
    session: Session,
) -> None:
    w = _world(session)
    # 23:30 UTC on the last day of the month before is already the 1st in Berlin.
    eve = FIRST - timedelta(days=1)
    shop = _approved(
        session, w, w.ann, 500, eve, at=datetime(eve.year, eve.month, eve.day, 23, 30, tzinfo=UTC)
    )
    lines = queries.owed_lines(session, FIRST, FIRST, TZ)
    assert [x.shop_id for x in lines] == [shop.id]
    assert lines[0].approved_on == FIRST
    assert queries.owed_lines(session, eve, eve, TZ) == []


def test_cancelling_a_run_not_paid_frees_its_shops_for_the_next(session: Session) -> None:
    w = _world(session)
    shop = _approved(session, w, w.ann, 2500, FIRST)
    run = _make_run(session, w)
    services.payment_run_cancel(session=session, run=run)
    assert _count(session, PaymentLine) == 0
    again = _make_run(session, w)
    assert [x.shop_id for x in queries.run_lines(session, again.id, TZ)] == [shop.id]  # type: ignore[arg-type]


def test_two_runs_made_at_the_same_moment_claim_each_shop_once(
    session: Session, db: Database
) -> None:
    w = _world(session)
    shops = [_approved(session, w, w.ann, 1000 + i, FIRST) for i in range(5)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def press() -> None:
        with db.session(write=True) as mine:
            scope_session(mine, w.org.id)  # type: ignore[arg-type]
            start.wait(timeout=30)
            try:
                _make_run(mine, w)
                outcomes.append("made")
            except ConflictError as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 2 and outcomes.count("made") == 1
    assert [o for o in outcomes if o != "made"][0] in (
        services.MSG_NOTHING_OWED,
        services.MSG_CLAIMED,
    )
    session.expire_all()
    with unscoped(session):
        assert _count(session, PaymentRun) == 1
        claimed = session.exec(select(PaymentLine.shop_id)).all()
    assert sorted(claimed) == sorted(s.id for s in shops)


def test_a_period_that_ends_before_it_starts_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        _period(LAST, FIRST)


# --- the API ---------------------------------------------------------------------------------


def _api(client: Browser, token: str, method: str, path: str, **kw: object) -> object:
    return client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)  # type: ignore[arg-type]


def test_api_run_csv_totals_recomputed_from_the_file_match(
    session: Session, app: FastAPI, client: Browser
) -> None:
    w = _world(session)
    fees = {w.ann.id: [2500, 1075], w.bob.id: [3000]}
    for who in (w.ann, w.bob):
        for fee in fees[who.id]:  # type: ignore[index]
            _approved(session, w, who, fee, LAST)
    _approved(session, w, w.bob, 4000, LAST, currency="JPY")
    token = make_token(session, w.org, w.owner)
    period = {"period_from": FIRST.isoformat(), "period_until": LAST.isoformat()}

    owed = _api(client, token, "GET", "/api/v1/payments/owed", params=period)
    assert owed.status_code == 200, owed.text  # type: ignore[attr-defined]
    assert owed.json()["totals"] == {"EUR": 6575, "JPY": 4000}  # type: ignore[attr-defined]

    made = _api(client, token, "POST", "/api/v1/payments", json=period)
    assert made.status_code == 201, made.text  # type: ignore[attr-defined]
    run = made.json()  # type: ignore[attr-defined]
    assert run["status"] == "made" and run["totals"] == {"EUR": 6575, "JPY": 4000}

    exported = _api(client, token, "GET", f"/api/v1/payments/{run['id']}/export.csv")
    assert exported.status_code == 200  # type: ignore[attr-defined]
    assert exported.headers["content-type"].startswith("text/csv")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(exported.text)))  # type: ignore[attr-defined]
    assert list(rows[0]) == CSV_COLUMNS
    # Recomputed from the file alone: per shopper and currency, in minor units.
    from_file: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        whole, _, cents = row["amount"].partition(".")
        from_file[(row["email"], row["currency"])] += int(whole) * (100 if cents else 1) + int(
            cents or 0
        )
    assert dict(from_file) == {
        ("ann@pay.example", "EUR"): 3575,
        ("bob@pay.example", "EUR"): 3000,
        ("bob@pay.example", "JPY"): 4000,
    }
    per_payee = {(p["email"], c): a for p in run["payees"] for c, a in p["totals"].items()}
    assert per_payee == dict(from_file)

    paid = _api(client, token, "POST", f"/api/v1/payments/{run['id']}/paid")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"  # type: ignore[attr-defined]
    twice = _api(client, token, "POST", f"/api/v1/payments/{run['id']}/paid")
    assert twice.status_code == 409  # type: ignore[attr-defined]
    assert "already marked paid" in twice.json()["detail"]  # type: ignore[attr-defined]

    mine = _api(client, make_token(session, w.org, w.ann), "GET", "/api/v1/pay")
    assert mine.status_code == 200  # type: ignore[attr-defined]
    body = mine.json()  # type: ignore[attr-defined]
    assert body["paid"] == {"EUR": 3575} and body["owed"] == {}
    assert {i["state"] for i in body["items"]} == {"paid"}
    assert len(body["items"]) == 2  # Ann's two shops, none of Bob's


def test_api_bad_input_is_a_precise_4xx_and_writes_nothing(
    session: Session, client: Browser
) -> None:
    w = _world(session)
    _approved(session, w, w.ann, 2500, LAST)
    token = make_token(session, w.org, w.owner)
    backwards = {"period_from": LAST.isoformat(), "period_until": FIRST.isoformat()}
    made = _api(client, token, "POST", "/api/v1/payments", json=backwards)
    assert made.status_code == 422  # type: ignore[attr-defined]
    assert services.MSG_PERIOD in made.text  # type: ignore[attr-defined]
    owed = _api(client, token, "GET", "/api/v1/payments/owed", params=backwards)
    assert owed.status_code == 422  # type: ignore[attr-defined]
    assert owed.json() == {"detail": services.MSG_PERIOD, "field": "period_until"}  # type: ignore[attr-defined]
    garbled = _api(client, token, "POST", "/api/v1/payments", json={"period_from": "soon"})
    assert garbled.status_code == 422  # type: ignore[attr-defined]
    empty = {
        "period_from": (LAST + timedelta(days=1)).isoformat(),
        "period_until": (LAST + timedelta(days=2)).isoformat(),
    }
    nothing = _api(client, token, "POST", "/api/v1/payments", json=empty)
    assert nothing.status_code == 409  # type: ignore[attr-defined]
    assert nothing.json()["detail"] == services.MSG_NOTHING_OWED  # type: ignore[attr-defined]
    session.expire_all()
    assert _count(session, PaymentRun) == 0 and _count(session, PaymentLine) == 0


def test_staff_and_shoppers_cannot_reach_payment_runs(session: Session, client: Browser) -> None:
    w = _world(session)
    _approved(session, w, w.ann, 2500, LAST)
    run = _make_run(session, w)
    for user in (w.viewer, w.ann):
        token = make_token(session, w.org, user)
        for method, path in [
            ("GET", "/api/v1/payments"),
            ("GET", f"/api/v1/payments/{run.id}"),
            ("GET", f"/api/v1/payments/{run.id}/export.csv"),
            ("POST", f"/api/v1/payments/{run.id}/paid"),
        ]:
            assert _api(client, token, method, path).status_code == 403, (user.name, path)
    viewer = make_token(session, w.org, w.viewer)
    assert _api(client, viewer, "GET", "/api/v1/pay").status_code == 403
    session.refresh(run)
    assert run.paid_at is None


# --- the pages -------------------------------------------------------------------------------


def test_owner_page_refuses_a_backwards_period_next_to_the_field(
    session: Session, db: Database, client: Browser
) -> None:
    w = _world(session)
    _approved(session, w, w.ann, 2500, LAST)
    sign_in(client, db, w.owner, w.org)
    page = client.get(
        "/payments", params={"period_from": FIRST.isoformat(), "period_until": LAST.isoformat()}
    )
    assert page.status_code == 200
    assert "Ann" in page.text and "EUR 25.00" in page.text
    bad = client.form(
        "/payments", {"period_from": LAST.isoformat(), "period_until": FIRST.isoformat()}
    )
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert 'id="f-period_until-error">' + services.MSG_PERIOD.replace("’", "&#39;") in bad.text or (  # type: ignore[attr-defined]
        services.MSG_PERIOD in bad.text  # type: ignore[attr-defined]
    )
    assert _count(session, PaymentRun) == 0
    made = client.form(
        "/payments", {"period_from": FIRST.isoformat(), "period_until": LAST.isoformat()}
    )
    assert made.status_code == 303  # type: ignore[attr-defined]
    run_page = client.get(made.headers["location"])  # type: ignore[attr-defined]
    assert "Payment run #" in run_page.text and "EUR 25.00" in run_page.text


def test_shopper_page_shows_owed_and_paid_and_only_their_own(
    session: Session, db: Database, client: Browser
) -> None:
    w = _world(session)
    _approved(session, w, w.ann, 2500, LAST)
    _approved(session, w, w.bob, 9900, LAST)
    run = _make_run(session, w)
    sign_in(client, db, w.ann, w.org)
    page = client.get("/pay")
    assert page.status_code == 200
    assert 'id="pay-owed">EUR 25.00<' in page.text
    assert "EUR 99.00" not in page.text and "Bob" not in page.text
    services.payment_run_mark_paid(session=session, run=run, actor_id=w.owner.id, tz=TZ)  # type: ignore[arg-type]
    page = client.get("/pay")
    assert 'id="pay-paid">EUR 25.00<' in page.text
    assert 'id="pay-owed">nothing<' in page.text
    staff = Browser(client.app, base_url=str(client.base_url), follow_redirects=False)
    sign_in(staff, db, w.viewer, w.org)
    assert staff.get("/pay").status_code == 403
    assert staff.get("/payments").status_code == 403


def test_two_owners_marking_a_run_paid_at_once_pay_it_once(session: Session, db: Database) -> None:
    w = _world(session)
    _approved(session, w, w.ann, 2500, FIRST)
    run = _make_run(session, w)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def press() -> None:
        with db.session(write=True) as mine:
            scope_session(mine, w.org.id)  # type: ignore[arg-type]
            start.wait(timeout=30)
            mine_run = mine.get(PaymentRun, run.id)  # after the wait: it takes SQLite's lock
            assert mine_run is not None
            try:
                services.payment_run_mark_paid(
                    session=mine,
                    run=mine_run,
                    actor_id=w.owner.id,
                    tz=TZ,  # type: ignore[arg-type]
                )
                outcomes.append("paid")
            except ConflictError as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes)[1] == "paid" and outcomes.count("paid") == 1
    assert sorted(outcomes)[0].startswith("This payment run was already marked paid on")


def test_owner_pages_say_what_is_wrong_with_the_dates_and_cancel_a_run(
    session: Session, db: Database, client: Browser
) -> None:
    w = _world(session)
    _approved(session, w, w.ann, 2500, FIRST - timedelta(days=3))
    shop = _approved(session, w, w.ann, 1200, LAST)
    sign_in(client, db, w.owner, w.org)
    garbled = client.get("/payments", params={"period_from": "soon", "period_until": "later"})
    assert garbled.status_code == 400
    assert 'id="f-period_from-error">Give a date, such as 2026-12-01.<' in garbled.text
    page = client.get(
        "/payments", params={"period_from": FIRST.isoformat(), "period_until": LAST.isoformat()}
    )
    # The fee approved before the period is named beside it, not added to it.
    assert "1 fee or expense approved before this period is in no payment run yet" in page.text
    assert 'id="owed-total">EUR 12.00<' in page.text
    made = client.form(
        "/payments", {"period_from": FIRST.isoformat(), "period_until": LAST.isoformat()}
    )
    run_url = made.headers["location"]  # type: ignore[attr-defined]
    cancelled = client.form(run_url + "/cancel")
    assert cancelled.status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    assert _count(session, PaymentRun) == 0
    assert [x.shop_id for x in queries.owed_lines(session, FIRST, LAST, TZ)] == [shop.id]
    nothing = client.form(
        "/payments",
        {
            "period_from": (LAST + timedelta(days=1)).isoformat(),
            "period_until": (LAST + timedelta(days=1)).isoformat(),
        },
    )
    assert nothing.status_code == 409  # type: ignore[attr-defined]
    assert services.MSG_NOTHING_OWED in nothing.text  # type: ignore[attr-defined]
