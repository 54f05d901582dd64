"""Expense claims (audits/expenses): a claim kept under the phone's id (a resend is an
update), its receipt cleaned and required by the organization's rule, hand-in refused while
one is missing, the owner's approval with the shop or one by one (a rejection needs a
reason), expenses paid in payment runs with the fees (the CSV's totals recomputed here),
bad input refused with nothing written, and who may see what."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import FastAPI
from PIL import Image
from sqlmodel import Session, func, select

from app import clock
from app.db import Database
from app.errors import ConflictError
from app.orgs.models import Location, Organization, Role, User
from app.tenancy import scope_session
from audits.expenses import services
from audits.expenses.models import ExpenseClaim, ExpenseStatus
from audits.expenses.queries import MSG_RECEIPT_MISSING_ONE
from audits.models import Shop, ShopStatus
from audits.pay import services as pay_services
from audits.pay.csv_export import CSV_COLUMNS
from audits.pay.models import PaymentRun
from tests.conftest import Browser, sign_in
from tests.factories import (
    make_expense,
    make_location,
    make_member,
    make_org,
    make_shop,
    make_token,
)

pytestmark = pytest.mark.db

TZ = "Europe/Berlin"


def _yesterday() -> date:
    return clock.utcnow().date() - timedelta(days=1)


@dataclass
class World:
    org: Organization
    owner: User
    viewer: User
    ann: User
    bob: User
    place: Location


def _world(session: Session) -> World:
    org = make_org(session, name="Spend Co", timezone=TZ)
    owner = make_member(session, org, Role.owner)
    viewer = make_member(session, org, Role.viewer)
    ann = make_member(session, org, Role.shopper, name="Ann", email="ann@spend.example")
    bob = make_member(session, org, Role.shopper, name="Bob", email="bob@spend.example")
    place = make_location(session, org, name="High Street")
    scope_session(session, org.id)  # type: ignore[arg-type]
    return World(org, owner, viewer, ann, bob, place)


def _shop(session: Session, w: World, who: User, **kw: object) -> Shop:
    fields: dict[str, object] = {"fee_minor": 2500, "fee_currency": "EUR"}
    fields.update(kw)
    return make_shop(session, w.org, location=w.place, shopper_id=who.id, **fields)


def _api(client: Browser, token: str, method: str, path: str, **kw: object) -> object:
    return client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)  # type: ignore[arg-type]


def _count(session: Session) -> int:
    session.commit()  # a fresh read, not this session's earlier snapshot
    return session.exec(select(func.count()).select_from(ExpenseClaim)).one()


def _fresh(session: Session, row: object) -> None:
    """Read the row again as the app left it (ending this session's earlier snapshot)."""
    session.commit()
    session.refresh(row)


def _jpeg() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # the camera's maker: must not survive the cleaning
    Image.new("RGB", (2400, 1200), (200, 190, 180)).save(out, "JPEG", exif=exif)
    return out.getvalue()


# --- the shopper's claims through the API ----------------------------------------------------


def test_a_claim_is_kept_under_the_clients_id_and_a_resend_changes_nothing(
    session: Session, client: Browser
) -> None:
    w = _world(session)
    shop = _shop(session, w, w.ann)
    token = make_token(session, w.org, w.ann)
    eid = uuid.uuid4()
    body = {"amount_minor": 1240, "what_for": "Coffee and cake"}
    first = _api(client, token, "PUT", f"/api/v1/shops/{shop.id}/expenses/{eid}", json=body)
    assert first.status_code == 201, first.text  # type: ignore[attr-defined]
    claim = first.json()  # type: ignore[attr-defined]
    # No currency given: the shop's fee currency.
    assert claim["currency"] == "EUR" and claim["status"] == "claimed"
    again = _api(client, token, "PUT", f"/api/v1/shops/{shop.id}/expenses/{eid}", json=body)
    assert again.status_code == 200  # type: ignore[attr-defined]
    assert _count(session) == 1
    changed = _api(
        client,
        token,
        "PUT",
        f"/api/v1/shops/{shop.id}/expenses/{eid}",
        json={"amount_minor": 1500, "currency": "gbp", "what_for": "  Parking   ticket "},
    )
    assert changed.status_code == 200  # type: ignore[attr-defined]
    assert changed.json()["amount_minor"] == 1500  # type: ignore[attr-defined]
    assert changed.json()["currency"] == "GBP"  # type: ignore[attr-defined]
    assert changed.json()["what_for"] == "Parking ticket"  # type: ignore[attr-defined]
    listed = _api(client, token, "GET", f"/api/v1/shops/{shop.id}/expenses")
    assert [e["id"] for e in listed.json()] == [str(eid)]  # type: ignore[attr-defined]

    gone = _api(client, token, "DELETE", f"/api/v1/shops/{shop.id}/expenses/{eid}")
    assert gone.status_code == 204  # type: ignore[attr-defined]
    twice = _api(client, token, "DELETE", f"/api/v1/shops/{shop.id}/expenses/{eid}")
    assert twice.status_code == 204  # type: ignore[attr-defined]  # a resend: already gone
    assert _count(session) == 0


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"amount_minor": 0, "what_for": "Coffee"}, services.MSG_AMOUNT),
        ({"amount_minor": -500, "what_for": "Coffee"}, services.MSG_AMOUNT),
        ({"amount_minor": 500, "currency": "XYZ", "what_for": "Coffee"}, services.MSG_CURRENCY),
        ({"amount_minor": 500, "what_for": "   "}, services.MSG_WHAT_FOR),
        ({"amount_minor": 500}, "Field required"),
    ],
)
def test_api_bad_claims_are_a_422_naming_the_problem_and_write_nothing(
    session: Session, client: Browser, body: dict[str, object], words: str
) -> None:
    w = _world(session)
    shop = _shop(session, w, w.ann)
    token = make_token(session, w.org, w.ann)
    put = _api(client, token, "PUT", f"/api/v1/shops/{shop.id}/expenses/{uuid.uuid4()}", json=body)
    assert put.status_code == 422, put.text  # type: ignore[attr-defined]
    assert words in put.text  # type: ignore[attr-defined]
    assert _count(session) == 0


