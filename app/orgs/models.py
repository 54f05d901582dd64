"""Users, organizations, memberships, invites, sessions, API tokens and locations."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import EmailStr, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.i18n.catalogs import N_
from app.modelbase import OrgOwned, utc_field, utcnow
from app.orgs.coordinates import MSG_BOTH, check_latitude, check_longitude
from app.orgs.staff_names import clean_staff_names


class Role(StrEnum):
    owner = "owner"
    shopper = "shopper"
    viewer = "viewer"


ROLE_LABELS = {
    Role.owner: N_("Owner"),
    Role.shopper: N_("Secret shopper"),
    Role.viewer: N_("Staff (viewer)"),
}


# --- users -------------------------------------------------------------------------------


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(320), unique=True, index=True)
    name: str = Field(sa_type=String(120))
    password_hash: str = Field(sa_type=String(255))
    is_active: bool = True
    created_at: datetime = utc_field(default_factory=utcnow)
    # Two-step login (app/accounts/services.py): the TOTP secret (base32) once confirmed, the
    # last time step a code was accepted for (no code works twice), and the SHA-256 digests
    # of the unused recovery codes. Never part of any API shape.
    totp_secret: str | None = Field(default=None, sa_type=String(64))
    totp_last_step: int | None = None
    totp_recovery_hashes: list[str] | None = Field(default=None, sa_type=JSON)
    # The interface language this person chose ("es"); None follows the browser
    # (app/i18n/current.py). Remembered across logins and devices.
    language: str | None = Field(default=None, sa_type=String(8))

    @property
    def two_step_on(self) -> bool:
        return self.totp_secret is not None


class UserPublic(SQLModel):
    id: int
    email: str
    name: str


# --- organizations -----------------------------------------------------------------------

# token_urlsafe(12): 16 characters carrying 96 random bits; the public_key columns hold up to 24.
PUBLIC_KEY_BYTES = 12


def public_key_new() -> str:
    """A fresh unguessable key for a public complaint address (recovery/posters.py)."""
    return secrets.token_urlsafe(PUBLIC_KEY_BYTES)


# The short code printed on a poster for people to type (`/c/HK7Q3M`): no 0/O, 1/I/L, read
# case-insensitively. An organization's code starts with a digit and a location's with a
# letter, so a code names one table; 8 or 23 first characters times 31**5 leave hundreds of
# millions of codes of each kind, and misses at `/c/` count against the complaint throttle.
SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHORT_CODE_DIGITS = SHORT_CODE_ALPHABET[:8]
SHORT_CODE_LETTERS = SHORT_CODE_ALPHABET[8:]
SHORT_CODE_LENGTH = 6


def _short_code(first: str) -> str:
    rest = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH - 1))
    return secrets.choice(first) + rest


def org_short_code_new() -> str:
    """A fresh short code for an organization's complaint address (starts with a digit)."""
    return _short_code(SHORT_CODE_DIGITS)


def location_short_code_new() -> str:
    """A fresh short code for a location's complaint address (starts with a letter)."""
    return _short_code(SHORT_CODE_LETTERS)


def check_timezone(value: str) -> str:
    from zoneinfo import available_timezones

    if value not in available_timezones():
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin")
    return value


class OrganizationBase(SQLModel):
    name: str = Field(sa_type=String(120), min_length=1, max_length=120)
    timezone: str = Field(default="UTC", sa_type=String(64))


