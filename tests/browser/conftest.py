"""Browser fixtures: a real Touchstone server seeded with the demo data, and headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.browser.relay import Relay

# CI installs Debian's chromium; Playwright's own browser download is never used.
CHROMIUM = Path(os.environ.get("TOUCHSTONE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "browser-tests-pw"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
MIN_TAP = 44  # px: the smallest comfortable target for a thumb
SERVER_START_SECONDS = 180  # an upper bound: importing the app alone takes ~15 s on a busy machine
# How long an action or an `expect` may wait for its condition before it fails. Only an upper
# bound: each returns as soon as the condition holds, and a machine with both cores busy
# (another test process, a build) can take many seconds for a page. Playwright's own
# default for `expect` is 5 s.
WAIT_MS = 60_000
expect.set_options(timeout=WAIT_MS)
# When set, tests that tour the pages save their screenshots into this folder.
SCREENSHOT_DIR = os.environ.get("TOUCHSTONE_SCREENSHOTS", "")

_FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")

# Report Content-Security-Policy violations loudly, whatever the browser's own logging does.
_CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""

# Visible controls in the page body and the header that a thumb has to hit.
_SMALL_TARGETS = """
(minimum) => {
  const selector = [
    "main a", "main button", "main select", "main textarea",
    "main input:not([type=hidden])", "header a", "header button", "header summary",
    "header select", "header input:not([type=hidden])",
  ].join(", ");
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    // A checkbox or radio is tapped through its label.
    const toggle = el.matches("input[type=checkbox], input[type=radio]");
    const target = (toggle && el.closest("label")) || el;
    // checkVisibility also sees through a closed <details> and visibility: hidden.
    if (!target.checkVisibility({ visibilityProperty: true })) continue;
    const box = target.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || el.closest(".sr-only, .skip")) continue;
    if (box.height < minimum) {
      const text = (el.innerText || el.getAttribute("aria-label") || el.name || el.id || "")
        .trim().slice(0, 40);
      small.push(`<${el.tagName.toLowerCase()}> "${text}" is ${box.height.toFixed(1)}px tall`);
    }
  }
  return small;
}
"""


# Every visible form control must have a label (or an explicit accessible name).
_UNLABELLED = """
() => {
  const unlabelled = [];
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    const named = el.labels.length > 0
      || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) unlabelled.push(el.name || el.id || el.outerHTML.slice(0, 60));
  }
  return unlabelled;
}
"""


_FOCUS_STYLE = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    what: `<${el.tagName.toLowerCase()}> ${(el.innerText || el.name || "").trim().slice(0, 30)}`,
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
  };
}
"""


def htmx_settled(page: Page) -> None:
    """Wait until htmx has swapped, settled and wired up new content.

    htmx wires a swapped-in form (so that sending it is an htmx request) only when the swap
    settles, a moment after the content appears; a test is quicker than a person there.
    """
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def touchstone_command() -> list[str]:
    """The installed `touchstone` script of the running interpreter's environment."""
    script = Path(sys.executable).with_name("touchstone")
    if script.exists():
        return [str(script)]
    found = shutil.which("touchstone")
    if found:
        return [found]
    return [sys.executable, "-c", "from app.cli import main; main()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"touchstone serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)  # polling the socket: the server is a separate process
    pytest.fail(
        f"touchstone serve did not answer {url} within {SERVER_START_SECONDS} s:\n"
        f"{log.read_text()[-3000:]}",
        pytrace=False,
    )


