"""Passwords, login sessions, CSRF, login throttling and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from pwdlib import PasswordHash
from sqlalchemy import Connection, and_, bindparam, delete, func, text
from sqlmodel import Session, col, select
from zxcvbn import zxcvbn

from app.config import Settings
from app.db import SAFE_METHODS, SessionDep, get_db
from app.modelbase import utcnow
from app.orgs.models import ApiToken, LoginAttempt, Membership, Organization, User, UserSession
from app.token_use import api_token_touch, api_token_touch_within, api_token_use_due

password_hash = PasswordHash.recommended()  # argon2id

# OWASP ASVS 2.1.1: at least 12 characters (checked for new and changed passwords only).
MIN_PASSWORD_LENGTH = 12
# OWASP ASVS 2.1.2: passphrases of 64 characters and more are welcome, up to 128.
MAX_PASSWORD_LENGTH = 128
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
API_TOKEN_PREFIX = "ts_"

MSG_CSRF_MISSING = "The form was missing its security token. Reload the page and try again."
MSG_CSRF_WRONG = "The form's security token has expired. Reload the page and try again."
MSG_CROSS_ORIGIN = "Requests from other sites are not accepted."
MSG_NOT_AUTHENTICATED = "Not authenticated: log in, or send 'Authorization: Bearer <token>'."
# To a script on our own pages (the phone's offline queue) whose login has ended.
MSG_LOGIN_ENDED = "Your login has ended. Log in again: nothing in this request was kept."
MSG_BAD_TOKEN = "The API token is unknown or revoked."
MSG_TOKEN_EXPIRED = "The API token has expired. Make a new one on the settings page."
MSG_TOKEN_READ_ONLY = (
    "This API token is read-only: it may only read (GET). Use a read-write token to change data."
)


def asks_json(headers: Mapping[str, str]) -> bool:
    """Whether a request to a page route asks for JSON first (`Accept: application/json`),
    as the offline queue's fetches do (app/static/touchstone-queue.js).

    Such a request gets its refusals as JSON with the real status: a fetch follows a 303 to
    /login without a word and would take the login page's 200 for "saved".
    """
    accept = headers.get("accept", "")
    first = accept.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return first == "application/json"


# --- passwords ---------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return password_hash.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return password_hash.verify(password, hashed)


# A hash to verify against when the account does not exist, so that a wrong e-mail
# address takes as long as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = password_hash.hash("not-a-real-password")


def verify_password_timing_safe(password: str, user: User | None) -> bool:
    if user is None:
        password_hash.verify(password, _DUMMY_HASH)
        return False
    return verify_password(password, user.password_hash)


# OWASP ASVS 2.1.7: zxcvbn's strength score runs from 0 to 4; 3 means "safely
# unguessable" (about 10^8 guesses or more). A password that is, or is made of, an entry of
# its common-password list (30,000 from breaches), common words or names, keyboard runs,
# repeats, dates or the words below scores lower and is refused.
MIN_PASSWORD_SCORE = 3
MSG_PASSWORD_GUESSABLE = (
    "This password is too common or too easy to guess. Try a few unrelated words, "
    "or a longer phrase."
)
# Words every attacker of this site tries first (NIST SP 800-63B 5.1.1.2: the service's name).
SITE_WORDS = ("touchstone",)


@dataclass(frozen=True)
class PasswordStrength:
    """zxcvbn's verdict on a new password, as the strength meter shows it (ASVS 2.1.8)."""

    score: int  # 0-4; a refused password never shows more than 2
    problem: str | None  # password_problem's answer: why saving would refuse it, or None
    warning: str  # zxcvbn's feedback, in plain words ("" when it has none)
    suggestions: tuple[str, ...]


