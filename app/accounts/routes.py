"""Login (with its second step), logout, accepting an invite, the account page, and the
strength meter under their new-password fields."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask

from app.accounts import services as two_step
from app.accounts.login import session_begin
from app.db import SessionDep
from app.errors import DomainError
from app.forms import domain_errors
from app.mailer import password_changed_text
from app.orgs import services
from app.orgs.models import Organization, Role
from app.orgs.queries import new_org_choices
from app.outbox.services import notice_queue
from app.security import (
    MAX_PASSWORD_LENGTH,
    OptionalAuthDep,
    password_strength,
)
from app.templating import flash, render
from app.tenancy import MemberDep, Tenant, two_step_setup_owed

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths may follow a login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def sso_button(request: Request) -> dict[str, str]:
    """The provider's name for "Log in with …" (docs/sso.md), when single sign-on is set up."""
    settings = request.app.state.settings
    return {"sso_name": settings.oidc_name} if settings.sso_enabled else {}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_page(
    request: Request, auth: OptionalAuthDep, session: SessionDep, next: str = "/"
) -> Response:
    if auth is not None:
        # An owner sent here because their organization requires two-step login (see
        # tenancy.TwoStepRequired) is logged in, but must set it up before going on.
        if auth.via == "cookie" and two_step_setup_owed(session=session, user=auth.user):
            return RedirectResponse("/account#two-step", status_code=303)
        return RedirectResponse(safe_next(next), status_code=303)
    context = {"next": safe_next(next), "errors": {}, "email": ""}
    return render(request, "orgs/login.html", {**context, **sso_button(request)})


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
            # With two-step login on, no session yet: session_begin sends the user on to
            # the code page (and undoes the cleared failure count until the code is right).
            return session_begin(
                request=request, session=session, user=user, target=safe_next(next)
            )
    return render(
        request,
        "orgs/login.html",
        {"next": safe_next(next), "errors": errors, "email": email, **sso_button(request)},
        status_code=429 if "__all__" in errors else 400,
    )


def _pending_expired(request: Request) -> Response:
    request.session.pop(two_step.PENDING_KEY, None)
    flash(request, two_step.MSG_PENDING_EXPIRED)
    return RedirectResponse("/login", status_code=303)


@router.get("/login/code")
def login_code_page(request: Request, session: SessionDep) -> Response:
    user = two_step.pending_user(session=session, pending=request.session.get(two_step.PENDING_KEY))
    if user is None:
        return _pending_expired(request)
    return render(request, "orgs/login_code.html", {"errors": {}})


@router.post("/login/code")
def login_code_submit(
    request: Request, session: SessionDep, code: Annotated[str, Form()] = ""
) -> Response:
    pending = request.session.get(two_step.PENDING_KEY)
    user = two_step.pending_user(session=session, pending=pending)
    if user is None:
        return _pending_expired(request)
    settings = request.app.state.settings
    try:
        recovery_used = two_step.two_step_login_verify(
            session=session,
            user=user,
            code=code,
            address=client_address(request),
            settings=settings,
        )
    except DomainError as exc:
        return render(
            request,
            "orgs/login_code.html",
            {"errors": domain_errors(exc)},
            status_code=exc.status_code,
        )
    target = pending.get("next") if isinstance(pending, dict) else None
    org_id = pending.get("org") if isinstance(pending, dict) else None
    response = session_begin(
        request=request,
        session=session,
        user=user,
        target=safe_next(target if isinstance(target, str) else None),
        org_id=org_id if isinstance(org_id, int) else None,
        second_step_done=True,  # two_step_login_verify has just accepted the code
    )
    if recovery_used:
        response.background = _notice(
            settings, user.email, "recovery_used", left=two_step.recovery_codes_left(user)
        )
    return response


