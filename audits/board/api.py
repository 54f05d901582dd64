"""The job board's JSON API under /api/v1: open jobs, a shopper's claim, posting, assigning
and taking back, the visit rules and shoppers' records. Staff (viewers) have no part in it:
fees and shoppers are not theirs to see."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from app.modelbase import MAX_ID, RowId, ident, utcnow
from app.orgs.models import Role
from app.tenancy import OwnerDep, Tenant, require_role
from audits.board import queries, services
from audits.board.models import NoShowRule, WindowRule
from audits.deps import ShopDep

router = APIRouter(tags=["job board"])

BoardDep = Annotated[Tenant, Depends(require_role(Role.owner, Role.shopper))]
ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]
ShopId = Annotated[int, Path(ge=0, le=MAX_ID)]


class JobPublic(BaseModel):
    """An open job (or a shop's place on the board) with what a shopper needs to go."""

    id: int
    status: str
    location_id: int
    location_name: str
    address: str
    region: str
    map_geo: str | None
    map_osm: str | None
    due_from: datetime | None
    due_until: datetime | None
    window: str  # "Opens on 3 January · due by Friday 18:00", in the organization's zone
    late: bool
    scenario: str
    touchpoint_names: list[str]
    fee_minor: int | None
    fee_currency: str
    fee: str  # "EUR 25.50"
    tags: list[str]  # the qualifications it asks for
    job_region: str  # the region it is limited to ("": any)


class ClaimRefused(BaseModel):
    detail: str


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shopper_id: RowId


class VisitRulesPublic(BaseModel):
    lockout_days: int
    daily_limit: int
    window_rule: WindowRule
    no_show: NoShowRule


class ShopperRecordPublic(BaseModel):
    user_id: int
    name: str
    email: str
    tags: list[str]
    region: str
    on_time: int
    late: int
    dropped: int
    returned: int
    holding_now: int


def _jobs(tenant: Tenant, shops: list[object]) -> list[JobPublic]:
    cards = queries.job_cards(tenant.session, shops, tz=tenant.org.timezone, now=utcnow())  # type: ignore[arg-type]
    return [
        JobPublic(
            id=ident(c.shop),
            status=str(c.shop.status),
            location_id=c.shop.location_id,
            location_name=c.location_name,
            address=c.address,
            region=c.region,
            map_geo=c.maps.get("geo"),
            map_osm=c.maps.get("osm"),
            due_from=c.shop.due_from,
            due_until=c.shop.due_until,
            window=c.window.words,
            late=c.window.state == "late",
            scenario=c.shop.scenario,
            touchpoint_names=c.touchpoint_names,
            fee_minor=c.shop.fee_minor,
            fee_currency=c.shop.fee_currency,
            fee=c.fee,
            tags=list(c.shop.job_tags or []),
            job_region=c.shop.job_region,
        )
        for c in cards
    ]


REFUSALS: dict[int | str, dict[str, object]] = {
    403: {"model": ClaimRefused, "description": "The shopper lacks a qualification or region"},
    404: {"model": ClaimRefused, "description": "No such job on the board"},
    409: {"model": ClaimRefused, "description": "Taken by another shopper, or a visit rule"},
}


@router.get("/jobs", response_model=list[JobPublic])
def jobs_list(tenant: BoardDep) -> list[JobPublic]:
    """Open jobs: a shopper gets those they qualify for; an owner every one."""
    if tenant.role == Role.shopper:
        shops = queries.jobs_for_shopper(tenant.session, tenant.user_id)
    else:
        shops = queries.open_jobs(tenant.session)
    return _jobs(tenant, list(shops))


@router.post("/jobs/{shop_id}/claim", response_model=JobPublic, responses=REFUSALS)
def job_claim(tenant: ShopperDep, shop_id: ShopId) -> JobPublic:
    """Claim an open job. Of two shoppers claiming at once, one gets it; the other gets 409
    with the reason. A job that breaks a visit rule is refused (409) with the rule named."""
    shop = services.job_claim(
        session=tenant.session, shop_id=shop_id, user_id=tenant.user_id, tz=tenant.org.timezone
    )
    return _jobs(tenant, [shop])[0]


@router.post("/jobs", response_model=list[JobPublic], status_code=201)
def jobs_post(tenant: OwnerDep, body: services.JobPost) -> JSONResponse:
    """Post shops (`shop_ids`) or every shop of a wave not yet started (`wave_id`) on the
    board, optionally for shoppers with every one of `tags` and of `region`, with a fee
    (`fee_minor` in minor units of `fee_currency`)."""
    shops = services.jobs_post(session=tenant.session, data=body, actor_id=tenant.user_id)
    content = [j.model_dump(mode="json") for j in _jobs(tenant, list(shops))]
    return JSONResponse(content, status_code=201)


@router.post("/jobs/{shop_id}/assign", response_model=JobPublic)
def job_assign(tenant: OwnerDep, shop: ShopDep, body: AssignBody) -> JobPublic:
    """Give a job on the board (or a shop without a shopper) to a shopper; the visit rules
    apply (409 with the rule named)."""
    services.job_assign(
        session=tenant.session,
        shop=shop,
        shopper_id=body.shopper_id,
        actor_id=tenant.user_id,
        tz=tenant.org.timezone,
    )
    return _jobs(tenant, [shop])[0]


@router.post("/jobs/{shop_id}/take-back", response_model=JobPublic)
def job_take_back(tenant: OwnerDep, shop: ShopDep) -> JobPublic:
    """Take a job off the board, or a shop off its shopper before it is started."""
    services.job_take_back(session=tenant.session, shop=shop, actor_id=tenant.user_id)
    return _jobs(tenant, [shop])[0]


@router.get("/visit-rules", response_model=VisitRulesPublic)
def rules_get(tenant: OwnerDep) -> VisitRulesPublic:
    rules = queries.visit_rules(tenant.session)
    return VisitRulesPublic.model_validate(rules, from_attributes=True)


@router.put("/visit-rules", response_model=VisitRulesPublic)
def rules_put(tenant: OwnerDep, body: services.VisitRulesUpdate) -> VisitRulesPublic:
    rules = services.visit_rules_update(session=tenant.session, org_id=tenant.org_id, data=body)
    return VisitRulesPublic.model_validate(rules, from_attributes=True)


@router.get("/shoppers/records", response_model=list[ShopperRecordPublic])
def records(tenant: OwnerDep) -> list[ShopperRecordPublic]:
    """Each shopper's record: shops handed in on time and late, dropped, returned."""
    return [
        ShopperRecordPublic(
            user_id=r.user_id,
            name=r.name,
            email=r.email,
            tags=r.tags,
            region=r.region,
            on_time=r.on_time,
            late=r.late,
            dropped=r.dropped,
            returned=r.returned,
            holding_now=r.open_now,
        )
        for r in queries.shopper_records(tenant.session)
    ]
