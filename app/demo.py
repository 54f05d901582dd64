"""The demo organization for `make run`, screenshots and trying Touchstone out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from actions.demo import demo_actions
from app.modelbase import ident
from app.orgs import services
from app.orgs.models import LocationCreate, Organization, OrganizationCreate, Role
from app.tenancy import scope_session
from audits.demo import demo_shops
from recovery.demo import demo_recovery
from touchpoints import services as journey_services

DEMO_ORG = "Demo Co"
DEMO_PASSWORD = "moments-of-truth"
DEMO_USERS = (
    ("owner@demo.example", "Olivia Owner", Role.owner),
    ("shopper@demo.example", "Sam Shopper", Role.shopper),
    ("staff@demo.example", "Stefan Staff", Role.viewer),
)
DEMO_TEMPLATE_SETS = ("five-moments", "seven-cs")
DEMO_LOCATIONS = (
    ("High Street", "12 High Street, Millbrook", "North"),
    ("Riverside Mall", "Unit 4, Riverside Mall, Millbrook", "North"),
    ("Station Road", "88 Station Road, Eastleigh", "South"),
    ("Customer Line", "Phone and e-mail team, Eastleigh", "South"),
)


@dataclass(frozen=True)
class DemoResult:
    created: bool
    logins: tuple[tuple[str, str], ...]  # (e-mail, role label)


def demo_exists(session: Session) -> bool:
    return (
        session.exec(select(Organization).where(Organization.name == DEMO_ORG)).first() is not None
    )


def demo_seed(session: Session, *, password: str = DEMO_PASSWORD) -> DemoResult:
    """Create Demo Co with an owner, a shopper, a viewer and four locations (once)."""
    logins = tuple((email, role.value) for email, _, role in DEMO_USERS)
    if demo_exists(session):
        return DemoResult(created=False, logins=logins)
    org = services.org_create(
        session=session, data=OrganizationCreate(name=DEMO_ORG, timezone="Europe/London")
    )
    user_ids: dict[Role, int] = {}
    for email, name, role in DEMO_USERS:
        user = services.user_by_email(session=session, email=email) or services.user_create(
            session=session, email=email, name=name, password=password
        )
        services.membership_set(session=session, org=org, user=user, role=role)
        session.flush()
        user_ids[role] = ident(user)
    session.commit()
    # From here on the demo writes as Demo Co, through the same org-scoped services the
    # pages use.
    scope_session(session, ident(org))
    for name, address, region in DEMO_LOCATIONS:
        services.location_create(
            session=session,
            org_id=ident(org),
            data=LocationCreate(name=name, address=address, region=region),
        )
    for set_key in DEMO_TEMPLATE_SETS:
        journey_services.template_apply(session=session, org_id=ident(org), set_key=set_key)
    # A year of approved mystery shops, and a few still open for the demo shopper.
    demo_shops(session, org, owner_id=user_ids[Role.owner], shopper_id=user_ids[Role.shopper])
    # Beside them, a year of service recovery and measures, then the action items agreed
    # about them (some point at the cases, so they come after).
    demo_recovery(session, org, owner_id=user_ids[Role.owner])
    demo_actions(session, org, owner_id=user_ids[Role.owner])
    return DemoResult(created=True, logins=logins)
