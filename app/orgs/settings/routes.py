"""The organization's settings: name, time zone, alert margin, how long customer contact
details are kept, whether owners must use two-step login, whether a visit's start is
checked against the location (with the shopper's consent). One owner page (`/settings`) and
`GET/PATCH /api/v1/organization/settings`.

The shapes and the one write live here with the routes because they concern this page
alone; both the page and the API validate through `OrganizationSettingsUpdate`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, field_validator

from app.errors import InvalidError
from app.forms import domain_errors, parse_form
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.modelbase import utcnow
from app.orgs import services
from app.orgs.languages import (
    MSG_REPORT_LANGUAGE,
    clean_languages,
    language_name,
    offered,
)
from app.orgs.models import ApiTokenCreate, Organization, check_timezone
from app.orgs.queries import zone_names
from app.orgs.tokens.api import TokenDep
from app.orgs.tokens.services import (
    api_token_create,
    api_token_revoke,
    api_tokens_live,
    token_expired,
)
from app.status import NEAR_MAX
from app.templating import flash, local_when, redirect, render
from app.tenancy import OwnerDep

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["organization"])

MARGIN_MAX = 100
RETENTION_MIN, RETENTION_MAX = 1, 3650
MSG_NAME = N_("Enter the organization's name (at most 120 characters).")
MSG_MARGIN = f"Give the margin as a whole number of points from 0 to {MARGIN_MAX}."
MSG_NEAR = f"Give the near band as a whole number of points from 0 to {NEAR_MAX}."
MSG_RETENTION = (
    f"Give a whole number of days from {RETENTION_MIN} to {RETENTION_MAX}, "
    "or choose to keep the details."
)
MSG_TWO_STEP = N_("Give true or false.")
MSG_SAVED = N_("Settings saved.")
TOKENS_FRAGMENT = "orgs/_api_tokens.html"
MSG_TZ_MOVED = " Shops and recovery cases now count on their days in {tz}."


def _whole(value: Any, low: int, high: int, message: str) -> int:
    """A whole number in [low, high] from JSON or a form field, else `message`."""
    if isinstance(value, bool):
        raise ValueError(message)
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise ValueError(message)
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        raise ValueError(message)
    return value


class OrganizationSettings(BaseModel):
    """The settings as the API shows them."""

    name: str
    timezone: str
    alert_margin: int
    # A score at most this many points below its target is "near" (app/status.py).
    near_target: int
    contact_retention_days: int | None  # null: contact details are kept
    owners_two_step: bool  # owners must use two-step login to reach owner pages
    # Checklist languages in order (the first is the primary one and the fallback), and
    # the one printed reports use.
    languages: list[str]
    report_language: str
    # With the shopper's consent, how far the phone was from the location when the visit
    # started (seen by owners only; kept as long as contact details).
    location_check: bool


class OrganizationSettingsUpdate(BaseModel):
    """What may change; fields left out stay as they are. `contact_retention_days: null`
    means keep customer contact details until the case is deleted."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    timezone: str | None = None
    alert_margin: int | None = None
    near_target: int | None = None
    contact_retention_days: int | None = None
    owners_two_step: bool | None = None
    languages: list[str] | None = None
    report_language: str | None = None
    location_check: bool | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> Any:
        if v is None:
            raise ValueError(MSG_NAME)
        if not isinstance(v, str) or not v.strip() or len(v.strip()) > 120:
            raise ValueError(MSG_NAME)
        return v.strip()

    @field_validator("timezone", mode="before")
    @classmethod
    def _tz(cls, v: Any) -> Any:
        if not isinstance(v, str):
            raise ValueError("Give an IANA time zone name, such as Europe/Berlin.")
        return check_timezone(v.strip())

    @field_validator("alert_margin", mode="before")
    @classmethod
    def _margin(cls, v: Any) -> int:
        return _whole(v, 0, MARGIN_MAX, MSG_MARGIN)

    @field_validator("near_target", mode="before")
    @classmethod
    def _near(cls, v: Any) -> int:
        return _whole(v, 0, NEAR_MAX, MSG_NEAR)

    @field_validator("owners_two_step", "location_check", mode="before")
    @classmethod
    def _two_step(cls, v: Any) -> bool:
        if not isinstance(v, bool):  # no "yes" or 1: a typo must not quietly change security
            raise ValueError(MSG_TWO_STEP)
        return v

    @field_validator("contact_retention_days", mode="before")
    @classmethod
    def _retention(cls, v: Any) -> int | None:
        return None if v is None else _whole(v, RETENTION_MIN, RETENTION_MAX, MSG_RETENTION)

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, v: Any) -> list[str]:
        return clean_languages(v)

    @field_validator("report_language", mode="before")
    @classmethod
    def _report_language(cls, v: Any) -> str:
        if not isinstance(v, str) or not v.strip():
            raise ValueError("Give the report language as a code, such as en.")
        return v.strip().lower()


