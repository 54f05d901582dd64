"""Every write about users, organizations, memberships, invites and locations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app import mailer
from app.config import Settings
from app.errors import ConflictError, DomainError, GoneError, NotFoundError, ThrottledError
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import ident, utcnow
from app.orgs import models
from app.orgs.models import (
    ROLE_LABELS,
    Invite,
    InviteCreate,
    Location,
    LocationCreate,
    LocationUpdate,
    Membership,
    Organization,
    OrganizationCreate,
    Role,
    User,
    UserSession,
)
from app.orgs.tokens.services import api_tokens_revoke_all
from app.outbox.models import SECRET_MARK
from app.outbox.services import mail_queue
from app.security import (
    digest,
    hash_password,
    login_failure_record,
    login_failures_clear,
    login_throttled,
    new_secret,
    password_problem,
    session_end,
    sessions_revoke_all,
    verify_password,
    verify_password_timing_safe,
)
from app.tenancy import unscoped

MSG_EMAIL_TAKEN = "An account with this e-mail address already exists."
MSG_LOGIN_FAILED = N_("E-mail address or password is wrong.")
MSG_LOGIN_THROTTLED = N_(
    "Too many failed attempts. Wait %(minutes)s minutes, then try again, or ask an owner "
    "to send you a new invite link."
)
MSG_INVITE_UNKNOWN = "This invite link is not valid. Ask the person who invited you for a new one."
MSG_INVITE_EXPIRED = "This invite link has expired. Ask the person who invited you for a new one."
MSG_INVITE_USED = "This invite link has already been used. Log in instead."
MSG_INVITE_OTHER_ADDRESS = N_(
    "This invite is for %(invited)s, but your identity provider logged you in as %(email)s. Log in "
    "there with %(invited)s, or join with a password below."
)
MSG_ALREADY_MEMBER = N_("%(email)s is already a member of this organization.")
MSG_LOCATION_NAME_TAKEN = N_("There is already a location called %(name)r.")
MSG_LOCATION_IN_USE = N_(
    "%(name)s has shops planned or done, so it cannot be deleted; their results need it."
)
MSG_LAST_OWNER = "An organization needs at least one owner."
MSG_WRONG_PASSWORD = "The current password is wrong."
MSG_PASSWORDS_DIFFER = "The two passwords are not the same."


def _normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_password(
    password: str, field: str = "password", *, user_inputs: tuple[str, ...] = ()
) -> None:
    problem = password_problem(password, user_inputs=user_inputs)
    if problem:
        raise DomainError(problem, field=field)


# --- users and organizations -------------------------------------------------------------


def user_create(*, session: Session, email: str, name: str, password: str) -> User:
    email = _normalize_email(email)
    _check_password(password, user_inputs=(email, name))
    # The column holds 120 characters; PostgreSQL would refuse more with a server error.
    if len(name.strip()) > 120:
        raise DomainError("Use at most 120 characters.", field="name")
    if session.exec(select(User).where(User.email == email)).first():
        raise ConflictError(MSG_EMAIL_TAKEN, field="email")
    user = User(email=email, name=name.strip() or email, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def org_create(
    *, session: Session, data: OrganizationCreate, owner: User | None = None
) -> Organization:

    with unscoped(session):
        org = Organization.model_validate(data)
        org.short_code = short_code_free(session, Organization, models.org_short_code_new)
        session.add(org)
        session.flush()
        if owner is not None:
            membership_set(session=session, org=org, user=owner, role=Role.owner)
    return org


def membership_set(*, session: Session, org: Organization, user: User, role: Role) -> Membership:
    membership = session.exec(
        select(Membership).where(Membership.org_id == org.id, Membership.user_id == user.id)
    ).first()
    if membership is None:
        membership = Membership(org_id=org.id, user_id=user.id, role=role)  # type: ignore[arg-type]
        session.add(membership)
    else:
        if membership.role == Role.owner and role != Role.owner:
            _ensure_another_owner(session=session, org_id=org.id, user_id=user.id)  # type: ignore[arg-type]
        membership.role = role
        session.add(membership)
    session.flush()
    return membership


def _ensure_another_owner(*, session: Session, org_id: int, user_id: int) -> None:
    others = session.exec(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.org_id == org_id,
            Membership.role == Role.owner,
            Membership.user_id != user_id,
        )
    ).one()
    if others == 0:
        raise DomainError(MSG_LAST_OWNER, field="role")


def membership_remove(*, session: Session, membership: Membership) -> None:
    if membership.role == Role.owner:
        _ensure_another_owner(session=session, org_id=membership.org_id, user_id=membership.user_id)
    session.delete(membership)
    # Their tokens for this organization die with the membership (a new invite must not
    # bring them back to life).
    api_tokens_revoke_all(session=session, user_id=membership.user_id, org_id=membership.org_id)
    session.commit()


# --- login and passwords -----------------------------------------------------------------


def login_authenticate(
    *, session: Session, email: str, password: str, address: str, settings: Settings
) -> User:
    """Check credentials with throttling per account and per client address."""
    email = _normalize_email(email)
    if login_throttled(session=session, email=email, address=address, settings=settings):
        raise ThrottledError(message(MSG_LOGIN_THROTTLED, minutes=settings.login_window_minutes))
    user = session.exec(select(User).where(User.email == email)).first()
    if not verify_password_timing_safe(password, user) or user is None or not user.is_active:
        login_failure_record(session=session, email=email, address=address)
        session.commit()
        raise DomainError(MSG_LOGIN_FAILED, field="password")
    login_failures_clear(session=session, email=email)
    return user


def password_change(
    *,
    session: Session,
    user: User,
    current: str,
    new: str,
    confirm: str,
    keep_session_id: int | None,
    address: str,
    settings: Settings,
) -> None:
    """Change a password and log out every other session of the user.

    Wrong current passwords count like failed logins, so a stolen session cannot be used to
    guess the password without limit.
    """
    if login_throttled(session=session, email=user.email, address=address, settings=settings):
        raise ThrottledError(
            message(MSG_LOGIN_THROTTLED, minutes=settings.login_window_minutes),
            field="current_password",
        )
    if not verify_password(current, user.password_hash):
        login_failure_record(session=session, email=user.email, address=address)
        session.commit()
        raise DomainError(MSG_WRONG_PASSWORD, field="current_password")
    _check_password(new, "new_password", user_inputs=(user.email, user.name))
    if new != confirm:
        raise DomainError(MSG_PASSWORDS_DIFFER, field="confirm_password")
    user.password_hash = hash_password(new)
    session.add(user)
    sessions_revoke_all(session=session, user_id=user.id, keep_id=keep_session_id)  # type: ignore[arg-type]
    api_tokens_revoke_all(session=session, user_id=user.id)  # type: ignore[arg-type]
    session.commit()


# --- invites -----------------------------------------------------------------------------


def invite_link(*, settings: Settings, raw: str) -> str:
    return f"{settings.base_url.rstrip('/')}/invite/{raw}"


def invite_create(
    *, session: Session, org: Organization, data: InviteCreate, created_by: int, settings: Settings
) -> tuple[Invite, str]:
    """Create an invite and return it with its one-time link (only the secret's digest is
    stored). With e-mail on, the invite e-mail goes to the outbox in the same transaction, so
    it is sent by a job, tried again when the mail server is down, and listed for the owners
    if every try fails; the link stays out of the stored message (OutgoingMail.secret)."""
    org_id = ident(org)
    existing = session.exec(
        select(Membership)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(Membership.org_id == org_id, User.email == data.email)
    ).first()
    if existing:
        raise ConflictError(message(MSG_ALREADY_MEMBER, email=data.email), field="email")
    raw = new_secret()
    invite = Invite(
        org_id=org_id,
        email=data.email,
        role=data.role,
        token_hash=digest(raw),
        created_by_id=created_by,
        expires_at=utcnow() + timedelta(hours=settings.invite_lifetime_hours),
    )
    session.add(invite)
    session.flush()
    link = invite_link(settings=settings, raw=raw)
    if settings.smtp_enabled:
        subject, body = mailer.invite_text(invite=invite, link=SECRET_MARK, org=org)
        mail_queue(
            session=session,
            org_id=org_id,
            key=f"invite:{invite.id}",
            to=invite.email,
            subject=subject,
            body=body,
            secret=link,
        )
    session.commit()
    return invite, link


def invite_lookup(*, session: Session, raw: str) -> Invite:
    """The invite behind a link, if it can still be used (checked outside any tenant scope)."""
    invite = session.exec(select(Invite).where(Invite.token_hash == digest(raw))).first()
    if invite is None or invite.revoked_at is not None:
        raise NotFoundError(MSG_INVITE_UNKNOWN)
    if invite.accepted_at is not None:
        raise GoneError(MSG_INVITE_USED)
    if invite.expires_at <= utcnow():
        raise GoneError(MSG_INVITE_EXPIRED)
    return invite


def invite_accept(
    *,
    session: Session,
    raw: str,
    name: str,
    password: str,
    confirm: str,
    address: str,
    settings: Settings,
) -> tuple[User, Membership]:
    """Use an invite: a new account sets its password, an existing one proves it knows it."""
    invite = invite_lookup(session=session, raw=raw)
    org = session.get(Organization, invite.org_id)
    if org is None:
        raise NotFoundError(MSG_INVITE_UNKNOWN)
    user = session.exec(select(User).where(User.email == invite.email)).first()
    if user is None:
        _check_password(password, user_inputs=(invite.email, name))
        if password != confirm:
            raise DomainError(MSG_PASSWORDS_DIFFER, field="confirm_password")
        if not name.strip():
            raise DomainError("Enter your name.", field="name")
        user = user_create(session=session, email=invite.email, name=name, password=password)
    else:
        _check_existing_password(
            session=session, user=user, password=password, address=address, settings=settings
        )
        _refuse_member(session=session, org=org, user=user)
    return _invite_use(session=session, invite=invite, org=org, user=user)


def _refuse_member(*, session: Session, org: Organization, user: User) -> None:
    """Accepting must never change an existing member's role (or demote the last owner)."""
    already = session.exec(
        select(Membership).where(Membership.org_id == org.id, Membership.user_id == user.id)
    ).first()
    if already is not None:
        raise ConflictError(message(MSG_ALREADY_MEMBER, email=user.email))


