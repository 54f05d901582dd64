"""Photos taken in a dead spot wait on the phone (IndexedDB) and reach the server exactly once.

At 390×844: the shopper adds photos without signal (one to an answer that is itself still
queued), sees them marked as waiting, reloads without signal, cannot hand in while they are
still on the phone, and once the signal is back every photo arrives once, even when the
server's first reply is lost on the way.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, Route, expect
from sqlmodel import col, select

from app.db import Database
from audits.models import Answer, Photo
from tests.browser.conftest import PHONE, WAIT_MS, LiveServer, TabFactory, signal
from tests.browser.test_shopper import (
    SHOPPER,
    arrange_shop,
    forget_offline_noise,
    question,
    state,
    submissions,
)

pytestmark = pytest.mark.browser

PHOTO_POSTS = re.compile(r"/shops/\d+/answers/[0-9a-f-]+/photos$")


def jpeg(colour: tuple[int, int, int]) -> dict[str, object]:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(out, "JPEG")
    return {"name": "shot.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def server_photos(server: LiveServer, shop_id: int) -> list[tuple[str, int, Path]]:
    """(photo id, question id, stored file) for every photo of the shop on the server."""
    db = Database(server.database_url)
    data_dir = Path(server.database_url.removeprefix("sqlite:///")).parent
    with db.session() as session:
        rows = session.exec(
            select(Photo, Answer.question_id)
            .join(Answer, col(Answer.id) == col(Photo.answer_id))
            .where(Answer.shop_id == shop_id)
        ).all()
        found = [(str(p.id), qid, data_dir / p.path) for p, qid in rows]
    db.dispose()
    return found


def wait_for_offline_copy(page: Page) -> None:
    """The service worker controls the page and every screen of the shop is saved on the phone.

    Awaited inside the page: Playwright's polling wait_for_function evaluates a string, which
    the CSP refuses once the first check comes back false.
    """
    page.evaluate(
        """async () => {
          if (!navigator.serviceWorker.controller) throw new Error("no service worker in control");
          const urls = JSON.parse(document.getElementById("fill").dataset.precache);
          const cache = await caches.open("touchstone-pages-v1");
          // Polls until every page is in the cache; 60 s is only an upper bound for a busy
          // machine (the service worker fetches the pages from the test server).
          for (let tries = 0; tries < 600; tries++) {
            const hits = await Promise.all(urls.map(url => cache.match(url)));
            if (hits.every(Boolean)) return;
            await new Promise(resolve => setTimeout(resolve, 100));
          }
          throw new Error("the shop's pages were not saved on the phone within 60 s");
        }"""
    )


def add_photo(page: Page, qid: int, colour: tuple[int, int, int]) -> None:
    block = question(page, qid)
    if block.locator("details.q-more").get_attribute("open") is None:
        block.get_by_text("Comment and photos").click()
    block.locator("input[type=file]").set_input_files(files=[jpeg(colour)])  # type: ignore[list-item]


def test_photos_wait_on_the_phone_without_signal_and_arrive_once(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange_shop(live_server, "Basement Mall")
    yes_no, scale = shop.questions["yes_no"], shop.questions["scale"]
    tab = open_tab(PHONE, cuttable=True)
    page = tab.page
    tab.login(SHOPPER)
    fill = f"{live_server.url}/shops/{shop.shop_id}/fill"
    page.goto(f"{fill}?section=1")
    # The worker installs on this first visit; the next page load is the one it controls.
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.goto(f"{fill}?section=1")
    question(page, yes_no).get_by_role("button", name="Yes").click()
    expect(state(page, yes_no)).to_have_text("Saved")
    wait_for_offline_copy(page)

    # No signal: an answer and four photos are kept on the phone.
    signal(page.context, False)
    question(page, scale).get_by_role("button", name=re.compile("^4")).click()
    expect(state(page, scale)).to_have_text("Waiting to send…")
    add_photo(page, scale, (200, 40, 40))  # its answer is still queued too
    waiting = question(page, scale).locator(".photo-list li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Waiting to send")
    expect(question(page, scale).locator("[data-photo-state]")).to_have_text(
        "Photo waiting to send: it is kept on this phone."
    )
    image = waiting.locator("img")
    expect(image).to_have_attribute("alt", "Photo 1 for this question, waiting to send")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    for colour in [(40, 200, 40), (40, 40, 200), (200, 200, 40)]:
        count = question(page, yes_no).locator(".photo-list li").count()
        add_photo(page, yes_no, colour)
        expect(question(page, yes_no).locator(".photo-list li")).to_have_count(count + 1)
    # The limit of three counts the photos still on the phone.
    expect(question(page, yes_no).locator(".photo-add")).to_be_hidden()
    expect(question(page, scale).locator(".photo-add")).to_be_visible()
    expect(page.locator("#queue-status")).to_have_text(
        "1 answer and 4 photos are waiting to send. "
        "They are kept on this phone and go out when the signal returns."
    )
    tab.check_phone_layout()
    tab.screenshot("shopper-photo-offline")

    # A reload without signal shows them again, from the phone.
    page.reload()
    expect(page.get_by_role("heading", name="At the counter", level=1)).to_be_visible()
    expect(question(page, yes_no).locator(".photo-waiting")).to_have_count(3)
    expect(question(page, scale).locator(".photo-waiting")).to_have_count(1)
    expect(page.locator("#queue-status")).to_contain_text("1 answer and 4 photos are waiting")
    tab.screenshot("shopper-photo-offline-reloaded")
    assert server_photos(live_server, shop.shop_id) == []

    # Signal again, but photo uploads still fail: the answers go, hand-in waits for the photos.
    def no_signal(route: Route) -> None:
        route.abort("internetdisconnected")

    page.route(PHOTO_POSTS, no_signal)
    signal(page.context, True)
    expect(page.locator("#queue-status")).to_have_text(
        "4 photos are waiting to send. "
        "They are kept on this phone and go out when the signal returns."
    )
    expect(question(page, scale).locator("[data-photo-state]")).to_have_text(
        "No connection: the photo is kept on this phone and goes out when the signal returns."
    )
    page.goto(f"{fill}?section=2")
    page.get_by_label("Your number (rings)").fill("2")
    question(page, shop.questions["choice"]).get_by_role("button", name="A plain goodbye").click()
    expect(state(page, shop.questions["choice"])).to_have_text("Saved")
    page.goto(f"{fill}?section=3")
    page.get_by_role("button", name="Hand in the shop").click()
    expect(page.locator("#queue-status")).to_have_text(
        "No connection: the shop is not handed in. 4 photos are still on this phone and go out "
        "by themselves when the signal returns. The hand-in does not: press “Hand in the shop” "
        "again then."
    )
    tab.screenshot("shopper-photo-hand-in-held")
    assert submissions(live_server, shop.shop_id) == 0
    assert server_photos(live_server, shop.shop_id) == []

    # The photos go out; the server's reply to the first one is lost, so the phone sends it
    # again under the same id: still one photo.
    lost: list[str] = []

    def lose_first_reply(route: Route) -> None:
        route.fetch()  # the server stores the photo...
        if not lost:
            lost.append(route.request.url)
            route.abort("connectionreset")  # ...but the phone never hears back
        else:
            route.continue_()

    page.goto(f"{fill}?section=1")
    expect(question(page, scale).locator("[data-photo-state]")).to_have_text(
        "No connection: the photo is kept on this phone and goes out when the signal returns."
    )
    # Put in place before the old one goes, so no send slips through in between; the
    # phone's own retry (a few seconds later) does the rest.
    page.route(PHOTO_POSTS, lose_first_reply)
    page.unroute(PHOTO_POSTS, no_signal)
    expect(page.locator("#queue-status")).to_be_hidden(timeout=WAIT_MS)
    assert lost, "the first photo's reply was not intercepted"
    tab.problems[:] = [p for p in tab.problems if "ERR_CONNECTION_RESET" not in p]
    for qid, count in [(yes_no, 3), (scale, 1)]:
        block = question(page, qid)
        expect(block.locator(".photo-list li")).to_have_count(count)
        expect(block.locator(".photo-waiting")).to_have_count(0)
    for qid in (yes_no, scale):
        expect(question(page, qid).locator("[data-photo-state]")).to_have_text("Photo saved.")
    for img in page.locator(".photo-list img").all():
        expect(img).to_have_attribute("src", re.compile(rf"^/shops/{shop.shop_id}/photos/"))
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=img.element_handle()
        )
    tab.check_phone_layout()
    tab.screenshot("shopper-photo-sent")

    stored = server_photos(live_server, shop.shop_id)
    shown = page.locator(".photo-list li").evaluate_all(
        "items => items.map(li => li.dataset.photoId)"
    )
    assert sorted(photo_id for photo_id, _, _ in stored) == sorted(shown)
    assert sorted(qid for _, qid, _ in stored) == sorted([yes_no] * 3 + [scale])
    for photo_id, _, path in stored:
        assert path.is_file()
        assert [p.name for p in path.parent.glob(f"*{photo_id}*")] == [path.name]

    # Nothing left on the phone: the shop is handed in.
    page.goto(f"{fill}?section=3")
    page.get_by_role("button", name="Hand in the shop").click()
    expect(page.get_by_role("heading", name="Handed in — thank you")).to_be_visible()
    assert submissions(live_server, shop.shop_id) == 1
    forget_offline_noise(tab)
