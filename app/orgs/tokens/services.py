"""API tokens: making, listing and revoking them, and revoking every token of a user when
their password, two-step login or membership changes (the page, the API and the CLI all
come here)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.errors import ForbiddenError
from app.i18n.catalogs import N_
from app.modelbase import utcnow
from app.orgs.models import ApiToken, ApiTokenCreate, ApiTokenPublic, User, UserPublic
from app.security import api_token_issue, digest
from app.tenancy import ALL_ORGS

MSG_TOKEN_MADE_BY_TOKEN = N_(
    "An API token cannot make another API token: log in, or ask the server's administrator "
    "(touchstone token create)."
)
MSG_TOKEN_REVOKED = N_("Token %(name)r is revoked; programs using it are refused from now on.")


def api_token_create(
    *, session: Session, user: User, org_id: int, data: ApiTokenCreate
) -> tuple[ApiToken, str]:
    """Make a token acting as `user` in `org_id`; returns it with its one-time secret."""
    expires_at = utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None
    raw = api_token_issue(
        session=session,
        user_id=user.id,  # type: ignore[arg-type]
        org_id=org_id,
        name=data.name,
        scope=data.scope.value,
        expires_at=expires_at,
    )
    session.commit()
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(raw))).one()
    return token, raw


def api_tokens_live(
    *, session: Session, org_id: int, user_id: int | None = None
) -> list[tuple[ApiToken, User]]:
    """The organization's tokens not revoked (expired ones too, marked by their date),
    with the person each acts as; only `user_id`'s when given."""
    query = (
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(ApiToken.org_id == org_id, col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.created_at), col(ApiToken.id))
    )
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.exec(query).all())


def api_token_public(token: ApiToken, user: User) -> ApiTokenPublic:
    return ApiTokenPublic.model_validate(
        {
            **token.model_dump(),
            "user": UserPublic.model_validate(user, from_attributes=True),
        }
    )


def api_token_revoke(*, session: Session, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
    session.commit()


def api_tokens_revoke_all(
    *, session: Session, user_id: int, org_id: int | None = None, now: datetime | None = None
) -> None:
    """Revoke every token of `user_id` (in `org_id` only, when given); the caller commits.

    Called when the password changes, two-step login is turned on or reset, and when the
    user leaves an organization: whoever held a token made before must not keep it.
    """
    # Every organization's tokens on purpose: the scope of the request would otherwise
    # leave the other organizations' tokens alive.
    stmt = (
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False, **{ALL_ORGS: True})
    )
    if org_id is not None:
        stmt = stmt.where(col(ApiToken.org_id) == org_id)
    session.execute(stmt)


def token_expired(token: ApiToken, now: datetime) -> bool:
    return token.expires_at is not None and token.expires_at <= now


def refuse_token_made_by_token(via: str) -> None:
    if via == "token":
        raise ForbiddenError(MSG_TOKEN_MADE_BY_TOKEN)