def _invite_use(
    *, session: Session, invite: Invite, org: Organization, user: User
) -> tuple[User, Membership]:
    membership = membership_set(session=session, org=org, user=user, role=Role(invite.role))
    invite.accepted_at = utcnow()
    session.add(invite)
    try:
        session.commit()
    except IntegrityError as exc:  # the same link accepted twice at the same moment
        session.rollback()
        raise GoneError(MSG_INVITE_USED) from exc
    return user, membership


def invite_accept_verified(
    *, session: Session, raw: str, email: str, name: str
) -> tuple[User, Membership]:
    """Use an invite for someone whose identity provider vouches for `email` (single sign-on):
    the address must be the invite's. A new account gets a random password nobody knows (it
    logs in through the provider); an existing one joins as it is."""
    invite = invite_lookup(session=session, raw=raw)
    org = session.get(Organization, invite.org_id)
    if org is None:
        raise NotFoundError(MSG_INVITE_UNKNOWN)
    if _normalize_email(email) != _normalize_email(invite.email):
        raise DomainError(message(MSG_INVITE_OTHER_ADDRESS, invited=invite.email, email=email))
    user = session.exec(select(User).where(User.email == invite.email)).first()
    if user is None:
        user = user_create(
            session=session,
            email=invite.email,
            name=name.strip()[:120] or invite.email,
            password=new_secret(),
        )
    else:
        if not user.is_active:
            raise DomainError(MSG_INVITE_UNKNOWN)
        _refuse_member(session=session, org=org, user=user)
    return _invite_use(session=session, invite=invite, org=org, user=user)


