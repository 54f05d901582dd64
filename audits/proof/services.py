"""Keeping the proof of visit: the fill page's first opening, the visit's start (with the
location check, when the organization asks for it and the shopper agrees), and the answer
times at each hand-in; and the location checks' deletion after the retention days."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app.errors import DomainError
from app.modelbase import ident
from app.orgs.coordinates import MSG_LATITUDE, MSG_LONGITUDE, distance_m
from app.orgs.models import Location, Organization
from app.tenancy import unscoped
from audits.models import Answer, Shop
from audits.proof.models import CheckOutcome, VisitLocationCheck, VisitProof
from audits.proof.queries import location_check_wanted

MSG_ACCURACY = "The position's accuracy must be a number of metres from 0 to 100000."
MSG_CONSENT = "Say whether the shopper agreed to the location check (true or false)."
ACCURACY_MAX = 100_000.0


@dataclass(frozen=True)
class LocationCheckInput:
    """What the phone sends of the location check: the shopper's answer, and the position
    when they agreed and the phone gave one. The position is used to measure, never kept."""

    consent: bool
    latitude: float | None = None
    longitude: float | None = None
    accuracy: float | None = None


def _number(raw: object, low: float, high: float, message: str, field: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise DomainError(message, field=field)
    value = float(raw)
    if not math.isfinite(value) or not low <= value <= high:
        raise DomainError(message, field=field)
    return value


def location_check_input(raw: object) -> LocationCheckInput | None:
    """The `location_check` object of a visit start (page or API), or None when the phone
    did not ask (no check set up when its page was made). DomainError names a bad field."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise DomainError(MSG_CONSENT, field="location_check")
    consent = raw.get("consent")
    if not isinstance(consent, bool):
        raise DomainError(MSG_CONSENT, field="location_check.consent")
    lat = _number(raw.get("latitude"), -90, 90, MSG_LATITUDE, "location_check.latitude")
    lon = _number(raw.get("longitude"), -180, 180, MSG_LONGITUDE, "location_check.longitude")
    accuracy = _number(
        raw.get("accuracy"), 0, ACCURACY_MAX, MSG_ACCURACY, "location_check.accuracy"
    )
    if (lat is None) != (lon is None):
        raise DomainError(
            "Send both the latitude and the longitude, or neither.",
            field="location_check.longitude",
        )
    return LocationCheckInput(consent=consent, latitude=lat, longitude=lon, accuracy=accuracy)


def _proof(session: Session, shop: Shop) -> VisitProof:
    proof = session.exec(select(VisitProof).where(col(VisitProof.shop_id) == shop.id)).first()
    return proof or VisitProof(org_id=shop.org_id, shop_id=ident(shop))


def proof_opened(*, session: Session, shop: Shop, now: datetime) -> None:
    """The first time the shopper opened the shop's fill page (a later opening changes
    nothing, and costs one read). Commits when it writes; never fails the page."""
    proof = _proof(session, shop)
    if proof.opened_at is not None:
        return
    proof.opened_at = now
    session.add(proof)
    try:
        session.commit()
    except DBAPIError:
        # The page's own saved copies are fetched at the same moment, and SQLite refuses to
        # turn a page's read into a write once another has written: the page must open all
        # the same. Another of those requests keeps the time (the next opening at worst).
        session.rollback()


def proof_start_record(
    *,
    session: Session,
    shop: Shop,
    start_at: datetime,
    check: LocationCheckInput | None,
    received: datetime,
) -> tuple[VisitProof, VisitLocationCheck | None]:
    """Keep the visit's start and its location check (no commit). The first start counts:
    a resend or a second press changes nothing. The phone's position is turned into a
    distance here and goes no further; when the organization does not ask for the check
    (or the location has no coordinates) nothing of it is kept, whatever the phone sent."""
    proof = _proof(session, shop)
    if proof.start_at is None:
        proof.start_at = start_at
        session.add(proof)
    stored = session.exec(
        select(VisitLocationCheck).where(col(VisitLocationCheck.shop_id) == shop.id)
    ).first()
    if stored is not None or check is None or not location_check_wanted(session, shop):
        return proof, stored
    place = session.get(Location, shop.location_id)
    assert place is not None and place.latitude is not None and place.longitude is not None
    distance = accuracy = None
    if not check.consent:
        outcome = CheckOutcome.declined
    elif check.latitude is None or check.longitude is None:
        outcome = CheckOutcome.unavailable
    else:
        outcome = CheckOutcome.measured
        metres = distance_m(place.latitude, place.longitude, check.latitude, check.longitude)
        distance = round(metres)
        accuracy = None if check.accuracy is None else round(check.accuracy)
    row = VisitLocationCheck(
        org_id=shop.org_id,
        shop_id=ident(shop),
        outcome=outcome,
        distance_m=distance,
        accuracy_m=accuracy,
        checked_at=start_at,
        recorded_at=received,
    )
    session.add(row)
    return proof, row


def proof_record(session: Session, shop: Shop) -> VisitProof:
    """The phone's first and last answer times of the shop, and its hand-in time, stored
    (no commit). A shop returned and handed in again has them taken anew over all its
    answers: the visit started with the first answer ever given."""
    first, last, count = session.execute(
        sa_select(
            func.min(col(Answer.given_at)),
            func.max(col(Answer.given_at)),
            func.count(col(Answer.id)),
        ).where(col(Answer.shop_id) == shop.id)
    ).one()
    proof = _proof(session, shop)
    proof.started_at = first
    proof.ended_at = last
    proof.answers = int(count)
    proof.handed_in_at = shop.submitted_at
    session.add(proof)
    return proof


def location_checks_purge(*, session: Session, now: datetime) -> int:
    """Delete every location check recorded more than its organization's contact-retention
    days before `now` (the same rule as customers' contact details, recovery.retention);
    organizations that keep contact details keep them too. Across every organization on
    purpose (a maintenance job); commits nothing itself. Returns how many went."""
    if now.tzinfo is None:
        raise ValueError("`now` must carry its time zone")
    removed = 0
    with unscoped(session):
        orgs = session.exec(
            select(Organization).where(col(Organization.contact_retention_days).is_not(None))
        ).all()
        for org in orgs:
            assert org.contact_retention_days is not None
            cutoff = now - timedelta(days=org.contact_retention_days)
            result = session.execute(
                delete(VisitLocationCheck).where(
                    col(VisitLocationCheck.org_id) == ident(org),
                    col(VisitLocationCheck.recorded_at) < cutoff,
                )
            )
            removed += result.rowcount  # type: ignore[attr-defined]
    for obj in list(session.identity_map.values()):
        if isinstance(obj, VisitLocationCheck):
            session.expunge(obj)
    return removed
