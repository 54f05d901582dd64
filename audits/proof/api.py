"""JSON API for the proof of visit: a shopper's visit start, and the owner's reading of it
(staff never: the location check and the visit's times are the reviewer's)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field

from app.orgs.models import Role
from app.tenancy import OwnerDep, Tenant, require_role
from audits.deps import ShopDep
from audits.proof.queries import proof_view
from audits.proof.routes import visit_start_body

router = APIRouter(tags=["shops"])

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]


class LocationCheckIn(BaseModel):
    consent: bool = Field(description="Whether the shopper agreed to the location check")
    latitude: float | None = Field(default=None, description="The phone's position, if given")
    longitude: float | None = None
    accuracy: float | None = Field(default=None, description="The phone's error estimate, m")


class VisitStartIn(BaseModel):
    started_at: datetime | None = Field(
        default=None, description="When the shopper pressed start, by the phone's clock"
    )
    location_check: LocationCheckIn | None = Field(
        default=None,
        description="Only when the organization asks for a location check and the location "
        "has coordinates. The position is used to measure the distance and never kept.",
    )


class VisitStartAck(BaseModel):
    ok: bool
    ack: Literal["visit-start"]
    shop_id: int
    start_at: datetime | None
    location_check: str | None


class LocationCheckPublic(BaseModel):
    outcome: str = Field(description="measured, declined or unavailable")
    distance_m: int | None
    accuracy_m: int | None
    checked_at: datetime | None
    words: str


class ProofPublic(BaseModel):
    opened_at: datetime | None
    started_at: datetime | None
    started_by: str = Field(description="button (Start the visit), answer (first answer) or ''")
    ended_at: datetime | None
    minutes: int | None
    answers: int
    location_check: LocationCheckPublic | None


@router.post(
    "/shops/{shop_id}/visit-start",
    response_model=VisitStartAck,
    responses={
        404: {"description": "No such shop (or not yours)"},
        409: {"description": "Handed in already, or outside its visit window"},
        422: {"description": "A bad field: `field` names it"},
    },
)
def visit_start_api(
    tenant: ShopperDep, shop: ShopDep, data: Annotated[VisitStartIn, Body()]
) -> Any:
    """The shopper starts the visit (a resend keeps the first start). The distance from the
    location is computed here and only the distance is kept; the reply does not show it."""
    return visit_start_body(tenant, shop, data.model_dump(mode="json", exclude_unset=True))


@router.get("/shops/{shop_id}/proof", response_model=ProofPublic)
def proof_read(tenant: OwnerDep, shop: ShopDep) -> ProofPublic:
    """The proof of visit (owners only): opened, started, ended, and the location check."""
    view = proof_view(tenant.session, shop)
    check = view.check
    return ProofPublic(
        opened_at=view.opened_at,
        started_at=view.started_at,
        started_by=view.started_by,
        ended_at=view.ended_at,
        minutes=view.minutes,
        answers=view.answers,
        location_check=None
        if check is None
        else LocationCheckPublic(
            outcome=str(check.outcome),
            distance_m=check.distance_m,
            accuracy_m=check.accuracy_m,
            checked_at=check.checked_at,
            words=view.check_words,
        ),
    )
