"""A photo added by mistake comes off, with or without signal (issue 13), at 390×844.

A photo the server has is taken off through the phone's outbox: without signal the removal
waits (and is counted in the status line), a reload from the saved copy of the page does not
bring the photo back, and once the signal returns the server drops the photo and its file. A
photo still waiting on the phone is simply forgotten: it never reaches the server.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, WAIT_MS, LiveServer, TabFactory, signal
from tests.browser.test_photo_offline import add_photo, server_photos, wait_for_offline_copy
from tests.browser.test_shopper import SHOPPER, arrange_shop, forget_offline_noise, question

pytestmark = pytest.mark.browser


def test_a_photo_added_by_mistake_comes_off_even_without_signal(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange_shop(live_server, "Wrong Shot Row")
    yes_no = shop.questions["yes_no"]
    tab = open_tab(PHONE, cuttable=True)
    page = tab.page
    tab.login(SHOPPER)
    fill = f"{live_server.url}/shops/{shop.shop_id}/fill?section=1"
    page.goto(fill)
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.goto(fill)
    block = question(page, yes_no)
    block.get_by_role("button", name="Yes").click()
    for count, colour in enumerate([(200, 40, 40), (40, 200, 40)], start=1):
        add_photo(page, yes_no, colour)
        # Shown at once (from the phone's copy), then sent: wait for both, one at a time.
        expect(block.locator(".photo-list li")).to_have_count(count)
        expect(block.locator(".photo-waiting")).to_have_count(0)
        expect(block.locator("[data-photo-state]")).to_have_text("Photo saved.")
    expect(page.locator("#queue-status")).to_be_hidden(timeout=WAIT_MS)
    stored = server_photos(live_server, shop.shop_id)
    assert len(stored) == 2
    shown = block.locator(".photo-list li").evaluate_all(
        "items => items.map(li => li.dataset.photoId)"
    )
    assert sorted(shown) == sorted(p for p, _, _ in stored)
    wrong, right = shown
    wrong_file = next(path for p, _, path in stored if p == wrong)
    wait_for_offline_copy(page)

    # No signal. The saved copy of this screen dates from before the photos, and still shows
    # both: the phone remembers what it sent.
    signal(page.context, False)
    page.reload()
    block = question(page, yes_no)
    expect(block.locator(".photo-list li")).to_have_count(2)
    assert block.locator(".photo-list li").evaluate_all(
        "items => items.map(li => li.dataset.photoId)"
    ) == [wrong, right]
    # The wrong photo comes off the page at once; its removal waits on the phone.
    block.get_by_role("button", name="Remove photo 1").click()
    expect(block.locator(".photo-list li")).to_have_count(1)
    expect(block.locator("[data-photo-state]")).to_have_text("Photo removed.")
    expect(page.locator("#queue-status")).to_have_text(
        "1 photo removal is waiting to send. "
        "It is kept on this phone and goes out when the signal returns."
    )
    # A third photo taken offline, then thought better of: it never leaves the phone.
    add_photo(page, yes_no, (40, 40, 200))
    waiting = block.locator(".photo-waiting")
    expect(waiting).to_have_count(1)
    expect(page.locator("#queue-status")).to_contain_text("1 photo and 1 photo removal are")
    waiting.get_by_role("button", name=re.compile(r"^Remove photo")).click()
    expect(block.locator(".photo-list li")).to_have_count(1)
    expect(page.locator("#queue-status")).to_have_text(
        "1 photo removal is waiting to send. "
        "It is kept on this phone and goes out when the signal returns."
    )
    tab.check_phone_layout()
    tab.screenshot("shopper-photo-removed-offline")

    # Reopened without signal, from the saved copy that still lists the photo: it stays off.
    page.reload()
    block = question(page, yes_no)
    expect(block.locator(".photo-list li")).to_have_count(1)
    assert block.locator(".photo-list li").get_attribute("data-photo-id") == right
    assert len(server_photos(live_server, shop.shop_id)) == 2  # nothing reached the server
    assert wrong_file.is_file()

    # Signal again: the removal goes out, the server drops the photo and its file.
    signal(page.context, True)
    expect(page.locator("#queue-status")).to_be_hidden(timeout=WAIT_MS)
    forget_offline_noise(tab)
    assert [p for p, _, _ in server_photos(live_server, shop.shop_id)] == [right]
    assert not wrong_file.exists()
    page.goto(fill)
    block = question(page, yes_no)
    expect(block.locator(".photo-list li")).to_have_count(1)
    assert block.locator(".photo-list li").get_attribute("data-photo-id") == right
    expect(block.locator(".photo-add")).to_be_visible()