def test_a_claim_on_someone_elses_shop_or_after_hand_in_is_refused(
    session: Session, client: Browser
) -> None:
    w = _world(session)
    bobs = _shop(session, w, w.bob)
    handed_in = _shop(session, w, w.ann, status=ShopStatus.submitted)
    no_currency = _shop(session, w, w.ann, fee_minor=None, fee_currency="")
    token = make_token(session, w.org, w.ann)
    body = {"amount_minor": 500, "what_for": "Coffee"}
    other = _api(
        client, token, "PUT", f"/api/v1/shops/{bobs.id}/expenses/{uuid.uuid4()}", json=body
    )
    assert other.status_code == 404  # type: ignore[attr-defined]
    late = _api(
        client, token, "PUT", f"/api/v1/shops/{handed_in.id}/expenses/{uuid.uuid4()}", json=body
    )
    assert late.status_code == 409  # type: ignore[attr-defined]
    assert late.json()["detail"] == services.MSG_SHOP_CLOSED  # type: ignore[attr-defined]
    bare = _api(
        client, token, "PUT", f"/api/v1/shops/{no_currency.id}/expenses/{uuid.uuid4()}", json=body
    )
    assert bare.status_code == 400  # type: ignore[attr-defined]
    assert bare.json() == {"detail": services.MSG_CURRENCY, "field": "currency"}  # type: ignore[attr-defined]
    # Bob's claim id used on Ann's shop: a conflict, Bob's claim untouched.
    bobs_claim = make_expense(session, bobs)
    taken = _api(
        client,
        token,
        "PUT",
        f"/api/v1/shops/{no_currency.id}/expenses/{bobs_claim.id}",
        json={**body, "currency": "EUR"},
    )
    assert taken.status_code == 409  # type: ignore[attr-defined]
    assert _count(session) == 1
    # An approved claim can no longer change.
    shop = _shop(session, w, w.ann)
    decided = make_expense(session, shop, status=ExpenseStatus.approved)
    changed = _api(
        client,
        token,
        "PUT",
        f"/api/v1/shops/{shop.id}/expenses/{decided.id}",
        json={"amount_minor": 99999, "what_for": "More"},
    )
    assert changed.status_code == 409  # type: ignore[attr-defined]
    _fresh(session, decided)
    assert decided.amount_minor == 1240
    # Staff have no part in expenses at all.
    viewer = make_token(session, w.org, w.viewer)
    assert _api(client, viewer, "GET", f"/api/v1/shops/{shop.id}/expenses").status_code == 403  # type: ignore[attr-defined]


# --- receipts and hand-in --------------------------------------------------------------------


