"""Issue 16's acceptance walk, in one go: a shopper on a phone (390×844) sees an open job with
its address and fee, claims it, is refused a second one by the lockout rule (named), fills the
shop without signal with a receipt photo on a question and an expense claim with its receipt,
and hands it in once the signal is back; the owner, in a browser of their own, approves the
shop with the expense, makes a payment run, downloads its CSV (whose totals this test adds
up again from the file's rows) and marks it paid; the shopper then sees it paid."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from app.db import Database
from app.demo import DEMO_USERS
from app.modelbase import utcnow
from app.orgs.models import Location, Organization, Role, User
from app.orgs.services import membership_set, user_create
from app.tenancy import scope_session
from audits import services
from audits.board import routes as board_routes
from audits.board import services as board
from audits.board.models import VisitRules
from audits.expenses.models import ExpenseClaim, ExpenseStatus
from audits.models import Photo, Shop, ShopStatus
from audits.pay import routes as pay_routes
from tests.browser.conftest import DESKTOP, PHONE, WAIT_MS, LiveServer, TabFactory, signal
from tests.browser.test_photo_offline import jpeg, wait_for_offline_copy
from tests.browser.test_shopper import forget_offline_noise, question, state
from touchpoints import services as journey
from touchpoints.models import QuestionFields, Stage, Touchpoint

pytestmark = pytest.mark.browser

EMAIL = "wren.walker@example.com"
PASSWORD = "lantern meadow cobalt 4417"
NAME = "Wren Walker"
PLACE = "Harbour Kiosk"
ADDRESS = "2 Harbour Row, Millbrook MB4 1AA"


@dataclass(frozen=True)
class Walk:
    job: int
    later_job: int
    question: int


def _org(session: object) -> Organization:
    return session.exec(select(Organization).where(Organization.name == "Demo Co")).one()  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def walk(live_server: LiveServer) -> Iterator[Walk]:
    """Two jobs at a new kiosk a week apart (EUR 20.00 each), the first open now; a touchpoint
    with one question that needs a receipt photo; a shopper of their own; the 30-day lockout
    on. Demo Co's visit rules go back to none afterwards (the server is shared)."""
    db = Database(live_server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = _org(session)
        assert org.id is not None
        if session.exec(select(User).where(User.email == EMAIL)).first() is None:
            user = user_create(session=session, email=EMAIL, name=NAME, password=PASSWORD)
            membership_set(session=session, org=org, user=user, role=Role.shopper)
            session.commit()
        scope_session(session, org.id)
        owner = session.exec(select(User).where(User.email == DEMO_USERS[0][0])).one()
        place = Location(org_id=org.id, name=PLACE, address=ADDRESS)
        stage = Stage(org_id=org.id, name="Kiosk walk", position=98)
        session.add_all([place, stage])
        session.flush()
        till = Touchpoint(org_id=org.id, stage_id=stage.id, name="At the till", position=1)  # type: ignore[arg-type]
        session.add(till)
        session.flush()
        asked = journey.question_create(
            session=session,
            touchpoint=till,
            fields=QuestionFields.model_validate(
                {
                    "text": "Were you given a receipt?",
                    "kind": "yes_no",
                    "photo_required": True,
                }
            ),
            commit=False,
        )
        board.visit_rules_update(
            session=session,
            org_id=org.id,
            data=board.VisitRulesUpdate(
                lockout_days=30, daily_limit=0, window_rule="flag", no_show="board"
            ),
        )
        now = utcnow().replace(second=0, microsecond=0)
        ids = []
        for offset in (0, 7):
            shop = services.shop_plan(
                session=session,
                org_id=org.id,
                data=services.ShopPlan(
                    location_id=place.id,  # type: ignore[arg-type]
                    touchpoint_ids=[till.id],  # type: ignore[list-item]
                    scenario="Buy a coffee and keep the receipt.",
                    due_from=now - timedelta(hours=1) + timedelta(days=offset),
                    due_until=now + timedelta(hours=10) + timedelta(days=offset),
                    fee_minor=2000,
                    fee_currency="EUR",
                    post=True,
                ),
                actor_id=owner.id,  # type: ignore[arg-type]
            )
            ids.append(shop.id)
    try:
        yield Walk(job=ids[0], later_job=ids[1], question=asked.id)  # type: ignore[arg-type]
    finally:
        with db.session(write=True, writes_throughout=True) as session:
            scope_session(session, _org(session).id)  # type: ignore[arg-type]
            for rules in session.exec(select(VisitRules)).all():
                session.delete(rules)
            session.commit()
        db.dispose()


def _minor(amount: str) -> int:
    whole, _, cents = amount.partition(".")
    return int(whole) * (100 if cents else 1) + int(cents or 0)


def test_the_programme_walk_from_job_board_to_paid(
    open_tab: TabFactory, live_server: LiveServer, walk: Walk
) -> None:
    # --- the shopper: the board, a claim, a refusal by the lockout -----------------------
    phone = open_tab(PHONE, cuttable=True)
    phone.expect_status(409)  # the refused second claim, on purpose
    page = phone.page
    phone.login(EMAIL, PASSWORD)
    page.get_by_role("link", name="Open jobs", exact=True).click()
    job = page.locator(f"#job-{walk.job}")
    expect(job.get_by_role("heading", name=PLACE)).to_be_visible()
    expect(job.get_by_text(ADDRESS, exact=True)).to_be_visible()
    expect(job.locator(".job-fee")).to_have_text("EUR 20.00")
    phone.screenshot("walk-1-open-jobs-phone")
    with page.expect_navigation():
        job.get_by_role("button", name=f"Claim this job at {PLACE}").click()
    expect(page.get_by_text(board_routes.MSG_CLAIMED % {"location": PLACE})).to_be_visible()
    phone.goto("/jobs")
    later = page.locator(f"#job-{walk.later_job}")
    later.get_by_role("button", name=f"Claim this job at {PLACE}").click()
    refusal = page.locator(f"#claim-error-{walk.later_job}")
    expect(refusal).to_contain_text("no second visit to a location within 30 days")
    phone.screenshot("walk-2-lockout-refused-phone")

    # --- the shop, filled without signal --------------------------------------------------
    fill = f"{live_server.url}/shops/{walk.job}/fill"
    page.goto(f"{fill}?section=1")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.goto(f"{fill}?section=1")  # now under the service worker: saved for a dead spot
    wait_for_offline_copy(page)

    signal(page.context, False)
    block = question(page, walk.question)
    block.get_by_role("button", name="Yes").click()
    expect(state(page, walk.question)).to_have_text("Waiting to send…")
    block.locator("input[data-photo-input]").set_input_files(files=[jpeg((220, 210, 190))])  # type: ignore[list-item]
    expect(block.locator(".photo-waiting")).to_have_count(1)

    page.goto(f"{fill}?section=2")  # the check screen, from the phone's saved copy
    expenses = page.locator("#expenses")
    expect(expenses.get_by_role("heading", name="Expenses")).to_be_visible()
    expect(page.get_by_label("Currency")).to_have_value("EUR")
    page.get_by_label("Amount").fill("-3")
    page.get_by_label("What for").fill("Coffee (the required purchase)")
    page.get_by_role("button", name="Add the expense").click()
    # Bad input is said next to its field, and nothing is kept.
    expect(page.locator("#expense-amount-error")).to_have_text(
        "Give the amount as more than 0, such as 12.40."
    )
    expect(page.locator("#expense-receipt-error")).to_have_text(
        "Add a photo of the receipt: this organization asks for one with each expense."
    )
    expect(expenses.locator("[data-expense-id]")).to_have_count(0)
    page.get_by_label("Amount").fill("8.40")
    page.get_by_label("Receipt photo").set_input_files(files=[jpeg((250, 250, 240))])  # type: ignore[list-item]
    page.get_by_role("button", name="Add the expense").click()
    row = expenses.locator("[data-expense-id]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Coffee (the required purchase)")
    expect(row).to_contain_text("EUR 8.40")
    expect(row.locator(".photo-waiting")).to_have_count(1)
    expect(page.locator("#expense-amount-error")).to_be_hidden()
    expect(page.locator("#queue-status")).to_have_text(
        "1 answer, 2 photos and 1 expense are waiting to send. "
        "They are kept on this phone and go out when the signal returns."
    )
    phone.check_phone_layout()
    phone.screenshot("walk-3-expense-offline-phone")

    # A reload without signal keeps it all.
    page.reload()
    expect(expenses.locator("[data-expense-id]")).to_have_count(1)
    expect(row.locator(".photo-waiting")).to_have_count(1)
    page.get_by_role("button", name="Hand in the shop").click()
    expect(page.locator("#queue-status")).to_contain_text(
        "No connection: the shop is not handed in."
    )

    # --- signal again: everything goes, then the hand-in --------------------------------
    signal(page.context, True)
    expect(page.locator("#queue-status")).to_be_hidden(timeout=WAIT_MS)
    expect(row.locator("[data-state]")).to_have_text("Receipt saved.")
    forget_offline_noise(phone)
    with page.expect_navigation():
        page.get_by_role("button", name="Hand in the shop").click()
    expect(page.get_by_text("handed in", exact=False).first).to_be_visible()

    db = Database(live_server.database_url)
    data_dir = Path(live_server.database_url.removeprefix("sqlite:///")).parent
    with db.session() as session:
        scope_session(session, _org(session).id)  # type: ignore[arg-type]
        shop = session.get(Shop, walk.job)
        assert shop is not None and shop.status == ShopStatus.submitted
        [claim] = session.exec(select(ExpenseClaim).where(ExpenseClaim.shop_id == walk.job)).all()
        assert (claim.amount_minor, claim.currency) == (840, "EUR")
        assert claim.receipt_path and (data_dir / claim.receipt_path).is_file()
        assert len(session.exec(select(Photo)).all()) >= 1
        expense_id = claim.id

    # --- the owner, in a browser of their own: approve with the expense, pay ------------
    owner = open_tab(DESKTOP)
    owner.login(DEMO_USERS[0][0])
    op = owner.page
    op.on("dialog", lambda dialog: dialog.accept())
    owner.goto(f"/shops/{walk.job}")
    review = op.locator(f"#expense-{expense_id}")
    expect(review).to_contain_text("Coffee (the required purchase)")
    expect(review.get_by_role("link", name="Open the receipt")).to_be_visible()
    expect(
        op.get_by_label(re.compile("Approve the expenses still waiting with the shop"))
    ).to_be_checked()
    owner.screenshot("walk-4-owner-review-desktop")
    op.locator(".review-bar").get_by_role("button", name="Approve", exact=True).click()
    expect(op.get_by_text("Approved: this shop now counts in reports.")).to_be_visible()
    expect(op.locator(f"#expense-{expense_id} [data-expense-status]")).to_have_text("Approved")

    today = utcnow().date()
    owner.goto(
        f"/payments?period_from={(today - timedelta(days=1)).isoformat()}"
        f"&period_until={(today + timedelta(days=1)).isoformat()}"
    )
    owed = op.locator("#owed tr", has_text=NAME)
    expect(owed).to_contain_text("EUR 20.00")
    expect(owed).to_contain_text("EUR 8.40")
    expect(owed).to_contain_text("EUR 28.40")
    with op.expect_navigation():
        op.get_by_role("button", name="Make a payment run of these").click()
    payee = op.locator(".payee", has=op.get_by_role("heading", name=NAME))
    expect(payee.locator(".payee-total")).to_have_text("EUR 28.40")
    owner.screenshot("walk-5-payment-run-desktop")
    with op.expect_download() as download_info:
        op.get_by_role("link", name="Export CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    # Recomputed from the file's rows alone: every shopper's total per currency equals the
    # run page's; the walker's is the fee plus the expense.
    from_file: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["email"], r["currency"])
        from_file[key] = from_file.get(key, 0) + _minor(r["amount"])
    mine = [r for r in rows if r["email"] == EMAIL]
    assert sorted((r["kind"], r["amount"], r["what_for"]) for r in mine) == [
        ("expense", "8.40", "Coffee (the required purchase)"),
        ("fee", "20.00", ""),
    ]
    assert from_file[(EMAIL, "EUR")] == 2840
    for section in op.locator(".payee").all():
        email = section.locator("h2 .muted").inner_text().strip()
        total = section.locator(".payee-total").inner_text()
        shown = {c: _minor(a) for c, a in (part.split(" ") for part in total.split(" + "))}
        assert shown == {c: a for (e, c), a in from_file.items() if e == email}, email
    with op.expect_navigation():
        op.get_by_role("button", name="Mark paid").click()
    run_id = int(op.url.rstrip("/").rsplit("/", 1)[1])
    expect(op.get_by_text(pay_routes.MSG_RUN_PAID % {"id": run_id})).to_be_visible()

    # --- the shopper sees it paid --------------------------------------------------------
    phone.goto("/pay")
    expect(page.locator("#pay-paid")).to_contain_text("EUR 28.40")
    paid_expense = page.locator(f"#expense-{expense_id}")
    expect(paid_expense).to_contain_text("Paid")
    expect(paid_expense).to_contain_text(f"payment run #{run_id}")
    expect(page.locator(f"#fee-{walk.job}")).to_contain_text("Paid")
    phone.check_phone_layout()
    phone.screenshot("walk-6-paid-phone")

    with db.session() as session:
        scope_session(session, _org(session).id)  # type: ignore[arg-type]
        claim = session.get(ExpenseClaim, expense_id)
        assert claim is not None and claim.status == ExpenseStatus.approved
        assert claim.run_id == run_id
        assert session.exec(select(Shop).where(col(Shop.id) == walk.job)).one().status == (
            ShopStatus.approved
        )
    db.dispose()