def _notice(settings: Any, email: str, change: str, left: int = 0) -> BackgroundTask | None:
    """The two-step change e-mail, a background job so a slow mail server never holds the
    page and a failed send is tried again (ASVS 2.5.5)."""
    subject, body = two_step.change_notice_text(
        settings=settings, email=email, change=change, left=left
    )
    return notice_queue(settings=settings, to=email, subject=subject, body=body)


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    services.login_session_close(session=session, request=request)
    flash(request, "You are logged out.")
    return RedirectResponse("/login", status_code=303)


@router.get("/invite/{token}")
def invite_page(request: Request, session: SessionDep, token: str) -> Response:
    """The same page whether or not the address has an account: whoever made the invite
    (anyone who owns an organization) must not learn which addresses have accounts."""
    invite = services.invite_lookup(session=session, raw=token)
    org = session.get(Organization, invite.org_id)
    return render(
        request,
        "orgs/invite_accept.html",
        {
            "invite": invite,
            "org": org,
            "errors": {},
            "name": "",
            "token": token,
            **sso_button(request),
        },
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
                "errors": domain_errors(exc),
                "name": name,
                "token": token,
                **sso_button(request),
            },
            status_code=400,
        )
    # An account with two-step login is asked for its code before any session starts.
    response = session_begin(
        request=request, session=session, user=user, target="/", org_id=membership.org_id
    )
    if not user.two_step_on:
        flash(request, "Welcome to Touchstone. Your account is ready.")
    return response


# ASVS 2.1.8: the strength meter under every new-password field asks this, so it says
# exactly what saving would say. Public, because an invitee has no session yet; CSRF applies
# as to every form, and the password is capped before it is scored. Never logged or stored.
STRENGTH_LABELS = ("Too weak", "Weak", "Fair", "Strong", "Very strong")