def test_hand_in_waits_for_a_required_receipt_which_is_stored_without_metadata(
    session: Session, client: Browser, app: FastAPI
) -> None:
    w = _world(session)
    shop = _shop(session, w, w.ann)
    token = make_token(session, w.org, w.ann)
    eid = uuid.uuid4()
    body = {"amount_minor": 1240, "what_for": "Coffee"}
    put = _api(client, token, "PUT", f"/api/v1/shops/{shop.id}/expenses/{eid}", json=body)
    assert put.status_code == 201  # type: ignore[attr-defined]

    refused = _api(client, token, "POST", f"/api/v1/shops/{shop.id}/submit")
    assert refused.status_code == 400, refused.text  # type: ignore[attr-defined]
    assert refused.json() == {  # type: ignore[attr-defined]
        "detail": MSG_RECEIPT_MISSING_ONE % {"num": 1},
        "field": f"expense-{eid}",
    }
    _fresh(session, shop)
    assert shop.status == ShopStatus.assigned

    receipt_id = uuid.uuid4()
    sent = _api(
        client,
        token,
        "POST",
        f"/api/v1/shops/{shop.id}/expenses/{eid}/receipt",
        data={"id": str(receipt_id)},
        files={"photo": ("r.jpg", _jpeg(), "image/jpeg")},
    )
    assert sent.status_code == 201, sent.text  # type: ignore[attr-defined]
    assert sent.json()["receipt_id"] == str(receipt_id)  # type: ignore[attr-defined]
    resent = _api(
        client,
        token,
        "POST",
        f"/api/v1/shops/{shop.id}/expenses/{eid}/receipt",
        data={"id": str(receipt_id)},
        files={"photo": ("r.jpg", _jpeg(), "image/jpeg")},
    )
    assert resent.status_code == 200  # type: ignore[attr-defined]  # the same receipt again
    not_a_photo = _api(
        client,
        token,
        "POST",
        f"/api/v1/shops/{shop.id}/expenses/{eid}/receipt",
        files={"photo": ("r.txt", b"hello", "text/plain")},
    )
    assert not_a_photo.status_code == 400  # type: ignore[attr-defined]

    session.commit()
    claim = session.get(ExpenseClaim, eid)
    assert claim is not None and claim.receipt_id == receipt_id
    stored = app.state.settings.data_dir / claim.receipt_path
    with Image.open(stored) as image:
        assert max(image.size) <= 1600 and not image.getexif()
    picture = _api(client, token, "GET", sent.json()["url"])  # type: ignore[attr-defined]
    assert picture.status_code == 200  # type: ignore[attr-defined]
    assert picture.headers["content-type"] == "image/jpeg"  # type: ignore[attr-defined]

    handed = _api(client, token, "POST", f"/api/v1/shops/{shop.id}/submit")
    assert handed.status_code == 200, handed.text  # type: ignore[attr-defined]


def test_without_the_receipt_rule_a_claim_needs_no_receipt(
    session: Session, db: Database, client: Browser
) -> None:
    w = _world(session)
    shop = _shop(session, w, w.ann)
    make_expense(session, shop, receipt_path=None, receipt_id=None)
    sign_in(client, db, w.owner, w.org)
    page = client.get("/payments")
    assert 'id="receipt-required" checked' in page.text  # on unless the owner turns it off
    off = client.form("/expenses/rules", {})
    assert off.status_code == 303  # type: ignore[attr-defined]
    token = make_token(session, w.org, w.ann)
    handed = _api(client, token, "POST", f"/api/v1/shops/{shop.id}/submit")
    assert handed.status_code == 200, handed.text  # type: ignore[attr-defined]


