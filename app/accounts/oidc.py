"""Talking to the deployment's OpenID Connect provider (single sign-on, docs/sso.md).

Authlib does the protocol: discovery, the authorization-code flow with PKCE (S256), the
`state` kept in the signed session cookie and checked on the way back, the `nonce` and the
signature, issuer, audience and lifetime of the ID token. This module turns what comes back
into the provider's claims about the person, or an `SsoError` with a message for the login
page; it never decides which account that is (app/orgs/services.py and app/accounts/sso.py).
"""

from __future__ import annotations

from typing import Any

import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import Request
from fastapi.responses import Response
from joserfc.errors import JoseError

from app.config import Settings
from app.i18n.catalogs import N_
from app.i18n.message import message

SCOPES = "openid email profile"
CALLBACK_PATH = "/login/sso/callback"
# How long one call to the provider (discovery, token, keys, userinfo) may take.
PROVIDER_TIMEOUT_SECONDS = 10

MSG_CANCELLED = N_(
    "You cancelled the login at %(name)s, or %(name)s refused it. Nothing was changed."
)
MSG_FAILED = N_("The login at %(name)s did not work (%(reason)s). Try again.")
MSG_EXPIRED = N_(
    "That login at %(name)s had expired or was started in another browser. Try again from here."
)
MSG_UNREACHABLE = N_("Touchstone could not reach %(name)s just now. Try again in a minute.")


class SsoError(Exception):
    """A login through the provider that ended without a person (shown on the login page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _client(request: Request) -> Any:
    """The Authlib client for this app's settings, made once per app (it caches the
    provider's discovery document and keys)."""
    state = request.app.state
    client = getattr(state, "oidc_client", None)
    if client is None:
        settings: Settings = state.settings
        oauth = OAuth()
        client = oauth.register(
            name="touchstone",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=(
                settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
            ),
            client_kwargs={
                "scope": SCOPES,
                "code_challenge_method": "S256",
                "timeout": PROVIDER_TIMEOUT_SECONDS,
            },
        )
        state.oidc_client = client
    return client


def callback_url(settings: Settings) -> str:
    """The address the provider sends people back to; register exactly this one there."""
    return settings.base_url.rstrip("/") + CALLBACK_PATH


async def login_redirect(request: Request) -> Response:
    """Send the browser to the provider's login page (state, nonce and PKCE verifier kept in
    the session cookie by Authlib)."""
    settings: Settings = request.app.state.settings
    try:
        response: Response = await _client(request).authorize_redirect(
            request, callback_url(settings)
        )
    except (httpx2.HTTPError, ValueError, KeyError, RuntimeError) as exc:
        raise SsoError(message(MSG_UNREACHABLE, name=settings.oidc_name)) from exc
    return response


async def claims_from_callback(request: Request) -> dict[str, Any]:
    """The provider's verified claims about the person it sends back (ID token, and the
    userinfo endpoint for what the ID token leaves out, such as the e-mail address)."""
    settings: Settings = request.app.state.settings
    name = settings.oidc_name
    client = _client(request)
    try:
        token = await client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise SsoError(message(MSG_FAILED, name=name, reason="no ID token came back"))
        if "email" not in claims:
            # Many providers put the e-mail address in the userinfo answer only. Its subject
            # must be the ID token's (OpenID Connect Core 5.3.2).
            info = dict(await client.userinfo(token=token))
            if info.get("sub") != claims["sub"]:
                raise SsoError(
                    message(MSG_FAILED, name=name, reason="the user information differs")
                )
            claims = {**info, **claims}
    except OAuthError as exc:
        if exc.error == "access_denied":
            raise SsoError(message(MSG_CANCELLED, name=name)) from exc
        if exc.error == "mismatching_state":  # no such login started in this browser
            raise SsoError(message(MSG_EXPIRED, name=name)) from exc
        raise SsoError(
            message(MSG_FAILED, name=name, reason=exc.error or "no reason given")
        ) from exc
    except httpx2.HTTPError as exc:
        raise SsoError(message(MSG_UNREACHABLE, name=name)) from exc
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as exc:
        # A token that does not verify (signature, issuer, audience, nonce, lifetime).
        reason = getattr(exc, "error", None) or type(exc).__name__
        raise SsoError(message(MSG_FAILED, name=name, reason=reason)) from exc
    return claims
