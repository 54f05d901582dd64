"""The small things a shopper meets on the phone (issue 13): scale labels that never break
inside a word, from 320 px up, and a check screen that reads the visit back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import ViewportSize, expect
from sqlmodel import select

from app.db import Database
from app.modelbase import utcnow
from app.orgs.models import Location, Organization, User
from app.tenancy import scope_session
from audits.models import Shop, ShopTouchpoint
from tests.browser.conftest import MIN_TAP, LiveServer, Tab, TabFactory
from tests.browser.test_shopper import SHOPPER
from touchpoints import services as journey
from touchpoints.models import QuestionFields, Stage, Touchpoint

pytestmark = pytest.mark.browser

# The library's longest scale labels (touchpoints/library_files/five-moments.json), which broke as
# "Accepta ble" and "understa nd" at 390 px.
ENTRANCE = [
    "Dirty or in visible disrepair",
    "Untidy in several places",
    "Acceptable, with a few things out of place",
    "Clean and orderly",
    "Spotless and inviting",
]
REPLY = [
    "Curt or hard to understand",
    "Stiff and full of jargon",
    "Clear but impersonal",
    "Understandable and friendly",
    "Warm, clear and a pleasure to read",
]
SHORT = ["Cold", "Cool", "Polite", "Warm", "Glowing"]
SMALL_PHONE: ViewportSize = {"width": 320, "height": 700}
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}

# Every word of every scale label, with the lines it is laid out on: a word on two lines
# was broken inside. Also whether the word stays inside its button.
_LABEL_WORDS = """
() => {
  const words = [];
  for (const label of document.querySelectorAll(".scale-label")) {
    const button = label.closest("button").getBoundingClientRect();
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        words.push({
          word: m[0],
          label: label.textContent,
          lines: new Set(rects.map((r) => Math.round(r.top))).size,
          inside: rects.every((r) => r.left >= button.left - 0.5 && r.right <= button.right + 0.5),
        });
      }
    }
  }
  return words;
}
"""

# Each answer button of a scale: its size, and whether a tap at its middle lands on it.
_SCALE_BUTTONS = """
() => [...document.querySelectorAll(".choices-scale .ans-btn")].map((b) => {
  b.scrollIntoView({block: "center"});
  const r = b.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {name: b.textContent.trim(), width: r.width, height: r.height,
          hit: !!hit && b.contains(hit)};
})
"""

# The innermost elements reaching past the right edge, to name in a failure.
_WIDE = """
(width) => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > width + 0.5)
  .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right > width + 0.5))
  .slice(0, 5)
  .map((el) => `<${el.tagName.toLowerCase()} class="${el.className}"> ${
    Math.round(el.getBoundingClientRect().right)}px`)
"""


@dataclass(frozen=True)
class ScaleShop:
    shop_id: int
    entrance: int
    reply: int
    plain: int


def arrange_scale_shop(server: LiveServer, location_name: str) -> ScaleShop:
    """A shop for the demo shopper with one section of scale questions, two of them with the
    library's long labels and one with one-word labels."""
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
        shopper = session.exec(select(User).where(User.email == SHOPPER)).one()
        assert org.id is not None and shopper.id is not None
        scope_session(session, org.id)
        stage = Stage(org_id=org.id, name=f"Scales {location_name}", position=98)
        session.add(stage)
        session.flush()
        arrival = Touchpoint(
            org_id=org.id, stage_id=stage.id, name="Arrival and reply", position=1, target=80
        )  # type: ignore[arg-type]
        location = Location(org_id=org.id, name=location_name)
        session.add_all([arrival, location])
        session.flush()  # one transaction: see arrange_shop in test_shopper.py

        def ask(**fields: object) -> int:
            question = journey.question_create(
                session=session,
                touchpoint=arrival,
                fields=QuestionFields.model_validate(fields),
                commit=False,
            )
            assert question.id is not None
            return question.id

        entrance = ask(
            text="How did the entrance and waiting area look as you came in?",
            kind="scale",
            scale_labels=ENTRANCE,
        )
        reply = ask(
            text="How friendly and easy to read was the reply?", kind="scale", scale_labels=REPLY
        )
        plain = ask(text="How warm was the welcome?", kind="scale", scale_labels=SHORT)
        shop = Shop(
            org_id=org.id,
            location_id=location.id,  # type: ignore[arg-type]
            shopper_id=shopper.id,
            scenario="Look around before you ask anything.",
            due_until=utcnow() + timedelta(days=2),
        )
        session.add(shop)
        session.flush()
        session.add(
            ShopTouchpoint(org_id=org.id, shop_id=shop.id, touchpoint_id=arrival.id, position=1)  # type: ignore[arg-type]
        )
        session.commit()
        arranged = ScaleShop(shop.id, entrance, reply, plain)  # type: ignore[arg-type]
    db.dispose()
    return arranged


def no_sideways_scroll(tab: Tab, width: int) -> None:
    tab.loaded()
    scroll = tab.page.evaluate("document.documentElement.scrollWidth")
    wide = tab.page.evaluate(_WIDE, width)
    assert scroll <= width, f"{tab.page.url} scrolls sideways at {width}px ({scroll}px): {wide}"


