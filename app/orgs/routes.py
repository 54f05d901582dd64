"""Pages of the platform: home by role, switching organizations, people and invites."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app import events, providers
from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.modelbase import ident
from app.orgs import queries, services
from app.orgs.deps import InviteDep, MembershipDep
from app.orgs.models import InviteCreate, OrganizationCreate, Role, User
from app.security import AuthDep
from app.templating import flash, redirect, render
from app.tenancy import MemberDep, OwnerDep, scope_session

router = APIRouter(include_in_schema=False)


@router.post("/orgs/switch")
def org_switch(
    request: Request, tenant: MemberDep, auth: AuthDep, org_id: Annotated[int, Form()]
) -> Response:
    orgs = {org.id for org, _ in tenant.organizations()}
    if org_id not in orgs or auth.session_row is None:
        raise HTTPException(404, "Not found.")
    services.session_org_switch(session=tenant.session, session_row=auth.session_row, org_id=org_id)
    return RedirectResponse("/", status_code=303)


MSG_ORG_CREATE_OWNERS = (
    "Only owners can add organizations. Ask the person who runs Touchstone to make one "
    "for you (touchstone org create)."
)


@router.post("/orgs")
def org_create(
    request: Request,
    tenant: MemberDep,
    auth: AuthDep,
    name: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "UTC",
    starter: Annotated[str, Form()] = "",
) -> Response:
    """A consultant adds another client organization and becomes its owner.

    `starter` names a template set to begin the new organization's journey with.
    """
    # Only someone who already owns an organization may make one (docs/security.md: a new
    # organization lets its owner invite any address, so it is an owner's power).
    if not any(m.role == Role.owner for _, m in tenant.organizations()):
        raise HTTPException(403, MSG_ORG_CREATE_OWNERS)
    data, errors = parse_form(OrganizationCreate, {"name": name, "timezone": timezone})
    # Starter journeys belong to touchpoints, above this package (app/providers.py).
    if starter and not providers.ask(providers.STARTER_KNOWN, key=starter):
        errors["starter"] = "Choose a journey from the list."
    if data is None or errors:
        return render(
            request,
            "orgs/account.html",
            {
                "errors": {f"org_{k}": v for k, v in errors.items()},
                "form_timezone": timezone,
                "form_starter": starter,
                **queries.new_org_choices(),
            },
            status_code=400,
        )
    org = services.org_create(session=tenant.session, data=data, owner=tenant.user)
    # Commits the new organization with the login session moved into it.
    services.session_org_switch(
        session=tenant.session, session_row=auth.session_row, org_id=ident(org)
    )
    # From here the request acts inside the new organization, as its owner: touchpoints
    # applies the starter journey (app/events.py).
    scope_session(tenant.session, ident(org))
    events.emit(events.ORG_CREATED, session=tenant.session, org_id=ident(org), starter=starter)
    flash(request, f"{org.name} is ready. You are its owner.")
    return RedirectResponse("/", status_code=303)


# --- people ------------------------------------------------------------------------------


def _people_context(tenant: OwnerDep, **extra: object) -> dict[str, object]:
    return {
        "members": queries.members_list(session=tenant.session, org_id=tenant.org_id),
        "invites": queries.invites_pending(session=tenant.session),
        "errors": {},
        "form": {"email": "", "role": "shopper"},
        "created": None,
        "qual_errors": {},
        "qual_form": {},
        **extra,
    }


@router.get("/people")
def people_page(request: Request, tenant: OwnerDep) -> Response:
    return render(request, "orgs/people.html", _people_context(tenant))


@router.post("/people/invites")
def invite_create(
    request: Request,
    tenant: OwnerDep,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    settings = request.app.state.settings
    data, errors = parse_form(InviteCreate, {"email": email, "role": role})
    created = None
    if data is not None:
        try:
            invite, link = services.invite_create(
                session=tenant.session,
                org=tenant.org,
                data=data,
                created_by=tenant.user_id,
                settings=settings,
            )
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            created = {"invite": invite, "link": link, "mailing": settings.smtp_enabled}
    context = _people_context(
        tenant,
        errors=errors,
        form={"email": email, "role": role} if errors else {"email": "", "role": role},
        created=created,
    )
    return render(
        request,
        "orgs/people.html",
        context,
        fragment="orgs/_people_invites.html",
        status_code=400 if errors else 200,
    )


@router.post("/people/invites/{invite_id}/revoke")
def invite_revoke(request: Request, tenant: OwnerDep, invite: InviteDep) -> Response:
    services.invite_revoke(session=tenant.session, invite=invite)
    return render(
        request, "orgs/people.html", _people_context(tenant), fragment="orgs/_people_invites.html"
    )


@router.post("/people/{membership_id}/role")
def member_role(
    request: Request, tenant: OwnerDep, membership: MembershipDep, role: Annotated[str, Form()] = ""
) -> Response:
    user = tenant.session.get(User, membership.user_id)
    assert user is not None
    try:
        services.membership_role_change(
            session=tenant.session, org=tenant.org, user=user, role=Role(role)
        )
        flash(request, f"{user.name} is now {services.role_label(role)}.")
    except (DomainError, ValueError) as exc:
        tenant.session.rollback()
        message = exc.message if isinstance(exc, DomainError) else "Choose a role from the list."
        flash(request, message, "error")
    return RedirectResponse("/people", status_code=303)


@router.post("/people/{membership_id}/qualifications")
def member_qualify(
    request: Request,
    tenant: OwnerDep,
    membership: MembershipDep,
    tags: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
) -> Response:
    """A shopper's qualifications and region, for the job board (audits/board)."""
    try:
        services.membership_qualify(
            session=tenant.session, membership=membership, tags=tags, region=region
        )
    except DomainError as exc:
        tenant.session.rollback()
        context = _people_context(
            tenant,
            qual_errors={membership.id: domain_errors(exc)},
            qual_form={membership.id: {"tags": tags, "region": region}},
        )
        return render(request, "orgs/people.html", context, status_code=exc.status_code)
    user = tenant.session.get(User, membership.user_id)
    flash(request, f"Qualifications of {user.name if user else 'the shopper'} saved.")
    return redirect(request, "/people")


@router.post("/people/{membership_id}/remove")
def member_remove(request: Request, tenant: OwnerDep, membership: MembershipDep) -> Response:
    try:
        services.membership_remove(session=tenant.session, membership=membership)
        flash(request, "Removed from this organization.")
    except DomainError as exc:
        flash(request, exc.message, "error")
    return redirect(request, "/people")
