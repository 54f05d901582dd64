"""API tokens in the JSON API: list, make, revoke (the settings page has them too, in
app/orgs/settings/routes.py).

Owners see and revoke every token of the organization; other members their own. A token is
made by a logged-in person (or the server's CLI), never by a token: a stolen token must not
be able to outlive its own revocation by making another.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from app.orgs.models import ApiToken, ApiTokenCreate, ApiTokenCreated, ApiTokenPublic, Role
from app.orgs.tokens import services as tokens
from app.security import AuthDep
from app.tenancy import MSG_NOT_FOUND, MemberDep, Tenant, path_loader

api_router = APIRouter(tags=["organization"])

TokenDep = Annotated[ApiToken, Depends(path_loader(ApiToken))]


def _mine_or_owner(tenant: Tenant, token: ApiToken) -> None:
    if tenant.role != Role.owner and token.user_id != tenant.user_id:
        raise HTTPException(404, MSG_NOT_FOUND)


@api_router.get("/tokens", response_model=list[ApiTokenPublic])
def token_list(tenant: MemberDep) -> list[ApiTokenPublic]:
    """Tokens not revoked: an owner sees the organization's, anyone else their own."""
    only = None if tenant.role == Role.owner else tenant.user_id
    rows = tokens.api_tokens_live(session=tenant.session, org_id=tenant.org_id, user_id=only)
    return [tokens.api_token_public(token, user) for token, user in rows]


@api_router.post("/tokens", response_model=ApiTokenCreated, status_code=201)
def token_create(tenant: MemberDep, auth: AuthDep, data: ApiTokenCreate) -> ApiTokenCreated:
    """Make a token acting as you in this organization; the response carries the token
    itself, shown only here. Needs a login: a token cannot make tokens (403)."""
    tokens.refuse_token_made_by_token(auth.via)
    token, raw = tokens.api_token_create(
        session=tenant.session, user=tenant.user, org_id=tenant.org_id, data=data
    )
    public = tokens.api_token_public(token, tenant.user)
    return ApiTokenCreated(**public.model_dump(), token=raw)


@api_router.delete("/tokens/{api_token_id}", status_code=204)
def token_revoke(tenant: MemberDep, token: TokenDep) -> Response:
    """Revoke a token (an owner: any of the organization's; anyone else: their own)."""
    _mine_or_owner(tenant, token)
    tokens.api_token_revoke(session=tenant.session, token=token)
    return Response(status_code=204)