@dataclass(frozen=True)
class LiveServer:
    url: str
    password: str  # of every demo login
    database_url: str  # for tests that must arrange data no page can make yet


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`touchstone demo` and `touchstone serve` on a fresh SQLite file and a free port."""
    with serving(tmp_path_factory.mktemp("live-server")) as server:
        yield server


@contextmanager
def serving(
    workdir: Path,
    port: int | None = None,
    more_env: dict[str, str] | None = None,
    demo: bool = True,
) -> Iterator[LiveServer]:
    """A Touchstone server in `workdir` on `port` (a free one if None), with `more_env` added
    to its settings, seeded with the demo data unless `demo` is False."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DEV_MODE": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'b.db'}",
        "DATA_DIR": str(workdir),
        "BASE_URL": url,
        "SMTP_HOST": "",  # invite links are shown on the page, never mailed
        # The print time limit (30 s by default) is an upper bound here, as every wait is: a
        # meeting pack on a busy machine can take longer, and the limit has tests of its own
        # (tests/reports/test_printing.py).
        "REPORT_TIME_LIMIT_SECONDS": "600",
        **(more_env or {}),
    }
    command = touchstone_command()
    # The working directory is the temp folder, so a developer's .env is not read.
    seeded = subprocess.run(
        [*command, "demo", "--password", DEMO_PASSWORD] if demo else [*command, "migrate"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # an upper bound: seeding a year takes seconds, a minute on a busy machine
        check=False,
    )
    if seeded.returncode != 0:
        pytest.fail(
            f"touchstone {'demo' if demo else 'migrate'} failed:\n{seeded.stdout}\n{seeded.stderr}",
            pytrace=False,
        )

    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"{url}/login", proc, log_path)
            yield LiveServer(url=url, password=DEMO_PASSWORD, database_url=env["DATABASE_URL"])
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# Module scope, not session: while Playwright's sync API is started, its event loop counts as
# running on this thread, so any later test in the same pytest-xdist worker that calls
# asyncio.run() (the PDF renderer's tests, the report CLI) would fail. Pytest stops these
# before it moves on to another module; starting Chromium costs about a second per module.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser | None]:
    """Headless Chromium, or None when it is missing: `open_tab` then fails the test itself
    (a failure, not a skip and not a setup error, so a CI without Chromium goes red)."""
    if not CHROMIUM.exists():
        yield None
        return
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


# The relay of each context that open_tab made (tests/browser/relay.py), by id(context).
RELAYS: dict[int, Relay] = {}


def relay_to(url: str) -> Relay:
    """A relay to the server at `url`, for a context's `proxy=`."""
    where = urlsplit(url)
    return Relay((where.hostname or "127.0.0.1", where.port or 80))


def signal(context: BrowserContext, on: bool) -> None:
    """Take the phone's signal away, or give it back.

    The page learns it from the browser (navigator.onLine, the `online` event), and the
    context's relay really cuts the way to the server: Chromium's offline emulation alone let
    a request a reloaded page makes as it starts reach the server (tests/browser/relay.py).
    What the service worker answers from its caches needs no network and still works.
    """
    relay = RELAYS.get(id(context))
    assert relay is not None, "a tab whose signal is cut is opened with open_tab(…, cuttable=True)"
    # The way to the server is cut before the page hears it is offline, and open again
    # before it hears it is online: its `online` event sends at once, and a send into a
    # relay still cut is a failed request (a console error) the queue must then retry.
    relay.set_signal(on)
    context.set_offline(not on)
    # The renderer hears of it a moment later: on a busy machine a click right after could
    # still find navigator.onLine as it was, and its send would hit the cut relay.
    for page in context.pages:
        page.evaluate(
            """async (want) => {
              for (let i = 0; i < 400 && navigator.onLine !== want; i++) {
                await new Promise((resolve) => setTimeout(resolve, 25));
              }
            }""",
            on,
        )


