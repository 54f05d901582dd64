"""Two phones of one shopper answer the same question (issue 13), at 390×844.

Each phone is a browser context of its own (own cookies, own localStorage) logged in as the
same shopper. Whatever the order, online or with one phone offline, the answer the shopper
gave last (by the phone's clock) is kept in the database, and the phone whose older answer
gave way shows the newer one with a note: "Changed on another device at 14:02; this is the
newer answer." A phone that only adds a comment afterwards does not send its old answer back.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from audits.models import Answer
from tests.browser.conftest import PHONE, LiveServer, Tab, TabFactory, signal
from tests.browser.test_shopper import (
    QUEUED_JS,
    SHOPPER,
    arrange_shop,
    forget_offline_noise,
    question,
    server_answers,
    state,
)

pytestmark = pytest.mark.browser

CHANGED = re.compile(r"^Changed on another device at \d\d:\d\d; this is the newer answer\.$")


def stored(server: LiveServer, shop_id: int, question_id: int) -> Answer:
    rows = [a for a in server_answers(server, shop_id) if a.question_id == question_id]
    assert len(rows) == 1, rows
    return rows[0]


def note_for(page: Page, given_at: datetime) -> str:
    """The note as this phone words it: the newer answer's time by the phone's own clock."""
    text: str = page.evaluate(
        """(iso) => {
          const t = new Date(iso);
          const two = (n) => (n < 10 ? "0" : "") + n;
          return "Changed on another device at " + two(t.getHours()) + ":" +
            two(t.getMinutes()) + "; this is the newer answer.";
        }""",
        given_at.isoformat(),
    )
    return text


def queued(page: Page) -> list[object]:
    items: list[object] = page.evaluate(QUEUED_JS)
    return items


def phone(open_tab: TabFactory, path: str) -> Tab:
    tab = open_tab(PHONE, cuttable=True)
    tab.login(SHOPPER)
    tab.goto(path)
    return tab


def test_two_phones_online_the_answer_given_last_is_kept(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange_shop(live_server, "Twin Phones Parade")
    q = shop.questions
    counter = f"/shops/{shop.shop_id}/fill?section=1"
    a = phone(open_tab, counter).page
    b_tab = phone(open_tab, counter)
    b = b_tab.page
    expect(a.get_by_role("heading", name="At the counter", level=1)).to_be_visible()
    expect(b.get_by_role("heading", name="At the counter", level=1)).to_be_visible()

    # B answers "yes"; then A, whose page was open before, answers "no".
    question(b, q["yes_no"]).get_by_role("button", name="Yes").click()
    expect(state(b, q["yes_no"])).to_have_text("Saved")
    question(a, q["yes_no"]).get_by_role("button", name="No").click()
    expect(state(a, q["yes_no"])).to_have_text("Saved")
    newer = stored(live_server, shop.shop_id, q["yes_no"])
    assert newer.value is False and newer.revision == 2

    # B opens the shop again: the server's newer "no" is shown, with the note, not B's "yes".
    b_tab.goto(counter)
    yes_no_b = question(b, q["yes_no"])
    expect(yes_no_b.get_by_role("button", name="No")).to_have_attribute("aria-pressed", "true")
    expect(yes_no_b.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "false")
    expect(state(b, q["yes_no"])).to_have_text(note_for(b, newer.given_at))
    expect(state(b, q["yes_no"])).to_have_text(CHANGED)
    b_tab.check_phone_layout()
    b_tab.screenshot("shopper-fill-changed-elsewhere")

    # B adds only a comment: it goes out with A's "no", never B's old "yes".
    yes_no_b.get_by_text("Comment and photos").click()
    comment = yes_no_b.get_by_label("Comment")
    comment.fill("The greeter was on the phone.")
    comment.blur()
    expect(state(b, q["yes_no"])).to_have_text("Saved")
    kept = stored(live_server, shop.shop_id, q["yes_no"])
    assert (kept.value, kept.comment) == (False, "The greeter was on the phone.")
    assert kept.given_at > newer.given_at and kept.revision == 3

    # The other order, on another question: A answers 4, then B answers 2; A reopens.
    question(a, q["scale"]).get_by_role("button", name=re.compile("^4")).click()
    expect(state(a, q["scale"])).to_have_text("Saved")
    question(b, q["scale"]).get_by_role("button", name=re.compile("^2")).click()
    expect(state(b, q["scale"])).to_have_text("Saved")
    later = stored(live_server, shop.shop_id, q["scale"])
    assert later.value == 2
    a.goto(live_server.url + counter)
    scale_a = question(a, q["scale"])
    expect(scale_a.get_by_role("button", name=re.compile("^2"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(scale_a.get_by_role("button", name=re.compile("^4"))).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(state(a, q["scale"])).to_have_text(note_for(a, later.given_at))
    # A's own copy now is the server's: a reload shows the same, and nothing is queued.
    assert queued(a) == [] and queued(b) == []
    assert stored(live_server, shop.shop_id, q["scale"]).value == 2


def test_an_answer_queued_offline_gives_way_to_a_newer_one(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange_shop(live_server, "Dead Zone Twins")
    q = shop.questions
    on_phone = f"/shops/{shop.shop_id}/fill?section=2"
    a = phone(open_tab, on_phone).page
    b_tab = phone(open_tab, on_phone)
    b = b_tab.page
    expect(a.get_by_role("heading", name="On the phone", level=1)).to_be_visible()
    expect(b.get_by_role("heading", name="On the phone", level=1)).to_be_visible()

    # B, without signal, answers 5 rings; it waits on B.
    signal(b.context, False)
    rings_b = b.get_by_label("Your number (rings)")
    rings_b.fill("5")
    rings_b.blur()
    expect(state(b, q["number"])).to_have_text("Waiting to send…")
    # Later, A answers 2 rings with signal.
    rings_a = a.get_by_label("Your number (rings)")
    rings_a.fill("2")
    rings_a.blur()
    expect(state(a, q["number"])).to_have_text("Saved")
    newer = stored(live_server, shop.shop_id, q["number"])
    assert newer.value == 2

    # B gets the signal back: its older 5 is acknowledged but not applied; B shows A's 2.
    signal(b.context, True)
    expect(state(b, q["number"])).to_have_text(note_for(b, newer.given_at))
    expect(rings_b).to_have_value("2")
    expect(b.locator("#queue-status")).to_be_hidden()
    assert queued(b) == []
    kept = stored(live_server, shop.shop_id, q["number"])
    assert (kept.value, kept.given_at, kept.revision) == (2, newer.given_at, 1)
    # The note stays after a reload, with A's answer.
    b_tab.goto(on_phone)
    expect(b.get_by_label("Your number (rings)")).to_have_value("2")
    expect(state(b, q["number"])).to_have_text(CHANGED)
    forget_offline_noise(b_tab)

    # The other order: A answers with signal first, B answers later without signal; once B
    # is back, B's newer answer is kept and A, opening the shop again, shows it.
    question(a, q["choice"]).get_by_role("button", name="They hung up").click()
    expect(state(a, q["choice"])).to_have_text("Saved")
    signal(b.context, False)
    question(b, q["choice"]).get_by_role("button", name="A plain goodbye").click()
    expect(state(b, q["choice"])).to_have_text("Waiting to send…")
    signal(b.context, True)
    expect(state(b, q["choice"])).to_have_text("Saved")
    kept = stored(live_server, shop.shop_id, q["choice"])
    assert kept.value == 1  # "A plain goodbye"
    a.goto(live_server.url + on_phone)
    choice_a = question(a, q["choice"])
    expect(choice_a.get_by_role("button", name="A plain goodbye")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(state(a, q["choice"])).to_have_text(note_for(a, kept.given_at))
    forget_offline_noise(b_tab)


def test_a_queued_answer_older_than_the_servers_is_dropped_on_opening_the_shop(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    """B's answer waits on B (its send fails); meanwhile A answers. B opens the shop with
    signal: the page holds A's newer answer, so B's queued one is dropped, not sent."""
    shop = arrange_shop(live_server, "Stale Queue Street")
    q = shop.questions
    counter = f"/shops/{shop.shop_id}/fill?section=1"
    a = phone(open_tab, counter).page
    b_tab = phone(open_tab, counter)
    b = b_tab.page
    expect(b.get_by_role("heading", name="At the counter", level=1)).to_be_visible()
    signal(b.context, False)
    question(b, q["yes_no"]).get_by_role("button", name="Yes").click()
    expect(state(b, q["yes_no"])).to_have_text("Waiting to send…")
    question(a, q["yes_no"]).get_by_role("button", name="No").click()
    expect(state(a, q["yes_no"])).to_have_text("Saved")
    newer = stored(live_server, shop.shop_id, q["yes_no"])

    # B opens the page again with signal while its answer is still queued. B's answer sends
    # fail on the way (as on a weak signal), so only the page's comparison can empty the queue.
    b.route("**/shops/*/answers", lambda route: route.abort())
    signal(b.context, True)
    b_tab.goto(counter)
    yes_no_b = question(b, q["yes_no"])
    expect(yes_no_b.get_by_role("button", name="No")).to_have_attribute("aria-pressed", "true")
    expect(state(b, q["yes_no"])).to_have_text(note_for(b, newer.given_at))
    assert queued(b) == []
    kept = stored(live_server, shop.shop_id, q["yes_no"])
    assert (kept.value, kept.given_at, kept.revision) == (False, newer.given_at, 1)
    forget_offline_noise(b_tab)
    b.unroute("**/shops/*/answers")

    # A comment typed on B before any answer stays on B (it goes out with an answer). A
    # answers that question; B, opening the shop, shows A's answer and sends its comment
    # with it.
    scale_b = question(b, q["scale"])
    scale_b.get_by_text("Comment and photos").click()
    scale_b.get_by_label("Comment").fill("Warm once the queue had gone.")
    scale_b.get_by_label("Comment").blur()
    expect(state(b, q["scale"])).to_have_text(
        "Your comment is kept here and sent with your answer."
    )
    question(a, q["scale"]).get_by_role("button", name=re.compile("^3")).click()
    expect(state(a, q["scale"])).to_have_text("Saved")
    b_tab.goto(counter)
    scale_b = question(b, q["scale"])
    expect(scale_b.get_by_role("button", name=re.compile("^3"))).to_have_attribute(
        "aria-pressed", "true"
    )
    # "Saved" is also what the page says of a stored answer before the queue sends: wait
    # for the queue to be empty.
    # Polled inside the page: the CSP refuses Playwright's string polling (an eval).
    b.evaluate(
        "async () => { for (let i = 0; i < 600; i++) { if ("
        + QUEUED_JS
        + ".length === 0) return; await new Promise(r => setTimeout(r, 100)); }"
        " throw new Error('the queue was not sent within 60 s'); }"
    )
    expect(state(b, q["scale"])).to_have_text("Saved")
    expect(scale_b.get_by_label("Comment")).to_have_value("Warm once the queue had gone.")
    merged = stored(live_server, shop.shop_id, q["scale"])
    assert (merged.value, merged.comment, merged.revision) == (
        3,
        "Warm once the queue had gone.",
        2,
    )