def _report_language_fits(org: Organization, data: OrganizationSettingsUpdate) -> None:
    """The report language must be one of the checklist languages (the ones sent, else the
    stored ones); when the languages change and leave the stored report language out, it
    moves to the new primary language, so a shorter list never strands the reports."""
    languages = data.languages if data.languages is not None else org.languages
    if data.report_language is not None:
        if data.report_language not in languages:
            raise InvalidError(
                message(MSG_REPORT_LANGUAGE, code=data.report_language), field="report_language"
            )
    elif org.report_language not in languages:
        data.report_language = languages[0]


def settings_of(org: Organization) -> OrganizationSettings:
    return OrganizationSettings(
        name=org.name,
        timezone=org.timezone,
        alert_margin=org.alert_margin,
        near_target=org.near_target,
        contact_retention_days=org.contact_retention_days,
        owners_two_step=org.owners_two_step,
        languages=list(org.languages),
        report_language=org.report_language,
        location_check=org.location_check,
    )


def org_settings_update(
    *, session: Any, org: Organization, data: OrganizationSettingsUpdate
) -> Organization:
    """Store the changed settings (`app.orgs.services.org_update` commits them)."""
    _report_language_fits(org, data)
    changes = data.model_dump(exclude_unset=True)
    if data.report_language is not None:
        changes["report_language"] = data.report_language
    return services.org_update(session=session, org=org, changes=changes)


# --- page ----------------------------------------------------------------------------------


def _page(
    request: Request,
    tenant: OwnerDep,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    **more: Any,
) -> Response:
    return render(
        request,
        "orgs/settings.html",
        {
            "form": form,
            "errors": errors,
            "zones": zone_names(),
            "language_choices": _language_choices(form.get("languages") or []),
            **_tokens_context(tenant, **more),
        },
        fragment=TOKENS_FRAGMENT if more else None,
        status_code=status_code,
    )


def _language_choices(chosen: list[str]) -> list[tuple[str, str]]:
    """The offered languages, plus any chosen through the API that the page does not offer."""
    choices = offered()
    codes = {code for code, _ in choices}
    return choices + [(c, language_name(c)) for c in chosen if c not in codes]


