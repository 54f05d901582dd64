"""Reading the proof of visit. Owners only: the shop page, the review queue and the API
hand it to owners and never to staff (tests/audits/test_proof_location.py proves it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.orgs.models import Location, Organization
from audits.models import Shop
from audits.proof.models import CheckOutcome, VisitLocationCheck, VisitProof


def shop_proof(session: Session, shop: Shop) -> VisitProof | None:
    return session.exec(select(VisitProof).where(col(VisitProof.shop_id) == shop.id)).first()


def distance_words(metres: int) -> str:
    """ "less than 10 m", "about 120 m", "about 1.4 km": as exact as a phone's position."""
    if metres < 10:
        return "less than 10 m"
    tens = round(metres / 10) * 10
    if tens < 1000:
        return f"about {tens} m"
    return f"about {metres / 1000:.1f} km"


@dataclass(frozen=True)
class ProofView:
    """What the reviewer reads of one visit."""

    opened_at: datetime | None
    started_at: datetime | None
    started_by: str  # "button" (Start the visit), "answer" (first answer) or ""
    ended_at: datetime | None
    answers: int
    check: VisitLocationCheck | None

    @property
    def minutes(self) -> int | None:
        if self.started_at is None or self.ended_at is None or self.ended_at < self.started_at:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)

    @property
    def check_words(self) -> str:
        """ "about 120 m from the location (the phone was sure to within 15 m)", "shopper
        declined", "position unavailable"; "" when there was no check."""
        check = self.check
        if check is None:
            return ""
        if check.outcome == CheckOutcome.declined:
            return "shopper declined"
        if check.outcome == CheckOutcome.unavailable or check.distance_m is None:
            return "position unavailable"
        words = distance_words(check.distance_m) + " from the location"
        if check.accuracy_m is not None:
            words += f" (the phone was sure to within {check.accuracy_m} m)"
        return words

    @property
    def empty(self) -> bool:
        return self.opened_at is None and self.started_at is None and self.check is None


def _view(proof: VisitProof | None, check: VisitLocationCheck | None) -> ProofView:
    if proof is None:
        return ProofView(None, None, "", None, 0, check)
    # The start button's time when the shopper pressed it, else the first answer's; the
    # end is the last answer's (the phone's clock both).
    started, by = (proof.start_at, "button") if proof.start_at else (proof.started_at, "answer")
    if started is None:
        by = ""
    return ProofView(proof.opened_at, started, by, proof.ended_at, proof.answers, check)


def proof_views(session: Session, shops: Sequence[Shop]) -> dict[int, ProofView]:
    """The proof of each shop, by shop id, in two queries whatever the number of shops."""
    ids = [shop.id for shop in shops if shop.id is not None]
    if not ids:
        return {}
    proofs = {
        p.shop_id: p
        for p in session.exec(select(VisitProof).where(col(VisitProof.shop_id).in_(ids)))
    }
    checks = {
        c.shop_id: c
        for c in session.exec(
            select(VisitLocationCheck).where(col(VisitLocationCheck.shop_id).in_(ids))
        )
    }
    return {i: _view(proofs.get(i), checks.get(i)) for i in ids}


def proof_view(session: Session, shop: Shop) -> ProofView:
    return proof_views(session, [shop]).get(shop.id or 0) or _view(None, None)


@dataclass(frozen=True)
class StartState:
    """What the fill page's "Start the visit" needs: whether the visit was started (and
    when), and whether to ask for a location check first."""

    start_at: datetime | None
    ask_check: bool
    retention_days: int | None


def location_check_wanted(session: Session, shop: Shop) -> bool:
    """Whether the phone asks for a location check as this shop's visit starts: the
    organization turned it on and the shop's location has coordinates."""
    org = session.get(Organization, shop.org_id)
    if org is None or not org.location_check:
        return False
    place = session.get(Location, shop.location_id) if shop.location_id else None
    return place is not None and place.latitude is not None and place.longitude is not None


def visit_start_state(session: Session, shop: Shop) -> StartState:
    proof = shop_proof(session, shop)
    org = session.get(Organization, shop.org_id)
    return StartState(
        start_at=proof.start_at if proof else None,
        ask_check=location_check_wanted(session, shop),
        retention_days=org.contact_retention_days if org else None,
    )