def test_the_phone_queue_post_is_acknowledged_by_name_and_bad_amounts_said_by_field(
    session: Session, db: Database, client: Browser
) -> None:
    w = _world(session)
    shop = _shop(session, w, w.ann)
    sign_in(client, db, w.ann, w.org)
    eid = uuid.uuid4()
    url = f"/shops/{shop.id}/expenses/{eid}"
    headers = {"X-CSRF-Token": client.csrf, "Accept": "application/json"}
    ok = client.post(
        url, json={"amount": "12,40", "currency": "", "what_for": "Cake"}, headers=headers
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["ack"] == "expense" and ok.json()["expense_id"] == str(eid)
    assert ok.json()["amount_minor"] == 1240 and ok.json()["currency"] == "EUR"
    for amount in ("-5", "0", "0.00", "12.345", "twelve"):
        bad = client.post(
            f"/shops/{shop.id}/expenses/{uuid.uuid4()}",
            json={"amount": amount, "what_for": "Cake"},
            headers=headers,
        )
        assert bad.status_code == 400, amount
        assert bad.json()["field"] == "amount" and bad.json()["detail"] == services.MSG_AMOUNT
    unknown = client.post(
        f"/shops/{shop.id}/expenses/{uuid.uuid4()}",
        json={"amount": "5", "currency": "ABC", "what_for": "Cake"},
        headers=headers,
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "currency"
    removed = client.post(f"{url}/remove", json={}, headers=headers)
    assert removed.json() == {
        "ok": True,
        "ack": "expense-removed",
        "shop_id": shop.id,
        "expense_id": str(eid),
        "removed": True,
    }
    assert _count(session) == 0
    # The check screen has the expense form, with the shop's currency filled in.
    fill = client.get(f"/shops/{shop.id}/fill?section=99")
    assert 'id="expense-currency"' in fill.text and 'value="EUR"' in fill.text


# --- the owner's decisions -------------------------------------------------------------------


def test_owner_approves_expenses_with_the_shop_or_one_by_one_and_a_rejection_needs_a_reason(
    session: Session, db: Database, client: Browser, browser_factory: object
) -> None:
    w = _world(session)
    with_shop = _shop(session, w, w.ann, status=ShopStatus.submitted)
    coffee = make_expense(session, with_shop, what_for="Coffee")
    alone = _shop(session, w, w.ann, status=ShopStatus.submitted)
    parking = make_expense(session, alone, what_for="Parking", amount_minor=300)
    lunch = make_expense(session, alone, what_for="Lunch", amount_minor=1800)
    sign_in(client, db, w.owner, w.org)

    page = client.get(f"/shops/{with_shop.id}")
    assert "Coffee" in page.text and "Approve the expenses still waiting with the shop" in page.text
    approved = client.form(f"/shops/{with_shop.id}/approve", {"expenses_with_shop": "on"})
    assert approved.status_code == 303  # type: ignore[attr-defined]
    _fresh(session, coffee)
    assert coffee.status == ExpenseStatus.approved and coffee.decided_at is not None

    # Approved without them: they stay waiting, and are decided one by one.
    client.form(f"/shops/{alone.id}/approve", {})
    _fresh(session, parking)
    assert parking.status == ExpenseStatus.claimed
    no_reason = client.htmx(
        "POST", f"/shops/{alone.id}/expenses/{parking.id}/reject", {"reason": " "}
    )
    assert no_reason.status_code == 400  # type: ignore[attr-defined]
    assert f'id="reject-{parking.id}-error">{services.MSG_REASON}<' in no_reason.text  # type: ignore[attr-defined]
    _fresh(session, parking)
    assert parking.status == ExpenseStatus.claimed
    client.htmx(
        "POST",
        f"/shops/{alone.id}/expenses/{parking.id}/reject",
        {"reason": "Parking is free there."},
    )
    one = client.htmx("POST", f"/shops/{alone.id}/expenses/{lunch.id}/approve", {})
    assert one.status_code == 200 and "Approved" in one.text  # type: ignore[attr-defined]
    _fresh(session, parking)
    _fresh(session, lunch)
    assert parking.status == ExpenseStatus.rejected and lunch.status == ExpenseStatus.approved

    # The shopper reads the reason; staff see neither the expenses nor their receipts.
    shopper = browser_factory()  # type: ignore[operator]
    sign_in(shopper, db, w.ann, w.org)
    mine = shopper.get("/pay")
    assert "Rejected: Parking is free there." in mine.text and "Coffee" in mine.text
    staff = browser_factory()  # type: ignore[operator]
    sign_in(staff, db, w.viewer, w.org)
    seen = staff.get(f"/shops/{with_shop.id}")
    assert seen.status_code == 200 and "Coffee" not in seen.text and "Expenses" not in seen.text
    receipt = staff.get(f"/shops/{with_shop.id}/expenses/{coffee.id}/receipt")
    assert receipt.status_code == 403
    # Another shopper never reaches Ann's receipt (her shop is not theirs).
    bob = browser_factory()  # type: ignore[operator]
    sign_in(bob, db, w.bob, w.org)
    assert bob.get(f"/shops/{with_shop.id}/expenses/{coffee.id}/receipt").status_code == 404
    assert "Coffee" not in bob.get("/pay").text


def test_a_returned_shops_expense_says_so_and_an_open_shops_cannot_be_decided(
    session: Session, client: Browser
) -> None:
    w = _world(session)
    shop = _shop(session, w, w.ann, status=ShopStatus.returned, return_note="Add the receipt")
    claim = make_expense(session, shop)
    owner = make_token(session, w.org, w.owner)
    early = _api(client, owner, "POST", f"/api/v1/shops/{shop.id}/expenses/{claim.id}/approve")
    assert early.status_code == 409  # type: ignore[attr-defined]
    assert early.json()["detail"] == services.MSG_NOT_HANDED_IN  # type: ignore[attr-defined]
    mine = _api(client, make_token(session, w.org, w.ann), "GET", "/api/v1/pay").json()  # type: ignore[attr-defined]
    [item] = mine["expenses"]
    assert item["state"] == "pending" and "sent back to fix" in item["reason"]


# --- paying them -----------------------------------------------------------------------------


def test_a_payment_run_pays_approved_expenses_with_the_fees_and_the_csv_adds_up(
    session: Session, client: Browser
) -> None:
    w = _world(session)
    day = _yesterday()
    at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    ann_shop = _shop(session, w, w.ann, status=ShopStatus.approved, approved_at=at)
    bob_shop = _shop(session, w, w.bob, status=ShopStatus.approved, approved_at=at)
    jpy_shop = _shop(
        session,
        w,
        w.bob,
        status=ShopStatus.approved,
        approved_at=at,
        fee_minor=4000,
        fee_currency="JPY",
    )
    decided = {"status": ExpenseStatus.approved, "decided_at": at}
    make_expense(session, ann_shop, amount_minor=1240, **decided)
    make_expense(session, ann_shop, amount_minor=760, what_for="=HYPERLINK()", **decided)
    make_expense(session, bob_shop, amount_minor=999, currency="GBP", **decided)
    make_expense(session, jpy_shop, amount_minor=1500, currency="JPY", **decided)
    # Not owed: rejected, or still waiting.
    make_expense(session, bob_shop, amount_minor=5000, status=ExpenseStatus.rejected)
    make_expense(session, bob_shop, amount_minor=7000)
    token = make_token(session, w.org, w.owner)
    period = {"period_from": day.isoformat(), "period_until": day.isoformat()}

    made = _api(client, token, "POST", "/api/v1/payments", json=period)
    assert made.status_code == 201, made.text  # type: ignore[attr-defined]
    run = made.json()  # type: ignore[attr-defined]
    by_payee = {p["email"]: p for p in run["payees"]}
    assert by_payee["ann@spend.example"]["fee_totals"] == {"EUR": 2500}
    assert by_payee["ann@spend.example"]["expense_totals"] == {"EUR": 2000}
    assert by_payee["bob@spend.example"]["expense_totals"] == {"GBP": 999, "JPY": 1500}

    exported = _api(client, token, "GET", f"/api/v1/payments/{run['id']}/export.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))  # type: ignore[attr-defined]
    assert list(rows[0]) == CSV_COLUMNS and CSV_COLUMNS[-2:] == ["kind", "what_for"]
    # Recomputed from the file alone: per shopper, currency and kind, in minor units.
    from_file: dict[tuple[str, str], int] = defaultdict(int)
    kinds: dict[str, int] = defaultdict(int)
    for row in rows:
        whole, _, cents = row["amount"].partition(".")
        minor = int(whole) * (100 if cents else 1) + int(cents or 0)
        from_file[(row["email"], row["currency"])] += minor
        kinds[row["kind"]] += 1
    assert dict(kinds) == {"fee": 3, "expense": 4}
    assert "'=HYPERLINK()" in exported.text  # type: ignore[attr-defined]  # kept as text
    per_payee = {(p["email"], c): a for p in run["payees"] for c, a in p["totals"].items()}
    assert (
        per_payee
        == dict(from_file)
        == {
            ("ann@spend.example", "EUR"): 2500 + 1240 + 760,
            ("bob@spend.example", "EUR"): 2500,
            ("bob@spend.example", "GBP"): 999,
            ("bob@spend.example", "JPY"): 4000 + 1500,
        }
    )

    # A second run finds nothing left: each expense is in one run at most.
    again = _api(client, token, "POST", "/api/v1/payments", json=period)
    assert again.status_code == 409  # type: ignore[attr-defined]
    paid = _api(client, token, "POST", f"/api/v1/payments/{run['id']}/paid")
    assert paid.status_code == 200  # type: ignore[attr-defined]
    mine = _api(client, make_token(session, w.org, w.ann), "GET", "/api/v1/pay").json()  # type: ignore[attr-defined]
    assert {e["state"] for e in mine["expenses"]} == {"paid"}
    assert mine["paid"] == {"EUR": 4500} and mine["owed"] == {}
    bobs = _api(client, make_token(session, w.org, w.bob), "GET", "/api/v1/pay").json()  # type: ignore[attr-defined]
    states = sorted((e["amount_minor"], e["state"], e["status"]) for e in bobs["expenses"])
    assert states == [
        (999, "paid", "approved"),
        (1500, "paid", "approved"),
        (5000, "not_owed", "rejected"),
        (7000, "pending", "claimed"),
    ]


def test_cancelling_a_run_frees_its_expenses(session: Session, client: Browser) -> None:
    w = _world(session)
    day = _yesterday()
    at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    shop = _shop(session, w, w.ann, status=ShopStatus.approved, approved_at=at, fee_minor=None)
    claim = make_expense(session, shop, status=ExpenseStatus.approved, decided_at=at)
    token = make_token(session, w.org, w.owner)
    period = {"period_from": day.isoformat(), "period_until": day.isoformat()}
    run = _api(client, token, "POST", "/api/v1/payments", json=period).json()  # type: ignore[attr-defined]
    assert run["totals"] == {"EUR": 1240}  # an expense alone makes a run
    _fresh(session, claim)
    assert claim.run_id == run["id"]
    assert _api(client, token, "DELETE", f"/api/v1/payments/{run['id']}").status_code == 204  # type: ignore[attr-defined]
    session.commit()
    session.expire_all()
    assert session.get(ExpenseClaim, claim.id).run_id is None  # type: ignore[union-attr]
    again = _api(client, token, "POST", "/api/v1/payments", json=period)
    assert again.status_code == 201 and again.json()["totals"] == {"EUR": 1240}  # type: ignore[attr-defined]


def test_a_refused_hand_in_leads_to_the_expense_that_lacks_its_receipt(
    session: Session, db: Database, client: Browser
) -> None:
    w = _world(session)
    shop = _shop(session, w, w.ann)
    claim = make_expense(session, shop, receipt_path=None, receipt_id=None, what_for="Parking")
    sign_in(client, db, w.ann, w.org)
    refused = client.form(f"/shops/{shop.id}/submit", {})
    assert refused.status_code == 303  # type: ignore[attr-defined]
    assert refused.headers["location"].endswith(f"?section=1#expense-{claim.id}")  # type: ignore[attr-defined]
    page = client.get(f"/shops/{shop.id}/fill?section=1")
    assert MSG_RECEIPT_MISSING_ONE % {"num": 1} in page.text
    item = page.text.split(f'id="expense-{claim.id}"', 1)[1].split("</li>", 1)[0]
    assert "Parking" in item and "Add a photo of the receipt" in item
    _fresh(session, shop)
    assert shop.status == ShopStatus.assigned


def test_two_runs_made_at_the_same_moment_take_each_expense_once(
    session: Session, db: Database
) -> None:
    """Expenses alone (shops without a fee): only the conditional update guards them."""
    w = _world(session)
    day = _yesterday()
    at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    for i in range(4):
        shop = _shop(session, w, w.ann, status=ShopStatus.approved, approved_at=at, fee_minor=None)
        make_expense(
            session, shop, amount_minor=100 + i, status=ExpenseStatus.approved, decided_at=at
        )
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def press() -> None:
        with db.session(write=True) as mine:
            scope_session(mine, w.org.id)  # type: ignore[arg-type]
            start.wait(timeout=30)
            try:
                pay_services.payment_run_create(
                    session=mine,
                    org_id=w.org.id,  # type: ignore[arg-type]
                    period=pay_services.PaymentPeriod(period_from=day, period_until=day),
                    tz=TZ,
                    actor_id=w.owner.id,  # type: ignore[arg-type]
                )
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
        pay_services.MSG_NOTHING_OWED,
        pay_services.MSG_CLAIMED,
    )
    session.commit()
    session.expire_all()
    runs = {c.run_id for c in session.exec(select(ExpenseClaim)).all()}
    assert len(runs) == 1 and None not in runs
    assert session.exec(select(func.count()).select_from(PaymentRun)).one() == 1
