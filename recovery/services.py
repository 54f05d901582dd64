"""Every write about recovery cases: opening one, walking it through its steps, triage.

These functions expect an org-scoped session (app.tenancy). `case_open` is the one way a case
comes into being — from the owner's form, the API, the public complaint page or a shop — so
its checks and its reference number are the same everywhere.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, select

from app.errors import DomainError
from app.modelbase import RowId, utcnow
from app.orgs.models import Location
from audits.models import Shop
from recovery.models import CaseSource, RecoveryCase
from touchpoints.models import Touchpoint

MSG_SUMMARY = "Say what happened, in a sentence or two."
MSG_LOCATION_UNKNOWN = "Choose a location of this organization."
MSG_TOUCHPOINT_UNKNOWN = "Choose a touchpoint of this journey."
MSG_REPORTED_FUTURE = "The time it was reported cannot be in the future."

# Reference numbers avoid letters and digits that are easy to confuse when read out.
_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class CaseOpen(BaseModel):
    """What is known when a case is opened; pages, API and public form validate the same."""

    summary: str = Field(min_length=1, max_length=4000)
    source: CaseSource = CaseSource.other
    reported_at: datetime | None = None  # now, when not given
    touchpoint_id: RowId | None = None
    location_id: RowId | None = None
    shop_id: RowId | None = None
    customer_name: str = Field(default="", max_length=120)
    customer_contact: str = Field(default="", max_length=200)

    @field_validator("summary", "customer_name", "customer_contact")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("summary")
    @classmethod
    def _summary_given(cls, v: str) -> str:
        if not v:
            raise ValueError(MSG_SUMMARY)
        return v


def new_reference() -> str:
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))


def case_open(
    *, session: Session, org_id: int, data: CaseOpen, actor_id: int | None
) -> RecoveryCase:
    """Open a case. `actor_id` is None for a customer's own complaint (public form)."""
    now = utcnow()
    reported_at = data.reported_at or now
    if reported_at.tzinfo is None:
        raise DomainError("Give the time with its time zone.", field="reported_at")
    if reported_at > now:
        raise DomainError(MSG_REPORTED_FUTURE, field="reported_at")
    if data.location_id is not None and session.get(Location, data.location_id) is None:
        raise DomainError(MSG_LOCATION_UNKNOWN, field="location_id")
    if data.touchpoint_id is not None:
        touchpoint = session.get(Touchpoint, data.touchpoint_id)
        if touchpoint is None:
            raise DomainError(MSG_TOUCHPOINT_UNKNOWN, field="touchpoint_id")
    if data.shop_id is not None and session.get(Shop, data.shop_id) is None:
        raise DomainError("Choose a shop of this organization.", field="shop_id")
    reference = new_reference()
    while session.exec(select(RecoveryCase.id).where(RecoveryCase.reference == reference)).first():
        reference = new_reference()
    case = RecoveryCase(
        org_id=org_id,
        reference=reference,
        touchpoint_id=data.touchpoint_id,
        location_id=data.location_id,
        shop_id=data.shop_id,
        source=data.source,
        reported_at=reported_at,
        summary=data.summary,
        customer_name=data.customer_name,
        customer_contact=data.customer_contact,
        created_by=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    return case