def password_strength(password: str, *, user_inputs: Iterable[str] = ()) -> PasswordStrength:
    """Score a new password and say whether it would be refused. `user_inputs`: the
    account's e-mail and name. The one place the password rules live: `password_problem`
    and the strength meter both ask it."""
    if len(password) > MAX_PASSWORD_LENGTH:
        # Not scored at all: the length cap also bounds zxcvbn's work.
        return PasswordStrength(0, f"Use at most {MAX_PASSWORD_LENGTH} characters.", "", ())
    words = [*SITE_WORDS]
    for given in user_inputs:
        # "ann.lee@example.com" -> also "ann", "lee", "example": parts get reused in passwords.
        words += [given.lower(), *(w for w in re.split(r"\W+", given.lower()) if len(w) > 2)]
    result = zxcvbn(password, user_inputs=words, max_length=MAX_PASSWORD_LENGTH)
    score = int(result["score"])
    feedback = result.get("feedback") or {}
    warning = str(feedback.get("warning") or "")
    suggestions = tuple(str(s) for s in feedback.get("suggestions") or ())
    problem: str | None = None
    if len(password) < MIN_PASSWORD_LENGTH:
        problem = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    elif score < MIN_PASSWORD_SCORE:
        problem = MSG_PASSWORD_GUESSABLE
    if problem is not None:
        # The meter never calls a password strong that saving would refuse.
        score = min(score, MIN_PASSWORD_SCORE - 1)
    return PasswordStrength(score, problem, warning, suggestions)


def password_problem(password: str, *, user_inputs: Iterable[str] = ()) -> str | None:
    """Why a new password is refused, or None. `user_inputs`: the account's e-mail and name."""
    return password_strength(password, user_inputs=user_inputs).problem


# --- opaque secrets ----------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Only digests of session ids, invite links and API tokens are stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


# --- login sessions ----------------------------------------------------------------------

# OWASP ASVS 3.4.4: over https the cookie carries the __Host- prefix, which browsers accept
# only with Secure, Path=/ and no Domain, so no other host or plain-http page can set it.
# Plain http (development) cannot use the prefix, so there it keeps the plain name.
SESSION_COOKIE = "touchstone"
SESSION_COOKIE_HTTPS = "__Host-touchstone"


def session_cookie_name(settings: Settings) -> str:
    return SESSION_COOKIE_HTTPS if settings.secure_cookies else SESSION_COOKIE


def session_start(
    *, session: Session, request: Request, user: User, org_id: int | None, settings: Settings
) -> None:
    """Record a server-side session and put its id in the signed cookie (rotating CSRF)."""
    raw = new_secret()
    session.add(
        UserSession(
            token_hash=digest(raw),
            user_id=user.id,  # type: ignore[arg-type]
            org_id=org_id,
            expires_at=utcnow() + timedelta(hours=settings.session_lifetime_hours),
        )
    )
    request.session.clear()
    request.session["sid"] = raw
    request.session["csrf"] = new_secret()


def session_end(*, session: Session, request: Request) -> None:
    raw = request.session.get("sid")
    if raw:
        session.execute(delete(UserSession).where(UserSession.token_hash == digest(raw)))  # type: ignore[arg-type]
    request.session.clear()


def sessions_revoke_all(*, session: Session, user_id: int, keep_id: int | None = None) -> None:
    stmt = delete(UserSession).where(UserSession.user_id == user_id)  # type: ignore[arg-type]
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)  # type: ignore[arg-type]
    session.execute(stmt)


# --- API tokens --------------------------------------------------------------------------


def api_token_issue(
    *,
    session: Session,
    user_id: int,
    org_id: int,
    name: str,
    scope: str = "write",
    expires_at: datetime | None = None,
) -> str:
    raw = API_TOKEN_PREFIX + new_secret()
    session.add(
        ApiToken(
            token_hash=digest(raw),
            prefix=raw[:10],
            name=name,
            user_id=user_id,
            org_id=org_id,
            scope=scope,
            expires_at=expires_at,
        )
    )
    return raw


# --- authentication ----------------------------------------------------------------------


@dataclass(frozen=True)
class Auth:
    """Who is calling, and which organization their credential currently points at.

    `membership` and `org` come with the credential, read in the same query: the user's
    membership of `org_id` and its organization, or None when they are not a member there
    (app.tenancy then decides what that means).
    """

    user: User
    org_id: int | None
    via: str  # "cookie" or "token"
    session_row: UserSession | None = None
    membership: Membership | None = None
    org: Organization | None = None


