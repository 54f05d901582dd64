"""The file fallback (issue 13) at 390×844: a shopper without signal saves the waiting
answers to a file ("Save a copy to this phone"), and an owner imports that file on the shop's
page. The answers are then in the database once, with the phone's values and ids; importing
the same file again changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_USERS
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, TabFactory, signal
from tests.browser.test_shopper import (
    SHOPPER,
    arrange_shop,
    forget_offline_noise,
    question,
    server_answers,
    state,
)

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]


def test_a_phone_copy_is_imported_by_the_owner_once(
    open_tab: TabFactory, live_server: LiveServer, tmp_path: Path
) -> None:
    shop = arrange_shop(live_server, "No Signal Quay")
    q = shop.questions
    phone = open_tab(PHONE, cuttable=True)
    page = phone.page
    phone.login(SHOPPER)
    phone.goto(f"/shops/{shop.shop_id}/fill?section=1")
    copy_button = page.get_by_role("button", name="Save a copy to this phone")
    expect(copy_button).to_be_hidden()  # nothing waits yet

    # The signal is gone for good: two answers wait on the phone.
    signal(page.context, False)
    question(page, q["yes_no"]).get_by_role("button", name="Yes").click()
    question(page, q["scale"]).get_by_role("button", name="Warm").click()
    expect(state(page, q["yes_no"])).to_have_text("Waiting to send…")
    expect(state(page, q["scale"])).to_have_text("Waiting to send…")
    expect(page.locator("#queue-status")).to_contain_text("2 answers are waiting to send")
    expect(page.get_by_text("Photos are not in the file.")).to_be_visible()

    with page.expect_download() as caught:
        copy_button.click()
    download = caught.value
    assert download.suggested_filename.startswith(f"touchstone-shop-{shop.shop_id}-")
    assert download.suggested_filename.endswith(".json")
    saved = tmp_path / download.suggested_filename  # where the phone keeps it
    download.save_as(saved)
    copy = json.loads(saved.read_text())
    assert (copy["format"], copy["version"], copy["shop_id"]) == (
        "touchstone-phone-copy",
        1,
        shop.shop_id,
    )
    by_question = {item["question_id"]: item for item in copy["items"]}
    assert set(by_question) == {q["yes_no"], q["scale"]}
    assert server_answers(live_server, shop.shop_id) == []
    forget_offline_noise(phone)

    # The owner, at a desk, imports the file on the shop's page.
    desk = open_tab(DESKTOP)
    desk.login(OWNER)
    desk.goto(f"/shops/{shop.shop_id}")
    desk.page.get_by_label("The phone's file (.json)").set_input_files(str(saved))
    with desk.page.expect_navigation():
        desk.page.get_by_role("button", name="Import answers").click()
    expect(desk.page.get_by_text("Imported 2 answers.")).to_be_visible()

    rows = server_answers(live_server, shop.shop_id)
    assert sorted((r.question_id, r.value, str(r.id), r.revision) for r in rows) == sorted(
        [
            (q["yes_no"], True, by_question[q["yes_no"]]["id"], 1),
            (q["scale"], 4, by_question[q["scale"]]["id"], 1),
        ]
    )

    # The same file again: nothing changes.
    desk.page.get_by_label("The phone's file (.json)").set_input_files(str(saved))
    with desk.page.expect_navigation():
        desk.page.get_by_role("button", name="Import answers").click()
    expect(desk.page.get_by_text("Imported 2 answers (2 the shop already had).")).to_be_visible()
    again = server_answers(live_server, shop.shop_id)
    assert sorted((r.question_id, r.value, r.revision) for r in again) == sorted(
        (r.question_id, r.value, r.revision) for r in rows
    )
    forget_offline_noise(phone)  # the phone kept trying to send meanwhile