@router.post("/password/strength")
def password_strength_meter(
    request: Request,
    session: SessionDep,
    auth: OptionalAuthDep,
    # The account page's field is "new_password", the invite page's "password".
    new_password: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    invite: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    chosen = new_password or password
    if len(chosen) > MAX_PASSWORD_LENGTH:
        # 422 (htmx still shows it) and never scored: the cap bounds zxcvbn's work, and
        # password_strength refuses an over-long password before scoring it.
        context: dict[str, object] = {
            "problem": password_strength(chosen[: MAX_PASSWORD_LENGTH + 1]).problem,
            "strength": None,
        }
        return render(request, "orgs/_password_meter.html", context, status_code=422)
    if not chosen:
        return render(request, "orgs/_password_meter.html", {"strength": None, "problem": None})
    # The same extra words saving uses: the invite's address and the name typed beside it,
    # or the logged-in account's address and name.
    user_inputs: tuple[str, ...] = ()
    if invite and len(invite) <= 120:  # real links are 43 characters
        try:
            pending = services.invite_lookup(session=session, raw=invite)
        except DomainError:
            pending = None
        if pending is not None:
            user_inputs = (pending.email, name[:120])  # a longer name is refused on saving
    elif auth is not None:
        user_inputs = (auth.user.email, auth.user.name)
    strength = password_strength(chosen, user_inputs=user_inputs)
    context = {
        "strength": strength,
        "problem": strength.problem,
        "label": STRENGTH_LABELS[strength.score],
    }
    return render(request, "orgs/_password_meter.html", context)


def _account(
    request: Request, tenant: Tenant, errors: dict[str, str], status_code: int = 200, **more: Any
) -> Response:
    user = tenant.user
    setup: dict[str, str] | None = None
    secret = request.session.get(two_step.SETUP_KEY)
    if not user.two_step_on and isinstance(secret, str):
        uri = two_step.provisioning_uri(secret, user.email)
        grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        setup = {"grouped": grouped, "qr": two_step.qr_data_uri(uri)}
    context = {
        "errors": errors,
        "setup": setup,
        "recovery_left": two_step.recovery_codes_left(user),
        "recovery_low": two_step.RECOVERY_LOW,
        "two_step_required": tenant.role == Role.owner and tenant.org.owners_two_step,
        **new_org_choices(),
        **more,
    }
    # htmx forms of the two-step section get that section back, drawn the same way.
    fragment = "orgs/_two_step.html"
    return render(request, "orgs/account.html", context, fragment=fragment, status_code=status_code)


@router.get("/account")
def account_page(request: Request, tenant: MemberDep) -> Response:
    return _account(request, tenant, {})


@router.post("/account/two-step/start")
def two_step_start(request: Request, tenant: MemberDep) -> Response:
    if not tenant.user.two_step_on:
        # Kept in the signed cookie until confirmed: an abandoned set-up leaves nothing behind.
        request.session[two_step.SETUP_KEY] = two_step.new_secret()
    return RedirectResponse("/account#two-step", status_code=303)


@router.post("/account/two-step/cancel")
def two_step_cancel(request: Request, tenant: MemberDep) -> Response:
    request.session.pop(two_step.SETUP_KEY, None)
    return RedirectResponse("/account#two-step", status_code=303)


@router.post("/account/two-step/confirm")
def two_step_confirm(
    request: Request,
    tenant: MemberDep,
    auth: OptionalAuthDep,
    code: Annotated[str, Form()] = "",
) -> Response:
    secret = request.session.get(two_step.SETUP_KEY)
    try:
        codes = two_step.two_step_enable(
            session=tenant.session,
            user=tenant.user,
            secret=secret if isinstance(secret, str) else None,
            code=code,
            keep_session_id=auth.session_row.id if auth and auth.session_row else None,
            address=client_address(request),
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        return _account(request, tenant, domain_errors(exc), status_code=exc.status_code)
    request.session.pop(two_step.SETUP_KEY, None)
    # Shown on this answer only; the database keeps their digests.
    response = _account(request, tenant, {}, recovery_codes=codes)
    response.background = _notice(request.app.state.settings, tenant.user.email, "on")
    return response


@router.post("/account/two-step/disable")
def two_step_disable(
    request: Request,
    tenant: MemberDep,
    off_password: Annotated[str, Form()] = "",
    off_code: Annotated[str, Form()] = "",
) -> Response:
    try:
        two_step.two_step_disable(
            session=tenant.session,
            user=tenant.user,
            password=off_password,
            code=off_code,
            address=client_address(request),
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        # The form's fields are named apart from the password-change form's on the same page.
        names = {"current_password": "off_password", "code": "off_code"}
        errors = {names.get(k, k): v for k, v in domain_errors(exc).items()}
        return _account(request, tenant, errors, status_code=exc.status_code)
    flash(request, "Two-step login is off. Your password alone now logs you in.")
    notice = _notice(request.app.state.settings, tenant.user.email, "off")
    return RedirectResponse("/account", status_code=303, background=notice)


@router.post("/account/two-step/recovery-codes")
def recovery_codes_renew(
    request: Request,
    tenant: MemberDep,
    codes_password: Annotated[str, Form()] = "",
) -> Response:
    try:
        codes = two_step.recovery_codes_renew(
            session=tenant.session,
            user=tenant.user,
            password=codes_password,
            address=client_address(request),
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        errors = {
            "codes_password" if k == "current_password" else k: v
            for k, v in domain_errors(exc).items()
        }
        return _account(request, tenant, errors, status_code=exc.status_code)
    # Shown on this answer only, like at set-up; the database keeps their digests.
    response = _account(request, tenant, {}, recovery_codes=codes, codes_renewed=True)
    response.background = _notice(request.app.state.settings, tenant.user.email, "codes")
    return response


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
        return _account(request, tenant, domain_errors(exc), status_code=400)
    flash(request, "Password changed. Every other session has been logged out.")
    # ASVS 2.2.3: the account hears of the change by e-mail (when SMTP is set up), after the
    # answer so that a slow mail server does not hold the page.
    settings, email = request.app.state.settings, tenant.user.email
    subject, body = password_changed_text(settings=settings, email=email)
    notice = notice_queue(settings=settings, to=email, subject=subject, body=body)
    return RedirectResponse("/account", status_code=303, background=notice)
