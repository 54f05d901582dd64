"""Expense claims on the phone (390×844): a claim is changed before hand-in, and one added and
taken off again without signal never reaches the server, nor does its receipt."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import Database
from audits.expenses.models import ExpenseClaim
from tests.browser.conftest import PHONE, WAIT_MS, LiveServer, TabFactory, signal
from tests.browser.test_photo_offline import jpeg, wait_for_offline_copy
from tests.browser.test_shopper import SHOPPER, arrange_shop, forget_offline_noise

pytestmark = pytest.mark.browser


def server_claims(server: LiveServer, shop_id: int) -> list[tuple[str, int, str, bool]]:
    """(what for, amount, currency, has a receipt) of every claim of the shop on the server."""
    db = Database(server.database_url)
    with db.session() as session:
        rows = session.exec(select(ExpenseClaim).where(ExpenseClaim.shop_id == shop_id)).all()
        found = sorted(
            (c.what_for, c.amount_minor, c.currency, c.receipt_path is not None) for c in rows
        )
    db.dispose()
    return found


def test_a_claim_is_changed_and_one_taken_off_offline_never_arrives(
    open_tab: TabFactory, live_server: LiveServer
) -> None:
    shop = arrange_shop(live_server, "Tram Depot")
    tab = open_tab(PHONE, cuttable=True)
    page = tab.page
    tab.login(SHOPPER)
    check = f"{live_server.url}/shops/{shop.shop_id}/fill?section=3"
    page.goto(check)
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.goto(check)
    wait_for_offline_copy(page)
    expenses = page.locator("#expenses")

    # Online: a claim with its receipt, then changed.
    page.get_by_label("Amount").fill("3")
    page.get_by_label("Currency").fill("eur")
    page.get_by_label("What for").fill("Parking")
    page.get_by_label("Receipt photo").set_input_files(files=[jpeg((90, 90, 90))])  # type: ignore[list-item]
    page.get_by_role("button", name="Add the expense").click()
    parking = expenses.locator("[data-expense-id]", has_text="Parking")
    expect(parking.locator("[data-state]")).to_have_text("Receipt saved.", timeout=WAIT_MS)
    parking.get_by_role("button", name="Edit").click()
    expect(page.get_by_label("Amount")).to_have_value("3")
    page.get_by_label("Amount").fill("4,50")
    page.get_by_role("button", name="Save the change").click()
    expect(parking).to_contain_text("EUR 4.50")
    expect(parking.locator("[data-state]")).to_have_text("Saved", timeout=WAIT_MS)
    assert server_claims(live_server, shop.shop_id) == [("Parking", 450, "EUR", True)]

    # Without signal: a second claim, added and taken off again.
    signal(page.context, False)
    page.get_by_label("Amount").fill("2")
    page.get_by_label("What for").fill("Bus fare")
    page.get_by_label("Receipt photo").set_input_files(files=[jpeg((10, 90, 200))])  # type: ignore[list-item]
    page.get_by_role("button", name="Add the expense").click()
    bus = expenses.locator("[data-expense-id]", has_text="Bus fare")
    expect(bus.locator(".photo-waiting")).to_have_count(1)
    expect(page.locator("#queue-status")).to_contain_text("1 photo and 1 expense are waiting")
    bus.get_by_role("button", name="Remove").click()
    expect(bus).to_have_count(0)
    expect(page.locator("#queue-status")).to_contain_text("1 expense is waiting")
    page.reload()  # from the phone's saved copy: the removal holds
    expect(expenses.locator("[data-expense-id]")).to_have_count(1)
    expect(expenses.locator("[data-expense-id]", has_text="Bus fare")).to_have_count(0)
    tab.check_phone_layout()
    tab.screenshot("expense-removed-offline-phone")

    signal(page.context, True)
    expect(page.locator("#queue-status")).to_be_hidden(timeout=WAIT_MS)
    forget_offline_noise(tab)
    assert server_claims(live_server, shop.shop_id) == [("Parking", 450, "EUR", True)]
    page.reload()
    expect(expenses.locator("[data-expense-id]", has_text="Parking")).to_contain_text("EUR 4.50")


def test_the_expense_form_speaks_spanish(open_tab: TabFactory, live_server: LiveServer) -> None:
    """What the script says about a claim (its checks, its state, its buttons) comes from the
    page's translations: a phone in Spanish reads Spanish."""
    shop = arrange_shop(live_server, "Plaza Mayor")
    tab = open_tab(PHONE)
    page = tab.page
    tab.login(SHOPPER)
    page.set_extra_http_headers({"Accept-Language": "es-ES,es;q=0.9"})
    page.goto(f"{live_server.url}/shops/{shop.shop_id}/fill?section=3")
    expenses = page.locator("#expenses")
    expect(expenses.get_by_role("heading", name="Gastos")).to_be_visible()

    page.get_by_label("Moneda").fill("")
    page.get_by_role("button", name="Añadir el gasto").click()
    expect(page.locator("#expense-amount-error")).to_have_text(
        "Indique un importe mayor que 0, por ejemplo 12,40."
    )
    expect(page.locator("#expense-currency-error")).to_contain_text("código ISO 4217")
    expect(page.locator("#expense-what-error")).to_contain_text("Diga en qué consistió el gasto")
    tab.screenshot("expense-errors-spanish-phone")

    page.get_by_label("Importe").fill("2,80")
    page.get_by_label("Moneda").fill("eur")
    page.get_by_label("Concepto").fill("Café")
    page.get_by_label("Foto del recibo").set_input_files(files=[jpeg((200, 150, 90))])  # type: ignore[list-item]
    page.get_by_role("button", name="Añadir el gasto").click()
    expect(page.locator('[data-state="expense-form"]')).to_have_text(
        "Gasto guardado en este teléfono."
    )
    coffee = expenses.locator("[data-expense-id]", has_text="Café")
    expect(coffee.locator("[data-state]")).to_have_text("Recibo guardado.", timeout=WAIT_MS)
    expect(coffee.get_by_role("img", name="Recibo")).to_be_visible()
    coffee.get_by_role("button", name="Editar").click()
    expect(expenses.locator("[data-expense-form-title]")).to_have_text("Cambiar el gasto")
    expect(expenses.get_by_role("button", name="Guardar el cambio")).to_be_visible()
    tab.check_phone_layout()
    tab.screenshot("expense-edit-spanish-phone")
    assert server_claims(live_server, shop.shop_id) == [("Café", 280, "EUR", True)]
