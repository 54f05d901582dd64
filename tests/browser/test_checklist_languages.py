"""Checklists in several languages on the phone (issue 15, deliverable 3).

At 390×844: a shopper picks Español on the fill page and reads the Spanish wording, with the
English one marked "not yet translated" where no translation was given; answers with a
comment in Spanish and hands in. The owner's shop page then shows the English questions,
the Spanish comment as it was written, and that the shop was filled in Español. The choice
answer is stored by the option's position, whatever the language.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import Database
from app.demo import DEMO_USERS
from app.modelbase import utcnow
from app.orgs.models import Location, Organization, User
from app.tenancy import scope_session
from audits.models import Answer, Shop, ShopTouchpoint
from tests.browser.conftest import DESKTOP, PHONE, WAIT_MS, LiveServer, TabFactory
from tests.browser.test_shopper import (
    SHOPPER,
    question,
    state,
    submissions,
    wait_for_offline_copy,
)
from touchpoints import services as journey
from touchpoints.models import Question, QuestionFields, Stage, Touchpoint

pytestmark = pytest.mark.browser

OWNER = DEMO_USERS[0][0]
_PLACES = itertools.count(1)  # each test's own stage and location (the server is shared)
COMMENT = "Me saludaron con una sonrisa y me llamaron por mi nombre."


@dataclass(frozen=True)
class Lobby:
    shop_id: int
    touchpoint_id: int
    greet: int
    drink: int
    clean: int


@pytest.fixture
def lobby(live_server: LiveServer) -> Iterator[Lobby]:
    """Demo Co writes in English and Spanish for this test (and back to what it was after):
    a touchpoint with its name and two of its three questions translated."""
    n = next(_PLACES)
    db = Database(live_server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
        shopper = session.exec(select(User).where(User.email == SHOPPER)).one()
        assert org.id is not None and shopper.id is not None
        before = list(org.languages)
        org.languages = ["en", "es"]
        session.add(org)
        scope_session(session, org.id)
        stage = Stage(org_id=org.id, name=f"Hotel arrival {n}", position=97)
        session.add(stage)
        session.flush()
        desk = Touchpoint(
            org_id=org.id,
            stage_id=stage.id,  # type: ignore[arg-type]
            name="At the front desk",
            target=80,
            translations={"es": {"name": "En la recepción"}},
        )
        location = Location(org_id=org.id, name=f"Calle Mayor {n}")
        session.add_all([desk, location])
        session.flush()

        def ask(translations: dict[str, object] | None, **fields: object) -> int:
            q = journey.question_create(
                session=session,
                touchpoint=desk,
                fields=QuestionFields.model_validate(fields),
                commit=False,
            )
            q.translations = translations
            return q.id  # type: ignore[return-value]

        greet = ask(
            {"es": {"text": "¿Le saludaron al llegar?"}}, text="Were you greeted?", kind="yes_no"
        )
        drink = ask(
            {"es": {"text": "¿Qué bebida le ofrecieron?", "options": ["Agua", "Café"]}},
            text="Which drink were you offered?",
            kind="choice",
            options=[{"label": "Water", "points": 1}, {"label": "Coffee", "points": 2}],
        )
        clean = ask(None, text="Was the lobby clean?", kind="yes_no")
        shop = Shop(
            org_id=org.id,
            location_id=location.id,  # type: ignore[arg-type]
            shopper_id=shopper.id,
            scenario="Check in and ask for a drink.",
            due_until=utcnow() + timedelta(days=2),
        )
        session.add(shop)
        session.flush()
        session.add(
            ShopTouchpoint(org_id=org.id, shop_id=shop.id, touchpoint_id=desk.id, position=1)  # type: ignore[arg-type]
        )
        session.commit()
        arranged = Lobby(shop.id, desk.id, greet, drink, clean)  # type: ignore[arg-type]
    try:
        yield arranged
    finally:
        with db.session(write=True) as session:
            org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
            org.languages = before
            session.add(org)
            # Its Spanish goes too: a later export of Demo Co's journey (the journey-files
            # test) would carry it to an organization that writes in English only.
            scope_session(session, org.id)  # type: ignore[arg-type]
            desk = session.get(Touchpoint, arranged.touchpoint_id)
            if desk is not None:
                desk.translations = None
                session.add(desk)
            asked = select(Question).where(Question.touchpoint_id == arranged.touchpoint_id)
            for question in session.exec(asked):
                question.translations = None
                session.add(question)
            session.commit()
        db.dispose()


def test_shopper_fills_in_spanish_and_the_owner_reads_english(
    open_tab: TabFactory, live_server: LiveServer, lobby: Lobby
) -> None:
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(SHOPPER)
    fill = f"{live_server.url}/shops/{lobby.shop_id}/fill"
    page.goto(f"{fill}?section=1")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.goto(f"{fill}?section=1")
    expect(page.get_by_role("heading", name="At the front desk", level=1)).to_be_visible()
    wait_for_offline_copy(page)  # every screen saved on the phone, in English

    page.get_by_label("Checklist language").select_option(label="Español")
    with page.expect_navigation():
        page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("heading", name="En la recepción", level=1)).to_be_visible()
    # The screens saved on the phone follow: a reload without signal opens them in Spanish.
    page.wait_for_function(
        """async () => {
          const cache = await caches.open("touchstone-pages-v1");
          const hit = await cache.match("/shops/SHOP/fill?section=2");
          return hit !== undefined && (await hit.text()).includes('lang="es" data-shop');
        }""".replace("SHOP", str(lobby.shop_id)),
        polling=200,
    )
    greet, drink, clean = (question(page, q) for q in (lobby.greet, lobby.drink, lobby.clean))
    expect(greet.locator(".q-text")).to_contain_text("¿Le saludaron al llegar?")
    expect(drink.get_by_role("button", name="Café")).to_be_visible()
    # The untranslated question: its English wording, marked.
    expect(clean.locator(".q-text")).to_contain_text("Was the lobby clean?")
    expect(clean.locator(".q-text .untranslated")).to_have_text("not yet translated")
    expect(greet.locator(".untranslated")).to_have_count(0)
    tab.check_phone_layout()
    tab.screenshot("shopper-fill-spanish")

    greet.get_by_role("button", name="Yes").click()
    expect(state(page, lobby.greet)).to_have_text("Saved", timeout=WAIT_MS)
    greet.locator("summary", has_text="Comment and photos").click()
    greet.get_by_label("Comment").fill(COMMENT)
    greet.get_by_label("Comment").blur()
    drink.get_by_role("button", name="Café").click()
    expect(state(page, lobby.drink)).to_have_text("Saved", timeout=WAIT_MS)
    clean.get_by_role("button", name="No").click()
    expect(state(page, lobby.clean)).to_have_text("Saved", timeout=WAIT_MS)
    expect(page.locator("#queue-status")).to_be_hidden(timeout=WAIT_MS)

    page.goto(f"{fill}?section=2")
    page.get_by_role("button", name="Hand in the shop").click()
    expect(page.get_by_role("heading", name="Handed in — thank you")).to_be_visible()
    assert submissions(live_server, lobby.shop_id) == 1

    db = Database(live_server.database_url)
    with db.session() as session:
        answers = {
            a.question_id: a
            for a in session.exec(select(Answer).where(Answer.shop_id == lobby.shop_id))
        }
        shop = session.exec(select(Shop).where(Shop.id == lobby.shop_id)).one()
    db.dispose()
    assert shop.language == "es"
    assert answers[lobby.drink].value == 1  # Coffee / Café: the option's position
    assert answers[lobby.greet].comment == COMMENT

    owner = open_tab(DESKTOP)
    owner.login(OWNER)
    owner.goto(f"/shops/{lobby.shop_id}")
    detail = owner.page.locator("#shop-detail")
    expect(detail).to_contain_text("Filled in Español")
    expect(detail).to_contain_text("Were you greeted?")
    expect(detail).to_contain_text("Which drink were you offered?")
    expect(detail).to_contain_text(COMMENT)
    expect(detail).not_to_contain_text("¿Le saludaron")
    expect(detail).to_contain_text(re.compile("Coffee"))
    owner.screenshot("owner-shop-filled-in-spanish")


def test_owner_translates_the_missing_question_on_the_touchpoint_page(
    open_tab: TabFactory, lobby: Lobby
) -> None:
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        tab = open_tab(viewport)
        page = tab.page
        tab.login(OWNER)
        tab.goto(f"/touchpoints/{lobby.touchpoint_id}")
        card = page.locator("#tp-translations")
        expect(card).to_contain_text("Español: 1 of 3 questions untranslated")
        if name == "phone":
            tab.check_phone_layout()
        tab.screenshot(f"owner-translations-{name}")
    # A language the organization does not use, straight at its address: refused plainly.
    tab.expect_status(422)
    refused = page.request.get(
        f"{tab.base_url}/questions/{lobby.clean}/translations/fr/edit",
        headers={"HX-Request": "true"},
    )
    assert refused.status == 422 and "does not write checklists in “fr”" in refused.text()
    card.get_by_role("button", name="Translate question 3").click()
    form = card.locator("form.q-translate")
    form.get_by_label("Question in Español").fill("¿Estaba limpio el vestíbulo?")
    tab.screenshot("owner-translation-form-phone")
    form.get_by_role("button", name="Save translation").click()
    expect(card).to_contain_text("Translation saved.")
    expect(card).to_contain_text("Español: all translated")
    expect(card).to_contain_text("¿Estaba limpio el vestíbulo?")
    tab.check_phone_layout()


def test_owner_chooses_the_languages_on_the_settings_page(
    open_tab: TabFactory, live_server: LiveServer, lobby: Lobby
) -> None:
    """The settings section at both widths; a report language outside the list is refused
    next to its field. (Demo Co goes back to its languages after the test: `lobby`.)"""
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        tab = open_tab(viewport)
        page = tab.page
        tab.login(OWNER)
        tab.goto("/settings")
        section = page.locator("#languages")
        expect(section.get_by_label("Español (es)")).to_be_checked()
        section.get_by_label("Español (es)").uncheck()
        section.get_by_label("Language of printed reports").select_option("es")
        tab.expect_status(400)
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#f-report_language-error")).to_contain_text(
            "Reports can only use one of your checklist languages"
        )
        if name == "phone":
            tab.check_phone_layout()
        page.locator("#languages").scroll_into_view_if_needed()
        tab.screenshot(f"settings-languages-refused-{name}", full_page=False)
