"""Login, logout, accepting an invite, and the account page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select
from starlette.background import BackgroundTask

from app.db import SessionDep
from app.errors import DomainError
from app.forms import domain_errors
from app.mailer import send_password_changed
from app.orgs import services
from app.orgs.models import Membership, Organization
from app.security import OptionalAuthDep, session_end, session_start
from app.templating import flash, render
from app.tenancy import MemberDep

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths may follow a login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_page(request: Request, auth: OptionalAuthDep, next: str = "/") -> Response:
    if auth is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "orgs/login.html", {"next": safe_next(next), "errors": {}, "email": ""})


@router.post("/login")
def login_submit(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = request.app.state.settings
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter your e-mail address."
    if not password:
        errors["password"] = "Enter your password."
    if not errors:
        try:
            user = services.login_authenticate(
                session=session,
                email=email,
                password=password,
                address=client_address(request),
                settings=settings,
            )
        except DomainError as exc:
            errors = domain_errors(exc)
        else:
            first = session.exec(
                select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)  # type: ignore[arg-type]
            ).first()
            session_start(
                session=session,
                request=request,
                user=user,
                org_id=first.org_id if first else None,
                settings=settings,
            )
            session.commit()
            return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request,
        "orgs/login.html",
        {"next": safe_next(next), "errors": errors, "email": email},
        status_code=429 if "__all__" in errors else 400,
    )


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    session_end(session=session, request=request)
    session.commit()
    flash(request, "You are logged out.")
    return RedirectResponse("/login", status_code=303)


@router.get("/invite/{token}")
def invite_page(request: Request, session: SessionDep, token: str) -> Response:
    invite = services.invite_lookup(session=session, raw=token)
    org = session.get(Organization, invite.org_id)
    has_account = bool(services.user_by_email(session=session, email=invite.email))
    return render(
        request,
        "orgs/invite_accept.html",
        {"invite": invite, "org": org, "has_account": has_account, "errors": {}, "name": ""},
    )


@router.post("/invite/{token}")
def invite_submit(
    request: Request,
    session: SessionDep,
    token: str,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    try:
        user, membership = services.invite_accept(
            session=session,
            raw=token,
            name=name,
            password=password,
            confirm=confirm_password,
            address=client_address(request),
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        if exc.field is None:
            raise
        session.rollback()
        invite = services.invite_lookup(session=session, raw=token)
        return render(
            request,
            "orgs/invite_accept.html",
            {
                "invite": invite,
                "org": session.get(Organization, invite.org_id),
                "has_account": bool(services.user_by_email(session=session, email=invite.email)),
                "errors": domain_errors(exc),
                "name": name,
            },
            status_code=400,
        )
    session_start(
        session=session,
        request=request,
        user=user,
        org_id=membership.org_id,
        settings=request.app.state.settings,
    )
    session.commit()
    flash(request, "Welcome to Touchstone. Your account is ready.")
    return RedirectResponse("/", status_code=303)


@router.get("/account")
def account_page(request: Request, tenant: MemberDep) -> Response:
    return render(request, "orgs/account.html", {"errors": {}})


@router.post("/account/password")
def password_submit(
    request: Request,
    tenant: MemberDep,
    auth: OptionalAuthDep,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    keep = auth.session_row.id if auth and auth.session_row else None
    try:
        services.password_change(
            session=tenant.session,
            user=tenant.user,
            current=current_password,
            new=new_password,
            confirm=confirm_password,
            keep_session_id=keep,
            address=client_address(request),
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        return render(request, "orgs/account.html", {"errors": domain_errors(exc)}, status_code=400)
    flash(request, "Password changed. Every other session has been logged out.")
    # ASVS 2.2.3: the account hears of the change by e-mail (when SMTP is set up), after the
    # answer so that a slow mail server does not hold the page.
    settings, email = request.app.state.settings, tenant.user.email
    notice = BackgroundTask(send_password_changed, settings=settings, email=email)
    return RedirectResponse("/account", status_code=303, background=notice)
