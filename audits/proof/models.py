"""What the phone recorded of a visit: its times, and (with consent) the location check."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from app.modelbase import OrgOwned, utc_field


class VisitProof(OrgOwned, table=True):
    """One row per shop. `opened_at` is set when the shopper first opens the fill page and
    `start_at` when they press "Start the visit"; the rest is written again at each hand-in:
    the phone's time of the first and of the last answer (Answer.given_at: the phone's
    clock, never after the server received it), and when the server took the hand-in."""

    __tablename__ = "visit_proof"
    __table_args__ = (UniqueConstraint("shop_id", name="uq_visit_proof_shop"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    started_at: datetime | None = utc_field(default=None)
    ended_at: datetime | None = utc_field(default=None)
    answers: int = 0
    handed_in_at: datetime | None = utc_field(default=None)
    # The server's time of the first GET of the fill page by the shopper (an opening from
    # the phone's saved copy without signal reaches no server: the next one with signal
    # counts). docs/guide/shoppers.md, "Proof of visit".
    opened_at: datetime | None = utc_field(default=None)
    # The phone's time of "Start the visit" (sent through the offline queue; a clock ahead
    # of the server, or before the shop was planned, counts as the time it arrived).
    start_at: datetime | None = utc_field(default=None)


class CheckOutcome(StrEnum):
    measured = "measured"  # the shopper agreed and the phone gave a position
    declined = "declined"  # the shopper said no
    unavailable = "unavailable"  # agreed, but the phone gave no position (refused, timeout)


class VisitLocationCheck(OrgOwned, table=True):
    """The location check at a visit's start: only how far the phone said it was from the
    location, never where it was. Owners only; deleted after the organization's
    contact-retention days (audits.proof.services.location_checks_purge)."""

    __tablename__ = "visit_location_check"
    __table_args__ = (UniqueConstraint("shop_id", name="uq_visit_location_check_shop"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shop.id", index=True, ondelete="CASCADE")
    outcome: CheckOutcome = Field(sa_type=String(16))
    distance_m: int | None = None  # metres from the location's coordinates, rounded
    accuracy_m: int | None = None  # the phone's own estimate of its error, in metres
    checked_at: datetime | None = utc_field(default=None)  # the phone's time (clamped)
    recorded_at: datetime = utc_field(index=True)  # the server's: retention counts from it
