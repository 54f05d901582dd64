"""A new client organization can start from a ready journey."""

from __future__ import annotations

from sqlmodel import Session, select

from app.orgs.models import Organization, Role
from app.tenancy import scope_session
from tests.conftest import Browser, login
from tests.factories import PASSWORD, make_member, make_org
from touchpoints import queries
from touchpoints.library import template_set


def _new_org(session: Session, client: Browser, **form: str) -> tuple[int, Organization | None]:
    org = make_org(session, name="Consultancy")
    owner = make_member(session, org, Role.owner)
    login(client, owner.email, PASSWORD)
    response = client.form(
        "/orgs", {"name": "Riverside Dental", "timezone": "Europe/Dublin", **form}
    )
    session.expire_all()
    created = session.exec(select(Organization).where(Organization.name == "Riverside Dental"))
    return response.status_code, created.first()  # type: ignore[attr-defined]


def test_new_org_starts_with_the_five_moments(client: Browser, session: Session) -> None:
    status, org = _new_org(session, client, starter="five-moments")
    assert status == 303 and org is not None
    scope_session(session, org.id)  # type: ignore[arg-type]
    stages = queries.journey(session)
    assert [v.stage.name for v in stages] == [
        "Inquiry",
        "Visit",
        "Sale",
        "After the sale",
        "Billing",
    ]
    assert sum(len(v.touchpoints) for v in stages) == 5
    # The owner now works inside the new organization and sees its map.
    page = client.get("/journey")
    assert "Riverside Dental" in page.text and "Walking in the door" in page.text


def test_new_org_can_start_empty(client: Browser, session: Session) -> None:
    status, org = _new_org(session, client, starter="")
    assert status == 303 and org is not None
    scope_session(session, org.id)  # type: ignore[arg-type]
    assert queries.journey(session) == []


def test_unknown_starter_is_refused_and_creates_nothing(client: Browser, session: Session) -> None:
    status, org = _new_org(session, client, starter="no-such-set")
    assert status == 400 and org is None
    page = client.form("/orgs", {"name": "Again", "starter": "no-such-set"})
    assert "Choose a journey from the list." in page.text  # type: ignore[attr-defined]


def test_the_account_page_offers_every_business_journey_as_a_start(
    client: Browser, session: Session
) -> None:
    org = make_org(session, name="Consultancy")
    owner = make_member(session, org, Role.owner)
    login(client, owner.email, PASSWORD)

    page = client.get("/account").text
    assert '<optgroup label="Journeys for a kind of business">' in page
    for name in ("A bank branch", "A call centre", "A restaurant"):
        assert f">{name}</option>" in page
    assert '<datalist id="tz-list">' in page and '<option value="Europe/Dublin">' in page

    refused = client.form("/orgs", {"name": "", "timezone": "Europe/Dublin", "starter": "bank"})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    again = refused.text  # type: ignore[attr-defined]
    assert 'value="Europe/Dublin"' in again  # what was chosen stays chosen
    assert '<option value="bank" selected>' in again

    response = client.form(
        "/orgs", {"name": "Riverside Bank", "timezone": "Europe/Dublin", "starter": "bank"}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    created = session.exec(select(Organization).where(Organization.name == "Riverside Bank")).one()
    scope_session(session, created.id)  # type: ignore[arg-type]
    names = [t.name for v in queries.journey(session) for t in v.touchpoints]
    bank = template_set("bank")
    assert bank is not None
    assert sorted(names) == sorted(t.name for t in bank.touchpoints)
