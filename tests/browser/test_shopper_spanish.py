"""A shopper who picks Spanish in the account menu fills a shop on the phone (390×844) in
Spanish: the page's words, Babel's dates, and what the offline queue's script says when the
signal drops and returns. The choice is kept on their account."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import Database
from app.orgs.models import Organization, Role, User
from app.orgs.services import membership_set, user_create
from tests.browser.conftest import PHONE, LiveServer, TabFactory, signal
from tests.browser.test_shopper import (
    arrange_shop,
    forget_offline_noise,
    question,
    state,
    wait_for_offline_copy,
)

pytestmark = pytest.mark.browser

LUCIA = "lucia.shopper.es@example.com"
LUCIA_PASSWORD = "cobalt harbour lantern 8841"


def make_spanish_shopper(server: LiveServer) -> None:
    db = Database(server.database_url)
    with db.session(write=True, writes_throughout=True) as session:
        org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
        if session.exec(select(User).where(User.email == LUCIA)).first() is None:
            user = user_create(session=session, email=LUCIA, name="Lucía", password=LUCIA_PASSWORD)
            membership_set(session=session, org=org, user=user, role=Role.shopper)
            session.commit()
    db.dispose()


def stored_language(server: LiveServer) -> str | None:
    db = Database(server.database_url)
    with db.session() as session:
        user = session.exec(select(User).where(User.email == LUCIA)).one()
        language = user.language
    db.dispose()
    return language


def test_a_shopper_fills_a_shop_in_spanish(open_tab: TabFactory, live_server: LiveServer) -> None:
    make_spanish_shopper(live_server)
    shop = arrange_shop(live_server, "Calle Mayor", shopper_email=LUCIA)
    q = shop.questions
    tab = open_tab(PHONE, cuttable=True)
    page = tab.page
    tab.login(LUCIA, LUCIA_PASSWORD)

    # The compact picker in the account menu (the browser asks for English).
    page.locator(".usermenu summary").click()
    page.get_by_label("Language").select_option("es")
    with page.expect_navigation():
        page.get_by_role("button", name="Change", exact=True).click()
    expect(page.get_by_role("heading", name="Mis visitas", level=1)).to_be_visible()
    assert stored_language(live_server) == "es"
    card = page.locator(".shop-card").filter(has_text=shop.location)
    expect(card).to_contain_text("0 de 5 respondidas")
    tab.check_phone_layout()
    tab.screenshot("shopper-es-home")

    card.get_by_role("link", name="Empezar").click()
    expect(page.get_by_role("heading", name="Su visita", level=1)).to_be_visible()
    page.get_by_label("Fecha y hora de la visita").fill("2026-01-05T10:30")
    page.get_by_label("Cuánto duró, en minutos").fill("20")
    page.get_by_label("Cuánto duró, en minutos").blur()
    expect(page.locator("#visit-state")).to_have_text("Guardado")  # said by the script
    page.get_by_role("link", name="Siguiente →").click()

    # Section 1: answers saved at once, the script saying so in Spanish.
    question(page, q["yes_no"]).get_by_role("button", name="Sí").click()
    expect(state(page, q["yes_no"])).to_have_text("Guardado")
    expect(page.locator("#progress-label")).to_have_text("1 de 5 respondidas")
    wait_for_offline_copy(page)
    tab.check_phone_layout()
    tab.check_labels()
    tab.screenshot("shopper-es-fill-section")

    # No signal: the answer waits on the phone, and the script says so in Spanish.
    signal(page.context, False)
    question(page, q["scale"]).get_by_role("button", name="4").click()
    expect(state(page, q["scale"])).to_have_text("Pendiente de envío…")
    status = page.locator("#queue-status")
    expect(status).to_have_text(
        "1 respuesta pendiente de envío. Se guarda en este teléfono y se enviará cuando "
        "vuelva la cobertura."
    )
    tab.screenshot("shopper-es-offline")

    # The signal returns: sent, and said.
    signal(page.context, True)
    expect(state(page, q["scale"])).to_have_text("Guardado", timeout=30_000)
    expect(status).to_be_hidden()
    forget_offline_noise(tab)

    # The check screen: Babel's day and month names.
    page.goto(f"{tab.base_url}/shops/{shop.shop_id}/fill?section=3")
    expect(page.locator(".recap")).to_contain_text("lunes, 5 de enero de 2026")
    expect(page.locator(".recap")).to_contain_text("20 minutos")
    expect(page.get_by_role("button", name="Entregar la visita")).to_be_visible()
    tab.check_phone_layout()
    tab.screenshot("shopper-es-check")


def complaint_path(server: LiveServer) -> str:
    db = Database(server.database_url)
    with db.session() as session:
        org = session.exec(select(Organization).where(Organization.name == "Demo Co")).one()
        key = org.public_key
    db.dispose()
    assert key
    return f"/complain/{key}"


def test_the_complaint_page_follows_the_phone_and_switches(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    phone = open_tab(PHONE)
    page = phone.page
    page.set_extra_http_headers({"Accept-Language": "es-ES,es;q=0.9"})
    phone.goto(complaint_path(live_server))
    expect(page.get_by_role("heading", name="¿Algo no ha ido bien?")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    # The counter's words come from the page, its numbers written the Spanish way.
    page.get_by_label("¿Qué ocurrió?").fill("El pan estaba duro.")
    expect(page.locator("#f-summary-count")).to_have_text("19 de 2000 caracteres")
    phone.check_phone_layout()
    phone.check_labels()
    phone.screenshot("complaint-form-es-phone")

    # The switch in the bar: English, whatever the phone asks for.
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Something not right?")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Español")).to_be_visible()
    phone.check_phone_layout()
    phone.screenshot("complaint-form-en-switch-phone")


def test_the_account_page_shows_the_choice(open_tab: TabFactory, live_server: LiveServer) -> None:
    make_spanish_shopper(live_server)
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(LUCIA, LUCIA_PASSWORD)
    tab.goto("/account")
    card = page.locator("#language")
    select = card.get_by_role("combobox")
    # Spanish when the first test chose it; choose it here so the test stands alone.
    select.select_option("es")
    with page.expect_navigation():
        card.get_by_role("button").click()
    page.goto(f"{tab.base_url}/account")
    expect(page.locator("#language h2")).to_have_text("Idioma")
    expect(page.locator("#account-language")).to_have_value("es")
    tab.check_phone_layout()
    tab.check_labels()
    tab.screenshot("account-language-es-phone")
