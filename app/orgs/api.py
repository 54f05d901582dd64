"""JSON API for the current user, organizations, people, invites and locations."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from app.orgs import queries, services
from app.orgs.deps import InviteDep, LocationDep
from app.orgs.models import (
    Invite,
    InviteCreate,
    InviteCreated,
    InvitePublic,
    Location,
    LocationCreate,
    LocationPublic,
    LocationUpdate,
    MembershipPublic,
    OrganizationPublic,
    Role,
    UserPublic,
)
from app.tenancy import MemberDep, OwnerDep, ReaderDep

router = APIRouter(tags=["organization"])


class Me(BaseModel):
    user: UserPublic
    organization: OrganizationPublic
    role: Role


class MyOrganization(BaseModel):
    organization: OrganizationPublic
    role: Role


@router.get("/me", response_model=Me)
def me(tenant: MemberDep) -> Me:
    """Who the credential belongs to, and the organization it acts in."""
    return Me(
        user=UserPublic.model_validate(tenant.user, from_attributes=True),
        organization=OrganizationPublic.model_validate(tenant.org, from_attributes=True),
        role=tenant.role,
    )


@router.get("/organizations", response_model=list[MyOrganization])
def my_organizations(tenant: MemberDep) -> list[MyOrganization]:
    return [
        MyOrganization(
            organization=OrganizationPublic.model_validate(org, from_attributes=True),
            role=membership.role,
        )
        for org, membership in tenant.organizations()
    ]


@router.get("/members", response_model=list[MembershipPublic])
def members(tenant: OwnerDep) -> list[MembershipPublic]:
    return [
        MembershipPublic(
            id=m.id,  # type: ignore[arg-type]
            user=UserPublic.model_validate(u, from_attributes=True),
            role=m.role,
        )
        for m, u in queries.members_list(session=tenant.session, org_id=tenant.org_id)
    ]


@router.get("/invites", response_model=list[InvitePublic])
def invites(tenant: OwnerDep) -> list[Invite]:
    """Invites that can still be used."""
    return queries.invites_pending(session=tenant.session)


@router.post("/invites", response_model=InviteCreated, status_code=201)
def invite_create(request: Request, tenant: OwnerDep, data: InviteCreate) -> InviteCreated:
    """Invite someone; the response carries the one-time link (shown only here). With
    e-mail on, the link is also e-mailed to them by a background job (tried again while the
    mail server is down; a message that never went is listed on /settings/mail)."""
    invite, link = services.invite_create(
        session=tenant.session,
        org=tenant.org,
        data=data,
        created_by=tenant.user_id,
        settings=request.app.state.settings,
    )
    return InviteCreated(
        **InvitePublic.model_validate(invite, from_attributes=True).model_dump(), link=link
    )


@router.delete("/invites/{invite_id}", status_code=204)
def invite_revoke(tenant: OwnerDep, invite: InviteDep) -> Response:
    services.invite_revoke(session=tenant.session, invite=invite)
    return Response(status_code=204)


@router.get("/locations", response_model=list[LocationPublic])
def locations(tenant: ReaderDep) -> list[Location]:
    return queries.locations_list(session=tenant.session)


@router.post("/locations", response_model=LocationPublic, status_code=201)
def location_create(tenant: OwnerDep, data: LocationCreate) -> Location:
    return services.location_create(session=tenant.session, org_id=tenant.org_id, data=data)


@router.get("/locations/{location_id}", response_model=LocationPublic)
def location_read(tenant: ReaderDep, location: LocationDep) -> Location:
    return location


@router.patch("/locations/{location_id}", response_model=LocationPublic)
def location_update(tenant: OwnerDep, location: LocationDep, data: LocationUpdate) -> Location:
    return services.location_update(session=tenant.session, location=location, data=data)


@router.delete("/locations/{location_id}", status_code=204)
def location_delete(tenant: OwnerDep, location: LocationDep) -> Response:
    services.location_delete(session=tenant.session, location=location)
    return Response(status_code=204)
