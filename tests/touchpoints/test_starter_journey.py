"""A new client organization can start from a ready journey."""

from __future__ import annotations

from sqlmodel import Session, select

from app.orgs.models import Organization, Role
from app.tenancy import scope_session
from tests.conftest import Browser, login
from tests.factories import PASSWORD, make_member, make_org
from touchpoints import queries


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