@pytest.mark.parametrize("viewport", [SMALL_PHONE, PHONE, DESKTOP], ids=["320", "390", "1280"])
def test_scale_labels_keep_words_whole_and_options_tappable(
    open_tab: TabFactory, live_server: LiveServer, viewport: ViewportSize
) -> None:
    width = viewport["width"]
    shop = arrange_scale_shop(live_server, f"Long Label Lane {width}")
    tab = open_tab(viewport)
    page = tab.page
    tab.login(SHOPPER)
    page.goto(f"{live_server.url}/shops/{shop.shop_id}/fill?section=1")
    expect(page.get_by_role("heading", name="Arrival and reply", level=1)).to_be_visible()
    tab.loaded()
    page.wait_for_function("document.fonts.status === 'loaded'")

    words = page.evaluate(_LABEL_WORDS)
    assert len(words) == sum(len(label.split()) for label in ENTRANCE + REPLY + SHORT)
    broken = [f"{w['word']!r} in {w['label']!r}" for w in words if w["lines"] != 1]
    assert not broken, f"scale label words broken across lines at {width}px: {broken}"
    outside = [f"{w['word']!r} in {w['label']!r}" for w in words if not w["inside"]]
    assert not outside, f"scale label words sticking out of their button at {width}px: {outside}"

    buttons = page.evaluate(_SCALE_BUTTONS)
    assert len(buttons) == 15
    small = [b for b in buttons if b["width"] < MIN_TAP or b["height"] < MIN_TAP]
    assert not small, f"scale options under {MIN_TAP}x{MIN_TAP}px at {width}px: {small}"
    covered = [b["name"] for b in buttons if not b["hit"]]
    assert not covered, f"scale options a tap at their middle misses at {width}px: {covered}"
    no_sideways_scroll(tab, width)
    assert not tab.small_tap_targets()
    page.evaluate("window.scrollTo(0, 0)")
    tab.screenshot(f"q13c-scale-{width}")

    # A tap on the long middle label chooses it, and it is kept.
    entrance = page.locator(f"#q-{shop.entrance}")
    option = entrance.get_by_role("button", name=re.compile(r"^3 Acceptable"))
    option.click()
    expect(option).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#q-{shop.entrance}-state")).to_have_text("Saved")
    plain = page.locator(f"#q-{shop.plain}")
    plain.get_by_role("button", name="5 Glowing").click()
    expect(page.locator(f"#q-{shop.plain}-state")).to_have_text("Saved")
    page.evaluate("window.scrollTo(0, 0)")
    tab.screenshot(f"q13c-scale-{width}-chosen")


@pytest.mark.parametrize("viewport", [SMALL_PHONE, PHONE, DESKTOP], ids=["320", "390", "1280"])
def test_check_screen_recaps_the_visit_on_a_phone(
    open_tab: TabFactory, live_server: LiveServer, viewport: ViewportSize
) -> None:
    width = viewport["width"]
    shop = arrange_scale_shop(live_server, f"Recap Row {width}")
    tab = open_tab(viewport)
    page = tab.page
    tab.login(SHOPPER)
    check = f"{live_server.url}/shops/{shop.shop_id}/fill?section=2"
    page.goto(check)
    expect(page.get_by_role("heading", name="Check and hand in", level=1)).to_be_visible()
    recap = page.locator(".recap")
    expect(recap).to_contain_text("No visit date given.")
    expect(recap).to_contain_text("No visit time given.")
    expect(recap).to_contain_text("No visit length given.")
    expect(recap).to_contain_text("No overall remarks given.")
    no_sideways_scroll(tab, width)
    assert not tab.small_tap_targets()
    tab.screenshot(f"q13c-check-missing-{width}")

    # "Add the length" leads to the field where it is given.
    recap.get_by_role("link", name="Add the length").click()
    expect(page.get_by_role("heading", name="Your visit", level=1)).to_be_visible()
    page.get_by_label("Date and time of the visit").fill("2026-01-05T10:30")
    page.get_by_label("How long it took, in minutes").fill("20")
    page.get_by_label("How long it took, in minutes").blur()
    expect(page.locator("#visit-state")).to_have_text("Saved")

    page.goto(check)
    expect(recap).to_contain_text("Monday 5 January 2026")
    expect(recap).to_contain_text("10:30")
    expect(recap).to_contain_text("20 minutes")
    expect(recap).not_to_contain_text("No visit")
    # The remark is written on this screen; the read-back follows the typing.
    page.get_by_label("Overall remarks").fill("A tidy shop, a slow reply.")
    expect(recap.locator("[data-echo-value]")).to_have_text("A tidy shop, a slow reply.")
    expect(recap.get_by_text("No overall remarks given.")).to_be_hidden()
    no_sideways_scroll(tab, width)
    assert not tab.small_tap_targets()
    page.evaluate("window.scrollTo(0, 0)")
    tab.screenshot(f"q13c-check-{width}")
