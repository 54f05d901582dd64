"""Reads about organizations, people and locations that pages and API share."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from sqlmodel import Session, col, select

from app import providers
from app.modelbase import utcnow
from app.orgs.models import Invite, Location, Membership, Organization, Role, User


@cache
def zone_names() -> list[str]:
    """The time zones to pick from: the zone database's places (Europe/London), without the
    aliases and fixed offsets that only confuse a picker."""
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


def new_org_choices() -> dict[str, Any]:
    """What the form for a new organization offers: time zones and starter journeys."""
    return {"zones": zone_names(), "starters": providers.ask(providers.STARTER_CHOICES)}


def locations_list(*, session: Session) -> list[Location]:
    """Locations of the session's organization (the tenant scope adds the org filter)."""
    return list(session.exec(select(Location).order_by(col(Location.region), col(Location.name))))


def members_list(*, session: Session, org_id: int) -> list[tuple[Membership, User]]:
    rows = session.exec(
        select(Membership, User)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.org_id == org_id)
        .order_by(col(Membership.role), col(User.name))
    )
    return list(rows.all())


def invites_pending(*, session: Session) -> list[Invite]:
    return list(
        session.exec(
            select(Invite)
            .where(
                col(Invite.accepted_at).is_(None),
                col(Invite.revoked_at).is_(None),
                col(Invite.expires_at) > utcnow(),
            )
            .order_by(col(Invite.created_at).desc())
        )
    )


def user_organizations(*, session: Session, user_id: int) -> list[tuple[Organization, Membership]]:
    rows = session.exec(
        select(Organization, Membership)
        .join(Membership, col(Membership.org_id) == col(Organization.id))
        .where(Membership.user_id == user_id)
        .order_by(col(Organization.name))
    )
    return list(rows.all())


def first_membership(*, session: Session, user_id: int) -> Membership | None:
    """The user's oldest membership: where a login starts (read across organizations)."""
    return session.exec(
        select(Membership).where(Membership.user_id == user_id).order_by(col(Membership.id))
    ).first()


def owner_addresses(session: Session, org_id: int) -> list[str]:
    """The e-mail addresses of the organization's active owners, sorted (who is told of
    alerts and of a paused webhook endpoint)."""
    return list(
        session.exec(
            select(User.email)
            .join(Membership, col(Membership.user_id) == col(User.id))
            .where(
                Membership.org_id == org_id,
                Membership.role == Role.owner,
                col(User.is_active).is_(True),
            )
            .order_by(col(User.email))
        ).all()
    )