class NotAuthenticated(Exception):
    def __init__(self, detail: str = MSG_NOT_AUTHENTICATED) -> None:
        super().__init__(detail)
        self.detail = detail


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _credential_query(credential: type[ApiToken] | type[UserSession]) -> Any:
    """The credential with this hash, its user, and the user's membership of the credential's
    organization with that organization (both None when there is none). Built once: it runs
    on every request, and building it cost more than running it."""
    return (
        select(credential, User, Membership, Organization)
        .join(User, col(User.id) == col(credential.user_id))
        .outerjoin(
            Membership,
            and_(
                col(Membership.user_id) == col(credential.user_id),
                col(Membership.org_id) == col(credential.org_id),
            ),
        )
        .outerjoin(Organization, col(Organization.id) == col(Membership.org_id))
        .where(col(credential.token_hash) == bindparam("token_hash"))
    )


_TOKEN_AUTH = _credential_query(ApiToken)
_SESSION_AUTH = _credential_query(UserSession)


def get_optional_auth(request: Request, session: SessionDep) -> Auth | None:
    raw = bearer_token(request)
    if raw is not None:
        token_hash = digest(raw)
        found = session.exec(_TOKEN_AUTH, params={"token_hash": token_hash}).first()
        if found is None:
            raise NotAuthenticated(MSG_BAD_TOKEN)
        token, user, membership, org = found
        now = utcnow()
        if token.revoked_at is not None or not user.is_active:
            raise NotAuthenticated(MSG_BAD_TOKEN)
        if token.expires_at is not None and token.expires_at <= now:
            raise NotAuthenticated(MSG_TOKEN_EXPIRED)
        writes = request.method not in SAFE_METHODS
        if token.scope != "write" and writes:
            raise HTTPException(403, MSG_TOKEN_READ_ONLY)
        # The last use came with the token: a use within the minute costs nothing more.
        if api_token_use_due(token.last_used_at, now):
            if writes:
                api_token_touch_within(session=session, token_hash=token_hash, now=now)
            else:
                api_token_touch(db=get_db(request), token_hash=token_hash, now=now)
        return Auth(
            user=user,
            org_id=token.org_id,
            via="token",
            membership=membership,
            org=org,
        )
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        return None
    found = session.exec(_SESSION_AUTH, params={"token_hash": digest(sid)}).first()
    if found is None:
        return None
    row, user, membership, org = found
    if row.expires_at <= utcnow() or not user.is_active:
        return None
    return Auth(
        user=user,
        org_id=row.org_id,
        via="cookie",
        session_row=row,
        membership=membership,
        org=org,
    )


async def get_auth(auth: Annotated[Auth | None, Depends(get_optional_auth)]) -> Auth:
    # async: no I/O here, so no hop to the thread pool
    if auth is None:
        raise NotAuthenticated()
    return auth


AuthDep = Annotated[Auth, Depends(get_auth)]
OptionalAuthDep = Annotated[Auth | None, Depends(get_optional_auth)]


# --- the answer save's credential check (audits/fill/lane.py) ----------------------------


@dataclass(frozen=True)
class Caller:
    """A credential that plainly authenticates a write: the user, the organization it points
    at, and the user's role there. Read from the database on every request, so a revoked
    token, a removed member or a login ended by a password change is refused at once, in
    every worker."""

    user_id: int
    org_id: int
    role: str


def _caller_query(credential: type[ApiToken] | type[UserSession], *extra: Any) -> Any:
    """What get_optional_auth reads, as plain columns (no ORM objects): built once."""
    return (
        select(  # type: ignore[call-overload]
            col(credential.user_id),
            col(credential.expires_at),
            col(User.is_active),
            col(Membership.org_id),
            col(Membership.role),
            col(Organization.id),
            *extra,
        )
        .join(User, col(User.id) == col(credential.user_id))
        .outerjoin(
            Membership,
            and_(
                col(Membership.user_id) == col(credential.user_id),
                col(Membership.org_id) == col(credential.org_id),
            ),
        )
        .outerjoin(Organization, col(Organization.id) == col(Membership.org_id))
        .where(col(credential.token_hash) == bindparam("token_hash"))
    )