class Organization(OrganizationBase, table=True):
    __table_args__ = (
        UniqueConstraint("public_key", name="uq_organization_public_key"),
        Index("ix_organization_short_code", "short_code", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = utc_field(default_factory=utcnow)
    # The unguessable part of the public complaint form's address. Made with the row, so that
    # reading the posters page never has to write; never changed (posters hang on walls).
    public_key: str | None = Field(default_factory=public_key_new, sa_type=String(24))
    # The short address to type, `/c/{short_code}` (made with the row, never changed).
    short_code: str | None = Field(default_factory=org_short_code_new, sa_type=String(8))
    # An approved shop's touchpoint section this many points under target raises an alert.
    alert_margin: int = Field(default=10, ge=0, le=100)
    # A score this many points or less below its target is "near", further below is "below"
    # (the one status rule, app/status.py).
    near_target: int = Field(default=5, ge=0, le=100)
    # Days a recovery case keeps the customer's name and contact; None keeps them until the
    # case is deleted. 365 is the default of a new organization only: the column itself has
    # no default, because SQLAlchemy leaves a None out of an INSERT when there is one, and
    # the database would then store 365 for an explicit "keep them".
    contact_retention_days: int | None = Field(
        default=365, ge=1, le=3650, sa_column_kwargs={"default": None}
    )
    # Owners must log in with two steps (ASVS 4.3.1); owners without it are sent to /account.
    owners_two_step: bool = False
    # The languages its checklists are written in (app/orgs/languages.py), in order: the first
    # is the primary one, the fallback for every missing translation. Printed reports name
    # touchpoints and questions in `report_language`, one of them.
    languages: list[str] = Field(default_factory=lambda: ["en"], sa_type=JSON)
    report_language: str = Field(default="en", sa_type=String(8))

    @property
    def primary_language(self) -> str:
        return (self.languages or ["en"])[0]

    # Proof of visit: with the shopper's consent, the phone's position at the start of a
    # visit is measured against the location's coordinates (audits/proof). Off unless an
    # owner turns it on.
    location_check: bool = False


class OrganizationCreate(OrganizationBase):
    @field_validator("name")
    @classmethod
    def _strip_name(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("enter a name")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return check_timezone(v)


class OrganizationPublic(OrganizationBase):
    id: int


class Membership(OrgOwned, table=True):
    __table_args__ = (UniqueConstraint("user_id", "org_id", name="uq_membership_user_org"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: Role = Field(sa_type=String(16))
    created_at: datetime = utc_field(default_factory=utcnow)
    # A shopper's qualifications ("certified", "speaks German", "has a car") and region, set
    # by an owner on the people page: the job board offers a job limited to some only to
    # shoppers who have them.
    tags: list[str] | None = Field(default=None, sa_type=JSON)
    region: str = Field(default="", sa_type=String(80))


class MembershipPublic(SQLModel):
    id: int
    user: UserPublic
    role: Role


# --- invites -----------------------------------------------------------------------------


class Invite(OrgOwned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(320), index=True)
    role: Role = Field(sa_type=String(16))
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow)
    expires_at: datetime = utc_field()
    accepted_at: datetime | None = utc_field(default=None)
    revoked_at: datetime | None = utc_field(default=None)


class InviteCreate(SQLModel):
    email: EmailStr
    role: Role

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.strip().lower()


class InvitePublic(SQLModel):
    id: int
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


class InviteCreated(InvitePublic):
    """Returned once, right after creation: the link is never shown again."""

    link: str


# --- sessions and tokens -----------------------------------------------------------------


class UserSession(SQLModel, table=True):
    """Server side of a login; the cookie carries only a signed random id."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    org_id: int | None = Field(default=None, foreign_key="organization.id", ondelete="SET NULL")
    created_at: datetime = utc_field(default_factory=utcnow)
    expires_at: datetime = utc_field()


class ApiToken(OrgOwned, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    prefix: str = Field(sa_type=String(16))
    name: str = Field(sa_type=String(120))
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = utc_field(default_factory=utcnow)
    last_used_at: datetime | None = utc_field(default=None)
    revoked_at: datetime | None = utc_field(default=None)
    # "read" tokens may only read (GET); "write" tokens may do what their user may do.
    scope: str = Field(default="write", sa_type=String(16))
    # After this the token answers 401; None: it works until revoked.
    expires_at: datetime | None = utc_field(default=None)


class TokenScope(StrEnum):
    read = "read"
    write = "write"


class ApiTokenCreate(SQLModel):
    """A new token for the caller in their current organization. `expires_in_days`: none
    means it works until revoked."""

    name: str = Field(min_length=1, max_length=120)
    scope: TokenScope = TokenScope.read
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("enter a name to recognise the token by")
        return v


class ApiTokenPublic(SQLModel):
    id: int
    name: str
    prefix: str
    scope: TokenScope
    user: UserPublic
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class ApiTokenCreated(ApiTokenPublic):
    """Returned once, right after creation: the token itself is never shown again."""

    token: str


class LoginAttempt(SQLModel, table=True):
    """Failed logins, kept in the database so that every worker sees the same count."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(320), index=True)
    address: str = Field(sa_type=String(64), index=True)
    created_at: datetime = utc_field(default_factory=utcnow, index=True)


# --- locations ---------------------------------------------------------------------------


class LocationBase(SQLModel):
    name: str = Field(sa_type=String(120), min_length=1, max_length=120)
    address: str = Field(default="", sa_type=String(300), max_length=300)
    region: str = Field(default="", sa_type=String(80), max_length=80)
    # Where it is (WGS 84 degrees), typed or pasted by the owner (app/orgs/coordinates.py):
    # the shopper's map link points there, and the visit's location check measures from it.
    latitude: float | None = None
    longitude: float | None = None


class _Coordinates(SQLModel):
    """Both coordinates or neither, each within its range (the API's 422 names the field)."""

    @field_validator("latitude", check_fields=False)
    @classmethod
    def _lat(cls, v: float | None) -> float | None:
        return None if v is None else check_latitude(v)

    @field_validator("longitude", check_fields=False)
    @classmethod
    def _lon(cls, v: float | None) -> float | None:
        return None if v is None else check_longitude(v)

    @model_validator(mode="after")
    def _both(self) -> Any:
        given = self.model_fields_set & {"latitude", "longitude"}
        lat, lon = getattr(self, "latitude", None), getattr(self, "longitude", None)
        if given and (len(given) == 1 or (lat is None) != (lon is None)):
            raise PydanticCustomError("value_error", MSG_BOTH, {"field": "longitude"})
        return self


class Location(LocationBase, OrgOwned, table=True):
    __table_args__ = (
        UniqueConstraint("org_id", "name", name="uq_location_org_name"),
        UniqueConstraint("public_key", name="uq_location_public_key"),
        Index("ix_location_short_code", "short_code", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = utc_field(default_factory=utcnow)
    # The unguessable part of this location's complaint form address (made with the row).
    public_key: str | None = Field(default_factory=public_key_new, sa_type=String(24))
    # The short address to type, `/c/{short_code}` (made with the row, never changed).
    short_code: str | None = Field(default_factory=location_short_code_new, sa_type=String(8))
    # Names masked as "[staff]" in comments staff read (app.orgs.staff_names); None: none.
    staff_names: list[str] | None = Field(default=None, sa_type=JSON)


class LocationCreate(_Coordinates, LocationBase):
    # Text (comma- or line-separated) or a list; stored cleaned (app.orgs.staff_names).
    staff_names: list[str] = Field(default_factory=list)

    @field_validator("staff_names", mode="before")
    @classmethod
    def _staff(cls, v: object) -> list[str]:
        return clean_staff_names(v)

    @field_validator("name", "address", "region")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("name")
    @classmethod
    def _name_given(cls, v: str) -> str:
        if not v:
            raise ValueError("enter a name for the location")
        return v


class LocationUpdate(_Coordinates):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    address: str | None = Field(default=None, max_length=300)
    region: str | None = Field(default=None, max_length=80)
    latitude: float | None = None
    longitude: float | None = None
    staff_names: list[str] | None = None

    @field_validator("staff_names", mode="before")
    @classmethod
    def _staff(cls, v: object) -> list[str] | None:
        return None if v is None else clean_staff_names(v)

    @field_validator("name", "address", "region")
    @classmethod
    def _strip(cls, v: str | None) -> str | None:
        return v.strip() if v is not None else None

    @field_validator("name")
    @classmethod
    def _name_given(cls, v: str | None) -> str | None:
        if v is not None and not v:
            raise ValueError("enter a name for the location")
        return v


class LocationPublic(LocationBase):
    id: int
    created_at: datetime
    staff_names: list[str] = Field(default_factory=list)

    @field_validator("staff_names", mode="before")
    @classmethod
    def _none_empty(cls, v: list[str] | None) -> list[str]:
        return v or []
