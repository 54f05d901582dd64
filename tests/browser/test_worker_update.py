"""A new release reaches a phone that still keeps answers (issue 13), at 390×844.

The phone runs in a persistent browser profile, closed and opened again as a shopper's phone
is. It opens a shop under release "one", answers without signal, and is closed with the
answers queued. The server is then replaced by release "two" (another service worker, other
static files). When the phone comes back the new worker takes over while the answers still
cannot get through; afterwards the queue is whole, the shop's screens still open without
signal, and once the answers can go each is stored exactly once.

The servers here are the test's own, on a copy of the demo database, so that restarting them
leaves the other browser tests' server alone.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    RELAYS,
    LiveServer,
    free_port,
    relay_to,
    signal,
    touchstone_command,
    wait_until_up,
)
from tests.browser.test_outbox import queue_of, wait_for_offline_copy, wait_until_sent
from tests.browser.test_shopper import SHOPPER, arrange_shop, question, server_answers, state

pytestmark = pytest.mark.browser

ANSWERS = re.compile(r"/shops/\d+/answers$")


@contextmanager
def serving(workdir: Path, port: int, release: str) -> Iterator[None]:
    """`touchstone serve` of one release on the copied database, stopped on leaving."""
    env = {
        **os.environ,
        "DEV_MODE": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'phone.db'}",
        "DATA_DIR": str(workdir),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_HOST": "",
        "RELEASE": release,
    }
    log_path = workdir / f"server-{release}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*touchstone_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/login", proc, log_path)
            yield
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def phone(playwright: Playwright, profile: Path, url: str) -> BrowserContext:
    """The phone's browser, reaching the server at `url` through a relay (`signal` cuts it)."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}", pytrace=False)
    relay = relay_to(url)
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=PHONE,
        proxy=relay.proxy,  # type: ignore[arg-type]
    )
    RELAYS[id(context)] = relay
    context.on("close", lambda _: (RELAYS.pop(id(context), None), relay.close()))
    return context


def worker_caches(page: Page) -> list[str]:
    names: list[str] = page.evaluate("async () => (await caches.keys()).sort()")
    return names


def wait_for_release(page: Page, release: str) -> None:
    """Polled inside the page (the CSP refuses Playwright's string polling): the worker of
    `release` is active, in control, and has put away the older release's files."""
    page.evaluate(
        """async (release) => {
          for (let tries = 0; tries < 600; tries++) {
            const registration = await navigator.serviceWorker.getRegistration();
            if (registration) registration.update().catch(() => {});
            const names = await caches.keys();
            const statics = names.filter(n => n.startsWith("touchstone-static-"));
            if (navigator.serviceWorker.controller && registration && registration.active &&
                registration.active.state === "activated" &&
                statics.length === 1 && statics[0] === "touchstone-static-" + release) return;
            await new Promise(resolve => setTimeout(resolve, 100));
          }
          throw new Error("release " + release + " did not take over within 60 s");
        }""",
        release,
    )


def test_a_new_release_keeps_the_queue_and_the_saved_screens(
    playwright: Playwright, live_server: LiveServer, tmp_path: Path
) -> None:
    shop = arrange_shop(live_server, "Release Day Arcade")
    q = shop.questions
    workdir = tmp_path / "server"
    workdir.mkdir()
    source = sqlite3.connect(live_server.database_url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(workdir / "phone.db")
    source.backup(copy)  # consistent even while the shared server writes
    source.close()
    copy.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ours = LiveServer(url, live_server.password, f"sqlite:///{workdir / 'phone.db'}")
    fill = f"{url}/shops/{shop.shop_id}/fill"
    profile = tmp_path / "phone-profile"

    with serving(workdir, port, "one"):
        context = phone(playwright, profile, url)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{url}/login")
        page.get_by_label("E-mail address").fill(SHOPPER)
        page.get_by_label("Password").fill(live_server.password)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
        user = str(page.evaluate("document.body.dataset.user"))
        page.goto(f"{fill}?section=1")
        page.evaluate("async () => { await navigator.serviceWorker.ready; }")
        page.goto(f"{fill}?section=1")
        wait_for_offline_copy(page)
        assert "touchstone-static-one" in worker_caches(page)

        # No signal: three answers are kept on the phone, and the phone is put away.
        signal(context, False)
        question(page, q["yes_no"]).get_by_role("button", name="Yes").click()
        question(page, q["scale"]).get_by_role("button", name=re.compile("^4")).click()
        expect(state(page, q["scale"])).to_have_text("Waiting to send…")
        page.goto(f"{fill}?section=2")  # from the saved copy
        page.get_by_label("Your number (rings)").fill("3")
        page.get_by_label("Your number (rings)").blur()
        expect(state(page, q["number"])).to_have_text("Waiting to send…")
        assert len(queue_of(page, user)) == 3
        context.close()

    assert server_answers(ours, shop.shop_id) == []

    # Release two is deployed. The phone has a network again, but the answers do not get
    # through yet: the new worker takes over while all three are still queued.
    with serving(workdir, port, "two"):
        context = phone(playwright, profile, url)
        context.route(ANSWERS, lambda route: route.abort())
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{url}/")
        wait_for_release(page, "two")
        assert worker_caches(page) == ["touchstone-pages-v1", "touchstone-static-two"]
        assert len(queue_of(page, user)) == 3

        # The shop's screens were kept through the update: they open without signal, with
        # the answers waiting.
        signal(context, False)
        page.goto(f"{fill}?section=1")
        expect(page.get_by_role("heading", name="At the counter", level=1)).to_be_visible()
        expect(state(page, q["yes_no"])).to_have_text("Waiting to send…")
        expect(state(page, q["scale"])).to_have_text("Waiting to send…")
        page.goto(f"{fill}?section=2")
        expect(page.get_by_label("Your number (rings)")).to_have_value("3")
        assert server_answers(ours, shop.shop_id) == []

        # Signal, and the answers get through: each stored once, as given.
        context.unroute(ANSWERS)
        signal(context, True)
        page.goto(f"{fill}?section=2")
        wait_until_sent(page, user)
        stored = {a.question_id: a.value for a in server_answers(ours, shop.shop_id)}
        assert stored == {q["yes_no"]: True, q["scale"]: 4, q["number"]: 3}
        context.close()