_TOKEN_CALLER = _caller_query(
    ApiToken, col(ApiToken.revoked_at), col(ApiToken.scope), col(ApiToken.last_used_at)
)
_SESSION_CALLER = _caller_query(UserSession)


def caller_for_write(
    connection: Connection, *, token: str | None = None, sid: str | None = None
) -> Caller | None:
    """The Caller of a write sent with this bearer token or login session id, in one query
    of plain columns; None whenever get_optional_auth and app.tenancy would do anything but
    let it through as is (unknown, revoked, expired, read-only, switched off, no membership,
    a token's last use due to be noted): the caller then takes the full path, which says
    why in its usual words."""
    if token is not None:
        row = connection.execute(_TOKEN_CALLER, {"token_hash": digest(token)}).first()
    elif sid is not None:
        row = connection.execute(_SESSION_CALLER, {"token_hash": digest(sid)}).first()
    else:
        return None
    if row is None:
        return None
    user_id, expires_at, is_active, org_id, role, org, *token_only = row
    now = utcnow()
    if not is_active or org_id is None or org != org_id:
        return None
    if token is not None:
        revoked_at, scope, last_used_at = token_only
        if revoked_at is not None or scope != "write" or api_token_use_due(last_used_at, now):
            return None
        if expires_at is not None and expires_at <= now:
            return None
    elif expires_at <= now:
        return None
    return Caller(user_id=user_id, org_id=org_id, role=role)


# --- CSRF --------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token for this browser, made on first use; forms and htmx send it back."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_secret()
        request.session["csrf"] = token
    return token


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def csrf_protect(request: Request) -> None:
    """Every state-changing request made with the cookie must come from our own pages.

    Requests that carry a bearer token carry no ambient credential and are exempt.
    """
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return
    if request.url.path.startswith("/api/") and "sid" not in request.session:
        return  # no credential at all: authentication will refuse it with a 401
    settings: Settings = request.app.state.settings
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise HTTPException(403, MSG_CROSS_ORIGIN)
    origin = request.headers.get("origin")
    if origin is not None:
        allowed = {_origin(settings.base_url), _origin(str(request.base_url))}
        if origin.lower() not in allowed:
            raise HTTPException(403, MSG_CROSS_ORIGIN)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent:
        raise HTTPException(403, MSG_CSRF_MISSING)
    expected = request.session.get("csrf")
    # Compare bytes: compare_digest raises TypeError on str with non-ASCII characters,
    # which a forged field or header may well contain.
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, MSG_CSRF_WRONG)


# --- login throttling --------------------------------------------------------------------


def _attempt_key(email: str, address: str) -> tuple[str, str]:
    # Clip to the columns' widths: an over-long address matches no account anyway, and
    # clipped it is still counted instead of overflowing the column (an error on PostgreSQL).
    return email[:320], address[:64]


def login_attempts_take_turns(*, session: Session, email: str, address: str) -> None:
    """Make concurrent attempts on one account, or from one address, run one after another.

    Counting failures, checking the password and recording the failure must be one step:
    otherwise a burst of parallel guesses all see the count below the limit and all get
    their password checked. SQLite already runs write sessions one at a time. On PostgreSQL,
    where several server workers write at once, transaction-scoped advisory locks do it
    (released at commit or rollback). The keys are always taken in the same order, so two
    attempts cannot deadlock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    email, address = _attempt_key(email, address)
    for key in sorted({f"login-address:{address}", f"login-email:{email}"}):
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


def login_throttled(*, session: Session, email: str, address: str, settings: Settings) -> bool:
    email, address = _attempt_key(email, address)
    login_attempts_take_turns(session=session, email=email, address=address)
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    recent = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.created_at > since)
    by_account = session.exec(recent.where(LoginAttempt.email == email)).one()
    by_address = session.exec(recent.where(LoginAttempt.address == address)).one()
    return (
        by_account >= settings.login_max_failures_per_account
        or by_address >= settings.login_max_failures_per_address
    )


def login_failure_record(*, session: Session, email: str, address: str) -> None:
    email, address = _attempt_key(email, address)
    session.add(LoginAttempt(email=email, address=address))


def login_failures_clear(*, session: Session, email: str) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))  # type: ignore[arg-type]
