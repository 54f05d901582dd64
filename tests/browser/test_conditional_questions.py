"""Conditional questions and evidence rules on the phone (issue 15, deliverables 1 and 2).

At 390×844, without signal: a chain of follow-ups appears and disappears as the answers
change; hand-in refuses a required follow-up left open and a missing photo, each with its
message next to the question; a photo still queued on the phone counts; the stored score is
the scoring rules applied to what was shown. The shared vectors run in the page's own
JavaScript (as served to the phone).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app.db import Database
from app.demo import DEMO_USERS
from app.modelbase import utcnow
from app.orgs.models import Location, Organization, User
from app.tenancy import scope_session
from audits.models import Answer, Shop, ShopTouchpoint
from tests.browser.conftest import DESKTOP, PHONE, WAIT_MS, LiveServer, TabFactory, signal
from tests.browser.test_photo_offline import add_photo, server_photos
from tests.browser.test_shopper import (
    SHOPPER,
    forget_offline_noise,
    question,
    state,
    submissions,
    wait_for_offline_copy,
)
from touchpoints import services as journey
from touchpoints.models import Question, QuestionFields, Stage, Touchpoint

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]
VECTORS = Path(__file__).parents[1] / "touchpoints" / "condition_vectors.json"


@dataclass(frozen=True)
class Drinks:
    shop_id: int
    drink: int
    which: int
    taste: int
    receipt: int


def arrange(server: LiveServer, place: str) -> Drinks:
    """A shop covering one touchpoint: offered a drink? → which drinks? → (coffee) how did it
    taste?, and a receipt question that needs a photo."""
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
        shopper = session.exec(select(User).where(User.email == SHOPPER)).one()
        assert org.id is not None and shopper.id is not None
        scope_session(session, org.id)
        stage = Stage(org_id=org.id, name="Conditional walk", position=98)
        session.add(stage)
        session.flush()
        bar = Touchpoint(org_id=org.id, stage_id=stage.id, name="At the bar", target=80)  # type: ignore[arg-type]
        location = Location(org_id=org.id, name=place)
        session.add_all([bar, location])
        session.flush()

        def ask(**fields: object):  # type: ignore[no-untyped-def]
            return journey.question_create(
                session=session,
                touchpoint=bar,
                fields=QuestionFields.model_validate(fields),
                commit=False,
            )

        drink = ask(text="Were you offered a drink?", kind="yes_no", weight=1)
        which = ask(
            text="Which drinks?",
            kind="choice",
            weight=4,
            options=[
                {"label": "Water", "points": 1},
                {"label": "Coffee", "points": 2},
                {"label": "Juice", "points": 1},
            ],
            show_if={"question": drink.lineage, "is": "yes"},
        )
        taste = ask(
            text="How did the coffee taste?",
            kind="scale",
            weight=4,
            scale_labels=["Awful", "Poor", "Fine", "Good", "Superb"],
            show_if={"question": which.lineage, "in": [1]},
            comment_on_fail=True,
        )
        receipt = ask(
            text="Were you given a receipt?", kind="yes_no", weight=1, photo_required=True
        )
        shop = Shop(
            org_id=org.id,
            location_id=location.id,  # type: ignore[arg-type]
            shopper_id=shopper.id,
            scenario="Order at the bar and ask for a receipt.",
            due_until=utcnow() + timedelta(days=2),
        )
        session.add(shop)
        session.flush()
        session.add(
            ShopTouchpoint(org_id=org.id, shop_id=shop.id, touchpoint_id=bar.id, position=1)  # type: ignore[arg-type]
        )
        session.commit()
        arranged = Drinks(shop.id, drink.id, which.id, taste.id, receipt.id)  # type: ignore[arg-type]
    db.dispose()
    return arranged


def stored(server: LiveServer, shop_id: int) -> tuple[Shop, dict[int, Answer]]:
    db = Database(server.database_url)
    with db.session() as session:
        shop = session.exec(select(Shop).where(Shop.id == shop_id)).one()
        answers = {
            a.question_id: a for a in session.exec(select(Answer).where(Answer.shop_id == shop_id))
        }
    db.dispose()
    return shop, answers


def run_vectors_in_page(page: Page) -> list[list[str]]:
    data = json.loads(VECTORS.read_text())
    return page.evaluate(
        """(data) => {
          const out = [];
          for (const checklist of data.checklists) {
            for (const kase of checklist.cases) {
              const shown = window.TouchstoneConditions.visible(checklist.questions, kase.answers);
              out.push(checklist.questions.filter(q => shown[q.lineage]).map(q => q.lineage));
            }
          }
          return out;
        }""",
        data,
    )


def test_follow_ups_come_and_go_offline_and_hand_in_waits_for_them(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange(live_server, "Follow-up Street")
    tab = open_tab(PHONE, cuttable=True)
    page = tab.page
    tab.login(SHOPPER)
    fill = f"{live_server.url}/shops/{shop.shop_id}/fill"
    page.goto(f"{fill}?section=1")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.goto(f"{fill}?section=1")
    expect(page.get_by_role("heading", name="At the bar", level=1)).to_be_visible()

    # The page's own rule language gives what the shared vectors say (and Python does).
    expected = [
        case["shown"]
        for checklist in json.loads(VECTORS.read_text())["checklists"]
        for case in checklist["cases"]
    ]
    assert run_vectors_in_page(page) == expected

    drink, which, taste, receipt = (
        question(page, q) for q in (shop.drink, shop.which, shop.taste, shop.receipt)
    )
    expect(which).to_be_hidden()
    expect(taste).to_be_hidden()
    expect(page.locator("#progress-label")).to_have_text("0 of 2 answered")
    expect(receipt).to_contain_text("A photo is needed before hand-in.")
    wait_for_offline_copy(page)

    # Without signal, the chain follows every answer at once.
    signal(page.context, False)
    drink.get_by_role("button", name="Yes").click()
    expect(which).to_be_visible()
    expect(taste).to_be_hidden()
    expect(page.locator("#progress-label")).to_have_text("1 of 3 answered")
    which.get_by_role("button", name="Coffee").click()
    expect(taste).to_be_visible()
    which.get_by_role("button", name="Water").click()
    expect(taste).to_be_hidden()
    which.get_by_role("button", name="Coffee").click()
    expect(taste).to_be_visible()
    drink.get_by_role("button", name="No").click()
    expect(which).to_be_hidden()
    expect(taste).to_be_hidden()
    drink.get_by_role("button", name="Yes").click()  # the answers below were kept
    expect(which).to_be_visible()
    expect(which.get_by_role("button", name="Coffee")).to_have_attribute("aria-pressed", "true")
    expect(taste).to_be_visible()
    receipt.get_by_role("button", name="Yes").click()
    expect(page.locator("#progress-label")).to_have_text("3 of 4 answered")
    tab.check_phone_layout()
    tab.screenshot("shopper-conditional-offline")

    # A reload without signal judges again from what the phone holds.
    page.reload()
    expect(page.get_by_role("heading", name="At the bar", level=1)).to_be_visible()
    expect(taste).to_be_visible()
    expect(state(page, shop.which)).to_have_text("Waiting to send…")

    # Signal back: the answers go out; hand-in refuses the open follow-up, next to it.
    signal(page.context, True)
    expect(page.locator("#queue-status")).to_be_hidden(timeout=WAIT_MS)
    forget_offline_noise(tab)
    page.goto(f"{fill}?section=2")
    expect(page.locator("#missing")).to_contain_text("How did the coffee taste?")
    expect(page.locator("#missing-evidence")).to_contain_text("Were you given a receipt?")
    tab.screenshot("shopper-conditional-check")
    page.get_by_role("button", name="Hand in the shop").click()
    expect(page.locator(f"#q-{shop.taste}-missing")).to_have_text(
        "This question needs an answer (or N/A where that is allowed)."
    )
    assert submissions(live_server, shop.shop_id) == 0
    taste.get_by_role("button", name=re.compile("^2")).click()
    expect(state(page, shop.taste)).to_have_text("Saved")
    # A 2 fails: the question asks for a comment then, and says so at once.
    fail_note = taste.locator("[data-fail-note]")
    expect(fail_note).to_have_text(
        "This answer fails: say what you saw in the comment before you hand in."
    )
    taste.get_by_label("Comment").fill("Bitter, and barely warm.")
    taste.get_by_label("Comment").blur()
    expect(fail_note).to_be_hidden()
    expect(state(page, shop.taste)).to_have_text("Saved")

    # Then the receipt's photo.
    page.goto(f"{fill}?section=2")
    page.get_by_role("button", name="Hand in the shop").click()
    expect(page.locator(f"#q-{shop.receipt}-missing")).to_have_text(
        "This question needs a photo: add one below."
    )
    tab.check_phone_layout()
    tab.screenshot("shopper-evidence-refused")
    assert submissions(live_server, shop.shop_id) == 0

    # Without signal: the photo waits on the phone, and the drink becomes a no, so both
    # follow-ups (answered) are hidden again.
    signal(page.context, False)
    add_photo(page, shop.receipt, (180, 120, 60))
    expect(receipt.locator(".photo-waiting")).to_have_count(1)
    drink.get_by_role("button", name="No").click()
    expect(which).to_be_hidden()
    expect(taste).to_be_hidden()
    expect(page.locator("#progress-label")).to_have_text("2 of 2 answered")
    assert server_photos(live_server, shop.shop_id) == []

    # Signal back: hand in. The queued photo goes first and counts.
    signal(page.context, True)
    expect(page.locator("#queue-status")).to_be_hidden(timeout=WAIT_MS)
    forget_offline_noise(tab)
    page.goto(f"{fill}?section=2")
    page.get_by_role("button", name="Hand in the shop").click()
    expect(page.get_by_role("heading", name="Handed in — thank you")).to_be_visible()
    assert submissions(live_server, shop.shop_id) == 1
    assert len(server_photos(live_server, shop.shop_id)) == 1

    # The hidden follow-ups' answers are kept, not counted: shown were the drink (no: 0 of 1)
    # and the receipt (yes: 1 of 1), so 1 of 2 points; counted, coffee and a 2 would add
    # 4 + 1 of 8 more.
    saved, answers = stored(live_server, shop.shop_id)
    assert answers[shop.which].value == 1 and answers[shop.taste].value == 2
    assert answers[shop.drink].value is False and answers[shop.receipt].value is True
    assert saved.score == pytest.approx(50.0)
    assert saved.score_detail is not None
    assert saved.score_detail["earned"] == 1 and saved.score_detail["possible"] == 2
    forget_offline_noise(tab)


def test_owner_sets_a_follow_up_inline_and_the_preview_follows_it(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange(live_server, "Preview Lane")
    db = Database(live_server.database_url)
    with db.session() as session:
        drink_q = session.exec(select(Question).where(Question.id == shop.drink)).one()
        tp_id = drink_q.touchpoint_id
    db.dispose()
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        tab = open_tab(viewport)
        page = tab.page
        tab.login(OWNER)
        tab.goto(f"/touchpoints/{tp_id}")
        preview = page.locator("[data-pv-frame]")
        which = preview.locator('.pv-question[data-kind="choice"]')
        taste = preview.locator('.pv-question[data-kind="scale"]')
        expect(which).to_contain_text("Only when «Were you offered a drink?» is yes")
        expect(which).to_have_attribute("data-hidden", "true")
        drink = preview.locator(".pv-question").first
        drink.get_by_role("button", name="Yes").click()
        expect(which).to_have_attribute("data-hidden", "false")
        which.get_by_role("button", name="Coffee").click()
        expect(taste).to_have_attribute("data-hidden", "false")
        drink.get_by_role("button", name="No").click()
        expect(which).to_have_attribute("data-hidden", "true")
        expect(taste).to_have_attribute("data-hidden", "true")
        if name == "phone":
            tab.check_phone_layout()
        tab.screenshot(f"owner-conditional-preview-{name}")

    # A new follow-up, set inline; a bad option first, refused next to its row.
    form = page.locator("#new-question form")
    form.get_by_label("Question", exact=True).fill("Was the water cold?")
    form.get_by_label("Ask this question").select_option("all")
    form.get_by_label("Condition 1: Earlier question").select_option(label="2. Which drinks?")
    form.get_by_label("Condition 1: Answer").select_option("in")
    form.get_by_label("Condition 1: Range or options").fill("Water, Lemonade")
    tab.expect_status(400)
    form.get_by_role("button", name="Add question").click()
    expect(page.locator("#n-cond_0-error")).to_have_text(
        "«Lemonade» is not an option of «Which drinks?»: choose from Water, Coffee, Juice."
    )
    tab.screenshot("owner-conditional-refused-phone")
    page.locator("#n-cv-0").fill("Water")
    page.locator("#new-question form").get_by_role("button", name="Add question").click()
    expect(page.get_by_text("Question added.")).to_be_visible()
    expect(page.locator(".questions")).to_contain_text("Asked only when «Which drinks?» is Water")
    tab.check_phone_layout()