def _check_existing_password(
    *, session: Session, user: User, password: str, address: str, settings: Settings
) -> None:
    """Throttled like the login form: whoever can invite someone else's address would
    otherwise get an unlimited password oracle for that account."""
    if login_throttled(session=session, email=user.email, address=address, settings=settings):
        raise ThrottledError(message(MSG_LOGIN_THROTTLED, minutes=settings.login_window_minutes))
    if not verify_password(password, user.password_hash):
        login_failure_record(session=session, email=user.email, address=address)
        session.commit()  # nothing else is written yet; the count must outlive the error
        raise DomainError(MSG_WRONG_PASSWORD, field="password")


def invite_revoke(*, session: Session, invite: Invite) -> None:
    invite.revoked_at = utcnow()
    session.add(invite)
    session.commit()


# --- locations ---------------------------------------------------------------------------


def _save_location(session: Session, location: Location) -> Location:
    session.add(location)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(
            message(MSG_LOCATION_NAME_TAKEN, name=location.name), field="name"
        ) from exc
    return location


def region_spelling(session: Session, region: str) -> str:
    """The organization's own spelling of a region typed in any case ("north" becomes the
    "North" its other locations have), so reports never split one region in two. A region
    no location has yet is new, as typed."""
    wanted = " ".join(region.split())
    if not wanted:
        return ""
    known = session.exec(
        select(Location.region).where(func.lower(Location.region) == wanted.lower())
    ).first()
    return known or wanted