def _tokens_context(tenant: OwnerDep, **more: Any) -> dict[str, Any]:
    """The API tokens section: every live token of the organization, and its form."""
    now, tz = utcnow(), tenant.org.timezone
    tokens = [
        {
            "id": token.id,
            "name": token.name,
            "prefix": token.prefix,
            "scope": token.scope,
            "user": user.name,
            "created": local_when(token.created_at, tz, now),
            "used": last_used_words(token.last_used_at, now, tz),
            "expires": local_when(token.expires_at, tz, now) if token.expires_at else None,
            "expired": token_expired(token, now),
        }
        for token, user in api_tokens_live(session=tenant.session, org_id=tenant.org_id)
    ]
    token_form = {"name": "", "scope": "read", "expires_in_days": ""}
    return {"tokens": tokens, "token_form": token_form, "token_errors": {}, **more}


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def last_used_words(last_used_at: datetime | None, now: datetime, tz: str) -> str:
    """How the token list says it: "never used", "last used 3 days ago"."""
    if last_used_at is None:
        return "never used"
    minutes = int((now - last_used_at).total_seconds() // 60)
    if minutes < 1:
        return "last used just now"
    if minutes < 60:
        return f"last used {_count(minutes, 'minute')} ago"
    if minutes < 24 * 60:
        return f"last used {_count(minutes // 60, 'hour')} ago"
    if minutes < 60 * 24 * 60:
        return f"last used {_count(minutes // (24 * 60), 'day')} ago"
    return f"last used on {local_when(last_used_at, tz, now)}"


@router.get("/settings")
def settings_page(request: Request, tenant: OwnerDep) -> Response:
    return _page(request, tenant, _settings_form(tenant.org), {})


@router.post("/settings")
def settings_save(
    request: Request,
    tenant: OwnerDep,
    name: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "",
    alert_margin: Annotated[str, Form()] = "",
    near_target: Annotated[str, Form()] = "",
    retention: Annotated[str, Form()] = "days",
    contact_retention_days: Annotated[str, Form()] = "",
    owners_two_step: Annotated[str, Form()] = "",
    primary_language: Annotated[str | None, Form()] = None,
    other_languages: Annotated[list[str] | None, Form()] = None,
    report_language: Annotated[str, Form()] = "",
    location_check: Annotated[str, Form()] = "",
) -> Response:
    # The primary language first, then the others in the order the page lists them.
    # A form without the languages section (an older page) leaves the languages alone.
    primary = (primary_language or "").strip()
    chosen = [primary] if primary else []
    chosen += [c for c in other_languages or [] if c and c not in chosen]
    form = {
        "name": name,
        "timezone": timezone,
        "alert_margin": alert_margin,
        "near_target": near_target,
        "retention": "keep" if retention == "keep" else "days",
        "contact_retention_days": contact_retention_days,
        "owners_two_step": owners_two_step == "on",
        "languages": chosen if primary_language is not None else list(tenant.org.languages),
        "report_language": report_language or tenant.org.report_language,
        "location_check": location_check == "on",
    }
    values: dict[str, Any] = {
        "name": name,
        "timezone": timezone,
        "alert_margin": alert_margin,
        "near_target": near_target,
        "contact_retention_days": None if retention == "keep" else contact_retention_days,
        "owners_two_step": owners_two_step == "on",
        "location_check": location_check == "on",
    }
    if primary_language is not None:
        values["languages"] = chosen
    if report_language:
        values["report_language"] = report_language
    data, errors = parse_form(OrganizationSettingsUpdate, values)
    if data is None:
        return _page(request, tenant, form, errors, status_code=400)
    moved = data.timezone is not None and data.timezone != tenant.org.timezone
    try:
        org = org_settings_update(session=tenant.session, org=tenant.org, data=data)
    except InvalidError as exc:
        return _page(request, tenant, form, domain_errors(exc), status_code=400)
    flash(request, MSG_SAVED + (MSG_TZ_MOVED.format(tz=org.timezone) if moved else ""))
    return redirect(request, "/settings")


def _settings_form(org: Organization) -> dict[str, Any]:
    return {
        "name": org.name,
        "timezone": org.timezone,
        "alert_margin": str(org.alert_margin),
        "near_target": str(org.near_target),
        "retention": "keep" if org.contact_retention_days is None else "days",
        "contact_retention_days": str(org.contact_retention_days or 365),
        "owners_two_step": org.owners_two_step,
        "languages": list(org.languages),
        "report_language": org.report_language,
        "location_check": org.location_check,
    }


@router.post("/settings/tokens")
def token_create_page(
    request: Request,
    tenant: OwnerDep,
    token_name: Annotated[str, Form()] = "",
    token_scope: Annotated[str, Form()] = "read",
    token_expires_in_days: Annotated[str, Form()] = "",
) -> Response:
    """Make a token acting as this owner; the section shows it once (htmx: only the section).
    Its fields are named apart from the settings form's on the same page."""
    form = _settings_form(tenant.org)
    token_form = {
        "name": token_name,
        "scope": token_scope,
        "expires_in_days": token_expires_in_days,
    }
    values = {
        "name": token_name,
        "scope": token_scope,
        "expires_in_days": token_expires_in_days.strip() or None,
    }
    data, errors = parse_form(ApiTokenCreate, values)
    if data is None:
        token_errors = {f"token_{k}": v for k, v in errors.items()}
        return _page(
            request, tenant, form, {}, 400, token_form=token_form, token_errors=token_errors
        )
    token, raw = api_token_create(
        session=tenant.session, user=tenant.user, org_id=tenant.org_id, data=data
    )
    return _page(request, tenant, form, {}, created={"name": token.name, "token": raw})


@router.post("/settings/tokens/{api_token_id}/revoke")
def token_revoke_page(request: Request, tenant: OwnerDep, token: TokenDep) -> Response:
    api_token_revoke(session=tenant.session, token=token)
    return _page(request, tenant, _settings_form(tenant.org), {}, revoked=token.name)


# --- API -----------------------------------------------------------------------------------


@api_router.get("/organization/settings", response_model=OrganizationSettings)
def settings_read(tenant: OwnerDep) -> OrganizationSettings:
    """The current organization's settings (owners only)."""
    return settings_of(tenant.org)


@api_router.patch("/organization/settings", response_model=OrganizationSettings)
def settings_patch(tenant: OwnerDep, data: OrganizationSettingsUpdate) -> OrganizationSettings:
    """Change some settings; a bad value is a 422 naming its field, and nothing is changed."""
    org = org_settings_update(session=tenant.session, org=tenant.org, data=data)
    return settings_of(org)