@dataclass
class Tab:
    """One page in its own browser context (own cookies), watching the console."""

    page: Page
    base_url: str
    password: str
    problems: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        failed = _FAILED_LOAD.search(message.text)
        if failed and int(failed.group(1)) in self.expected_statuses:
            return  # the browser's own note about an answer the test asked for
        self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _on_page_error(self, error: Error) -> None:
        self.problems.append(f"uncaught exception on {self.page.url}: {error}")

    def expect_status(self, *codes: int) -> None:
        """Allow the browser's console note for an error status the test provokes on purpose."""
        self.expected_statuses.update(codes)

    def goto(self, path: str) -> Response | None:
        return self.page.goto(self.base_url + path)

    def login(self, email: str, password: str | None = None) -> None:
        """Log in through the form, as a person would."""
        self.goto("/login")
        self.page.get_by_label("E-mail address").fill(email)
        self.page.get_by_label("Password").fill(self.password if password is None else password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log in").click()

    def mark_document(self) -> None:
        """Tag the loaded document; `same_document()` is false after a full page load."""
        self.page.evaluate("window.__touchstoneMark = true")

    def same_document(self) -> bool:
        return bool(self.page.evaluate("window.__touchstoneMark === true"))

    def loaded(self) -> None:
        """Wait until the document has loaded, its stylesheet included. A test that waited
        for a heading after a navigation can otherwise measure the new page while it is
        still parsing, laid out without its CSS (no person sees that: Chromium paints
        nothing before the stylesheet arrives, but getBoundingClientRect measures it), and
        that window grows on a busy machine."""
        self.page.wait_for_load_state("load")

    def small_tap_targets(self) -> list[str]:
        self.loaded()
        result: list[str] = self.page.evaluate(_SMALL_TARGETS, MIN_TAP)
        return result

    def check_focus_ring(self, presses: int = 6) -> None:
        """Walk the first controls with the Tab key; each shows a visible focus outline."""
        self.loaded()
        for _ in range(presses):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate(_FOCUS_STYLE)
            if focused is None:
                break
            assert focused["style"] != "none" and focused["width"] >= 2, (
                f"no visible focus on {focused['what']} at {self.page.url}: {focused}"
            )

    def check_labels(self) -> None:
        self.loaded()
        unlabelled = self.page.evaluate(_UNLABELLED)
        assert not unlabelled, f"form fields without a label on {self.page.url}: {unlabelled}"

    def check_phone_layout(self) -> None:
        self.loaded()
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{self.page.url} scrolls sideways ({width}px wide)"
        small = self.small_tap_targets()
        assert not small, f"tap targets under {MIN_TAP}px on {self.page.url}: {small}"

    def screenshot(self, name: str, full_page: bool = True) -> None:
        if SCREENSHOT_DIR:
            Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
            # caret="initial": hiding the caret leaves style="" on inputs, which htmx would copy.
            path = Path(SCREENSHOT_DIR) / f"{name}.png"
            self.page.screenshot(path=str(path), full_page=full_page, caret="initial")


TabFactory = Callable[..., Tab]


@pytest.fixture
def open_tab(browser: Browser | None, live_server: LiveServer) -> Iterator[TabFactory]:
    """Open tabs in fresh contexts; after the test, none may have logged a console error."""
    tabs: list[Tab] = []
    contexts: list[BrowserContext] = []
    relays: list[Relay] = []

    def make(viewport: ViewportSize = DESKTOP, cuttable: bool = False, **options: Any) -> Tab:
        """A tab; `cuttable`: its signal can be cut (`signal`), through a relay of its own;
        `options`: more of the context's settings (a phone's `geolocation`, `permissions`)."""
        if browser is None:
            pytest.fail(
                f"Chromium is not installed at {CHROMIUM}. The browser tests need it: "
                "`apt-get install chromium` (CI does), or set TOUCHSTONE_CHROMIUM to its path.",
                pytrace=False,
            )
        if cuttable:
            relay = relay_to(live_server.url)
            context = browser.new_context(viewport=viewport, proxy=relay.proxy, **options)  # type: ignore[arg-type]
            RELAYS[id(context)] = relay
            relays.append(relay)
        else:
            context = browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(WAIT_MS)
        context.add_init_script(_CSP_WATCH)
        contexts.append(context)
        tab = Tab(page=context.new_page(), base_url=live_server.url, password=live_server.password)
        tab.page.on("console", tab._on_console)
        tab.page.on("pageerror", tab._on_page_error)
        tabs.append(tab)
        return tab

    yield make
    for context in contexts:
        RELAYS.pop(id(context), None)
        context.close()
    for relay in relays:
        relay.close()
    problems = [p for tab in tabs for p in tab.problems]
    assert not problems, "the browser reported errors:\n" + "\n".join(problems)