def location_create(*, session: Session, org_id: int, data: LocationCreate) -> Location:
    location = Location(org_id=org_id, **data.model_dump())
    location.region = region_spelling(session, location.region)
    location.short_code = short_code_free(session, Location, models.location_short_code_new)
    return _save_location(session, location)


SHORT_CODE_TRIES = 20


def short_code_free(
    session: Session, model: type[Organization] | type[Location], new: Callable[[], str]
) -> str:
    """A fresh short complaint code that no row of `model` has yet (any organization's).

    Codes are short, so two draws can meet: one that is taken is drawn again, here, rather
    than refused by the unique constraint as if the place's name were taken. The constraint
    still guards against two places made at the same moment with the same code.
    """
    with unscoped(session):
        for _ in range(SHORT_CODE_TRIES):
            code = new()
            taken = session.exec(select(model.id).where(model.short_code == code)).first()
            if taken is None:
                return code
    raise RuntimeError("no free short complaint code found; try again")


def location_update(*, session: Session, location: Location, data: LocationUpdate) -> Location:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("region") is not None:
        changes["region"] = region_spelling(session, changes["region"])
    location.sqlmodel_update(changes)
    return _save_location(session, location)


def location_delete(*, session: Session, location: Location) -> None:
    name = location.name
    session.delete(location)
    try:
        session.commit()
    except IntegrityError as exc:  # shops point at it (the database keeps them)
        session.rollback()
        raise ConflictError(message(MSG_LOCATION_IN_USE, name=name)) from exc


def location_get(*, session: Session, location_id: int) -> Location:
    location = session.get(Location, location_id)
    if location is None:
        raise NotFoundError("Location not found.")
    return location


def user_by_email(*, session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == _normalize_email(email))).first()


def role_label(role: str) -> str:

    return ROLE_LABELS[Role(role)].lower()


def session_org_switch(*, session: Session, session_row: UserSession | None, org_id: int) -> None:
    """Point the login session at `org_id`, one of the user's organizations (the caller has
    checked), and commit what the request did with it."""
    if session_row is not None:
        session_row.org_id = org_id
        session.add(session_row)
    session.commit()


def membership_role_change(
    *, session: Session, org: Organization, user: User, role: Role
) -> Membership:
    """An owner gives a member another role (refused for the last owner), and commits."""
    try:
        membership = membership_set(session=session, org=org, user=user, role=role)
    except DomainError:
        session.rollback()
        raise
    session.commit()
    return membership


def org_update(*, session: Session, org: Organization, changes: Mapping[str, Any]) -> Organization:
    """Store changed settings of the organization. A new time zone moves every shop's and
    case's report day (the flush hooks of audits.report_day and recovery.report_day do that,
    in this commit)."""
    for name, value in changes.items():
        setattr(org, name, value)
    session.add(org)
    session.commit()
    return org


def login_session_close(*, session: Session, request: Request) -> None:
    """End the login session and commit."""
    session_end(session=session, request=request)
    session.commit()


# --- a shopper's qualifications ------------------------------------------------------------

MSG_TAGS = "Keep each qualification under 40 characters, at most 12 of them."
MSG_MEMBER_REGION = "Keep the region under 80 characters."
MSG_NOT_SHOPPER = "Qualifications are for secret shoppers."


def clean_tags(values: Sequence[str] | str | None) -> list[str]:
    """Qualifications from a list or a comma-separated line: trimmed, once each (ignoring
    case), in the order given. ValueError(MSG_TAGS) when too many or too long."""
    if values is None:
        return []
    items = values.split(",") if isinstance(values, str) else list(values)
    seen: dict[str, str] = {}
    for item in items:
        tag = " ".join(str(item).split())
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    tags = list(seen.values())
    if len(tags) > 12 or any(len(t) > 40 for t in tags):
        raise ValueError(MSG_TAGS)
    return tags


def membership_qualify(
    *, session: Session, membership: models.Membership, tags: str | Sequence[str], region: str
) -> models.Membership:
    """Set a shopper's qualifications ("certified", "speaks German") and region, which the
    job board matches against what a job asks for."""
    if membership.role != models.Role.shopper:
        raise DomainError(MSG_NOT_SHOPPER, field="tags")
    try:
        cleaned = clean_tags(tags)
    except ValueError as exc:
        raise DomainError(MSG_TAGS, field="tags") from exc
    region = " ".join(region.split())
    if len(region) > 80:
        raise DomainError(MSG_MEMBER_REGION, field="region")
    membership.tags = cleaned or None
    membership.region = region
    session.add(membership)
    session.commit()
    return membership
