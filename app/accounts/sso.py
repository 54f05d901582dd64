"""Single sign-on pages (docs/sso.md): "Log in with …" on the login page and "Join with …" on
an invite page send the browser to the deployment's OpenID Connect provider, which sends it
back to the callback here.

The provider's word is taken for one thing only: a verified e-mail address. It picks the
existing account with that address (no account is made for an address nobody invited), or
must equal an invite's address to accept that invite. Whatever goes wrong ends on the page
the person came from, with a message saying what happened.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from app.accounts import oidc
from app.accounts.login import session_begin
from app.accounts.routes import safe_next
from app.config import Settings
from app.db import Database, SessionDep, get_db, in_transaction
from app.errors import DomainError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.orgs import services
from app.templating import flash

router = APIRouter(include_in_schema=False)

# What the session cookie carries from the start of a login at the provider to its return
# (besides Authlib's own state, nonce and PKCE verifier).
NEXT_KEY = "sso_next"
INVITE_KEY = "sso_invite"
MAX_INVITE_LENGTH = 120  # real links are 43 characters

MSG_NO_EMAIL = N_(
    "%(name)s did not tell Touchstone your e-mail address, so it cannot tell which account is "
    "yours. Log in with your password instead."
)
MSG_UNVERIFIED = N_(
    "%(name)s has not verified your e-mail address %(email)s, so Touchstone cannot tell that the "
    "account with that address is yours. Verify the address at %(name)s, or log in with your "
    "password."
)
MSG_UNKNOWN = N_(
    "There is no Touchstone account for %(email)s. Ask an owner of your organization to invite "
    "that address, or log in with the address your account has."
)


def sso_settings(request: Request) -> Settings:
    """The settings, when single sign-on is set up; its pages do not exist otherwise."""
    settings: Settings = request.app.state.settings
    if not settings.sso_enabled:
        raise HTTPException(404, "Single sign-on is not set up on this server.")
    return settings


def verified_email(claims: dict[str, Any], provider: str) -> str:
    """The e-mail address the provider vouches for, or a DomainError saying why there is none."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise DomainError(message(MSG_NO_EMAIL, name=provider))
    # Some providers send the flag as the string "true" (it is a JSON boolean in the spec).
    if claims.get("email_verified") not in (True, "true"):
        raise DomainError(message(MSG_UNVERIFIED, name=provider, email=email))
    return email.strip().lower()


def _refuse(request: Request, message: str, back: str) -> Response:
    flash(request, message, kind="error")
    return RedirectResponse(back, status_code=303)


async def _to_provider(request: Request, back: str) -> Response:
    try:
        return await oidc.login_redirect(request)
    except oidc.SsoError as exc:
        return _refuse(request, exc.message, back)


@router.get("/login/sso")
async def sso_login(request: Request, next: str = "/") -> Response:
    sso_settings(request)
    request.session[NEXT_KEY] = safe_next(next)
    request.session.pop(INVITE_KEY, None)
    return await _to_provider(request, "/login")


@router.get("/invite/{token}/sso")
async def sso_invite(request: Request, session: SessionDep, token: str) -> Response:
    sso_settings(request)
    # A used, expired or unknown link is refused here, with the invite page's own error,
    # before anyone is sent to the provider.
    await in_transaction(session, lambda: services.invite_lookup(session=session, raw=token))
    request.session[INVITE_KEY] = token[:MAX_INVITE_LENGTH]
    request.session.pop(NEXT_KEY, None)
    return await _to_provider(request, f"/invite/{token}")


@router.get(oidc.CALLBACK_PATH)
async def sso_callback(request: Request) -> Response:
    settings = sso_settings(request)
    invite = request.session.pop(INVITE_KEY, None)
    invite = invite if isinstance(invite, str) else None
    target = request.session.pop(NEXT_KEY, None)
    target = safe_next(target if isinstance(target, str) else None)
    back = f"/invite/{invite}" if invite else "/login"
    try:
        claims = await oidc.claims_from_callback(request)
        email = verified_email(claims, settings.oidc_name)
    except oidc.SsoError as exc:
        return _refuse(request, exc.message, back)
    except DomainError as exc:
        return _refuse(request, exc.message, back)
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    return await run_in_threadpool(
        _log_in, request, get_db(request), email, str(name), invite, target, back
    )


def _log_in(
    request: Request,
    db: Database,
    email: str,
    name: str,
    invite: str | None,
    target: str,
    back: str,
) -> Response:
    """The account with the verified address logs in (after joining the invite's organization,
    when the person came from an invite), through the one door every login uses."""
    # The callback is a GET (a redirect from the provider), so its request session reads;
    # logging in writes, in a write transaction of its own.
    with db.session(write=True) as session:
        org_id: int | None = None
        try:
            if invite is not None:
                user, membership = services.invite_accept_verified(
                    session=session, raw=invite, email=email, name=name
                )
                org_id = membership.org_id
            else:
                found = services.user_by_email(session=session, email=email)
                if found is None or not found.is_active:
                    raise DomainError(
                        message(MSG_UNKNOWN, name=request.app.state.settings.oidc_name, email=email)
                    )
                user = found
        except DomainError as exc:
            session.rollback()
            return _refuse(request, exc.message, back)
        response = session_begin(
            request=request,
            session=session,
            user=user,
            target="/" if invite else target,
            org_id=org_id,
            via_provider=True,
        )
        if invite is not None and response.headers["location"] != "/login/code":
            flash(request, "Welcome to Touchstone. Your account is ready.")
        return response
