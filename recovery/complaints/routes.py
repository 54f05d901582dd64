"""The public complaint form: login-free pages where a customer tells the business what went wrong.

Addresses are `/complain/{org_key}` (the whole organization) and
`/complain/{org_key}/{location_key}` (one location); both keys are unguessable (see
recovery/posters.py), and a location key only works together with its own organization's key.
The short address printed on posters, `/c/{code}`, sends the browser on to one of these.
The page shows the organization's name, and the location's, and nothing else about them.

Defences, in the order a post meets them:

1. the body size, checked by `LimitedBodyRoute` before anything reads the body (413);
2. the app's CSRF check (app.security.csrf_protect): the form page puts a token in this
   browser's session cookie and in the form, like every other form of the app;
3. throttling per client address (recovery/throttle.py, 429 with the time to come back);
4. a signed form token made when the form was served: it binds the post to this form,
   refuses posts quicker than a person could write one, and expires; its random part also
   decides the case reference, so a double submit finds the case the first one opened;
5. a honeypot field that people never see: a bot that fills it is told "thank you" and
   nothing is stored;
6. control characters are removed, lengths are checked, and everything is shown escaped.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, NamedTuple
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.types import Message

from app.accounts.routes import client_address
from app.config import Settings
from app.db import SAFE_METHODS, SessionDep, get_db
from app.errors import DomainError
from app.forms import domain_errors, parse_form
from app.i18n.catalogs import N_, gettext
from app.i18n.current import request_language
from app.i18n.formats import number_text
from app.i18n.languages import DEFAULT_LANGUAGE
from app.modelbase import ident, utcnow
from app.orgs.logo.queries import logo_of, logo_url
from app.orgs.models import Location, Organization
from app.templating import render
from app.tenancy import scope_session
from recovery import queries
from recovery.complaints.throttle import PostsThrottled, public_post_check, public_post_record
from recovery.models import FIX_WINDOW_HOURS, CaseSource
from recovery.posters.services import KEY_PATTERN, complaint_path, short_code_parse
from recovery.services import REF_ALPHABET, CaseOpen, complaint_open

SUMMARY_MAX = 2000
NAME_MAX = 120
CONTACT_MAX = 200
HONEYPOT = "website"  # a name form-filling bots like to fill in

MSG_NOT_FOUND = N_(
    "We could not find this complaint form. The link may be mistyped, or it is no longer "
    "in use. Please ask the staff for the current one."
)
MSG_TOO_LARGE = N_(
    "What you sent was too large for this form. Please go back, shorten your message to "
    "at most 2,000 characters and send it again."
)
MSG_SUMMARY_EMPTY = N_("Please tell us what happened, in a sentence or two.")
MSG_SUMMARY_LONG = N_("Please keep it to %(max)s characters or fewer (this is %(n)s).")
MSG_NAME_LONG = N_("Please keep your name to %(max)s characters or fewer.")
MSG_CONTACT_LONG = N_("Please keep this to %(max)s characters or fewer.")
MSG_WHEN_FORMAT = N_("Give the date and the time, for example 2026-11-29 14:30.")
MSG_WHEN_FUTURE = N_("That time has not come yet. When did it happen?")
MSG_WHEN_OLD = N_("Please choose a time within the last year.")
MSG_FORM_BROKEN = N_(
    "This form could not be checked. We have loaded it again: please send it once more."
)
MSG_FORM_OLD = N_(
    "This page was open for a long time. We have refreshed it: please send it once more."
)
MSG_TOO_FAST = N_(
    "That was sent quicker than anyone can type. Please check your message and send it again."
)

_FORM_SALT = "touchstone.complaint-form"
_THANKS_SALT = "touchstone.complaint-thanks"
# C0 and C1 control characters except tab and newline, and the bidirectional overrides and
# isolates that can make text display differently from how it reads.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# --- the body size limit ----------------------------------------------------------------


class LimitedBodyRoute(APIRoute):
    """Refuses a post whose body is larger than `complaint_max_bytes` with a 413 page.

    It runs before FastAPI parses the form and before the app's CSRF check (which reads the
    form too), and it reads at most one byte past the limit, whatever Content-Length says.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            if request.method in SAFE_METHODS:
                return await handler(request)
            limit: int = request.app.state.settings.complaint_max_bytes
            declared = request.headers.get("content-length", "")
            if declared and not (declared.isascii() and declared.isdigit()):
                return _too_large(request)
            if declared and int(declared) > limit:
                return _too_large(request)
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    return _too_large(request)
            return await handler(_with_body(request, bytes(body)))

        return limited


def _with_body(request: Request, body: bytes) -> Request:
    """The same request, its body replayed from memory for the handler to parse."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await request.receive()

    return Request(request.scope, receive)


def _too_large(request: Request) -> Response:
    return _problem(request, 413, N_("That was too much to send"), MSG_TOO_LARGE)


router = APIRouter(include_in_schema=False, route_class=LimitedBodyRoute)


# --- helpers ---------------------------------------------------------------------------


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Text as a person typed it: no control characters, one kind of line break."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        value = value.replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub("", value).strip()


@dataclass(frozen=True)
class Place:
    """The organization (and location) a complaint address names."""

    org: Organization
    location: Location | None
    org_key: str
    location_key: str | None
    logo_url: str | None = None  # the organization's logo, shown in the page's bar

    @property
    def path(self) -> str:
        return complaint_path(self.org_key, self.location_key)


def place_resolve(
    *, session: Session, org_key: str, location_key: str | None = None
) -> Place | None:
    """The place behind the keys, and the session scoped to its organization; None if unknown."""
    if not KEY_PATTERN.fullmatch(org_key):
        return None
    if location_key is not None and not KEY_PATTERN.fullmatch(location_key):
        return None
    org = queries.organization_by_public_key(session, org_key)
    if org is None:
        return None
    scope_session(session, ident(org))
    location = None
    if location_key is not None:
        # The scope keeps another organization's location out, whatever its key.
        location = queries.location_by_public_key(session, location_key)
        if location is None:
            return None
    return Place(
        org=org,
        location=location,
        org_key=org_key,
        location_key=location_key,
        logo_url=logo_url(org, logo_of(session, ident(org))),
    )


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def form_token_issue(settings: Settings, place: Place) -> str:
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=_FORM_SALT)
    nonce = secrets.token_urlsafe(16)
    return str(serializer.dumps({"p": place.path, "n": nonce}))


@dataclass(frozen=True)
class FormToken:
    nonce: str
    issued_at: datetime


def form_token_read(settings: Settings, place: Place, token: str) -> FormToken:
    """The served form's nonce and time, or a DomainError saying what to do."""
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=_FORM_SALT)
    try:
        data, issued = serializer.loads(
            token, max_age=settings.complaint_form_hours * 3600, return_timestamp=True
        )
    except SignatureExpired as exc:
        raise DomainError(MSG_FORM_OLD) from exc
    except BadSignature as exc:
        raise DomainError(MSG_FORM_BROKEN) from exc
    if not isinstance(data, dict) or data.get("p") != place.path or not data.get("n"):
        raise DomainError(MSG_FORM_BROKEN)
    return FormToken(nonce=str(data["n"]), issued_at=issued)


def reference_for(settings: Settings, nonce: str) -> str:
    """The case reference a served form will get: the same for every post of that form."""
    digest = hmac.new(settings.secret_key.encode(), nonce.encode(), hashlib.sha256).digest()
    return "".join(REF_ALPHABET[b % len(REF_ALPHABET)] for b in digest[:8])


def thanks_url(settings: Settings, place: Place, reference: str) -> str:
    token = URLSafeSerializer(settings.secret_key, salt=_THANKS_SALT).dumps(
        {"r": reference, "l": place.location_key or ""}
    )
    return f"/complain/{place.org_key}/thanks?c={token}"


def _local_now(org: Organization) -> datetime:
    return utcnow().astimezone(ZoneInfo(org.timezone)).replace(second=0, microsecond=0)


def happened_parse(value: str, org: Organization) -> datetime | None:
    """A datetime-local field read in the organization's time zone, as UTC; None if empty."""
    value = value.strip()
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError as exc:
        raise DomainError(MSG_WHEN_FORMAT, field="happened_at") from exc
    if local.year < 2000:
        raise DomainError(MSG_WHEN_OLD, field="happened_at")
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(org.timezone))
    at = local.astimezone(UTC)
    now = utcnow()
    if at > now + timedelta(minutes=1):
        raise DomainError(MSG_WHEN_FUTURE, field="happened_at")
    if at < now - timedelta(days=366):
        raise DomainError(MSG_WHEN_OLD, field="happened_at")
    return at


# --- pages -----------------------------------------------------------------------------


def _problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    org_name: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A public page's refusal, without the member pages' "go to the start page" link.
    `title` and `detail` are marked messages (N_), translated here, or text already in the
    page's language."""
    lang = request_language(request)
    return render(
        request,
        "recovery/public_problem.html",
        {
            "status": status,
            "title": gettext(title, lang),
            "detail": gettext(detail, lang),
            "org_name": org_name,
        },
        status_code=status,
        headers=headers,
    )


def _not_found(request: Request) -> Response:
    return _problem(request, 404, N_("Form not found"), MSG_NOT_FOUND)


def _form_page(
    request: Request,
    place: Place,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    token: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    settings = _settings(request)
    lang = request_language(request)
    now_local = _local_now(place.org)
    form = {
        "summary": "",
        "happened_at": now_local.strftime("%Y-%m-%dT%H:%M"),
        "customer_name": "",
        "customer_contact": "",
        **(values or {}),
    }
    return render(
        request,
        "recovery/public_form.html",
        {
            "org_name": place.org.name,
            "org_logo": place.logo_url,
            "location_name": place.location.name if place.location else None,
            "action": place.path,
            "form": form,
            # Messages of the code (N_) in the page's language; _check's are already.
            "errors": {k: gettext(v, lang) for k, v in (errors or {}).items()},
            "form_token": token or form_token_issue(settings, place),
            "max_when": now_local.strftime("%Y-%m-%dT%H:%M"),
            "summary_max": SUMMARY_MAX,
            "retention_days": place.org.contact_retention_days,
            "fix_hours": FIX_WINDOW_HOURS,
            "honeypot": HONEYPOT,
        },
        status_code=status_code,
        headers=headers,
    )


def _show_form(
    request: Request, session: Session, org_key: str, location_key: str | None
) -> Response:
    place = place_resolve(session=session, org_key=org_key, location_key=location_key)
    if place is None:
        return _not_found(request)
    return _form_page(request, place)


@router.get("/c/{code}")
def complaint_short(request: Request, session: SessionDep, code: str) -> Response:
    """The short address printed on a poster (`/c/HK7Q3M`, any case): on to the form.

    Codes are short enough to type, so they are few enough to guess at: a miss counts
    against the client address like a post to the form, and a throttled address gets a 429
    before any lookup.
    """
    settings = _settings(request)
    address = client_address(request)
    try:
        public_post_check(session=session, address=address, settings=settings)
    except PostsThrottled as exc:
        return _problem(
            request,
            429,
            N_("Please wait a moment"),
            exc.message_in("UTC", exc.retry_at, request_language(request)),
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )
    path = _short_path_resolve(session, code)
    if path is None:
        session.rollback()
        with get_db(request).write() as writing:
            public_post_record(session=writing, address=address)
        return _not_found(request)
    return Response(status_code=303, headers={"Location": path})


def _short_path_resolve(session: Session, value: str) -> str | None:
    """The long complaint path a short code stands for; None if there is none."""
    code = short_code_parse(value)
    if code is None:
        return None
    if code[0].isdigit():  # an organization's code
        org = queries.organization_by_short_code(session, code)
        if org is None or org.public_key is None:
            return None
        return complaint_path(org.public_key)
    location = queries.location_by_short_code(session, code)
    if location is None or location.public_key is None:
        return None
    org = session.get(Organization, location.org_id)
    if org is None or org.public_key is None:
        return None
    return complaint_path(org.public_key, location.public_key)


@router.get("/complain/{org_key}/thanks")
def complaint_thanks(request: Request, session: SessionDep, org_key: str, c: str = "") -> Response:
    """After a complaint: the reference and what happens next (reloading posts nothing)."""
    settings = _settings(request)
    try:
        data = URLSafeSerializer(settings.secret_key, salt=_THANKS_SALT).loads(c)
    except BadSignature:
        return _not_found(request)
    if not isinstance(data, dict):
        return _not_found(request)
    place = place_resolve(session=session, org_key=org_key, location_key=data.get("l") or None)
    if place is None:
        return _not_found(request)
    return render(
        request,
        "recovery/public_thanks.html",
        {
            "org_name": place.org.name,
            "org_logo": place.logo_url,
            "location_name": place.location.name if place.location else None,
            "reference": str(data.get("r", "")),
            "fix_hours": FIX_WINDOW_HOURS,
            "form_path": place.path,
        },
    )


@router.get("/complain/{org_key}")
def complaint_form_org(request: Request, session: SessionDep, org_key: str) -> Response:
    return _show_form(request, session, org_key, None)


@router.get("/complain/{org_key}/{location_key}")
def complaint_form_location(
    request: Request, session: SessionDep, org_key: str, location_key: str
) -> Response:
    return _show_form(request, session, org_key, location_key)


Text = Annotated[str, Form()]


class _Posted(NamedTuple):
    fields: dict[str, str]  # what the customer typed
    token: str
    honeypot: str


def _posted(
    summary: Text = "",
    happened_at: Text = "",
    customer_name: Text = "",
    customer_contact: Text = "",
    form_token: Text = "",
    website: Text = "",
) -> _Posted:
    """The posted form, read the same way for both addresses (a dependency, so that the two
    routes cannot drift apart in the fields they take)."""
    fields = {
        "summary": summary,
        "happened_at": happened_at,
        "customer_name": customer_name,
        "customer_contact": customer_contact,
    }
    return _Posted(fields, form_token, website)


PostedDep = Annotated[_Posted, Depends(_posted)]


@router.post("/complain/{org_key}")
def complaint_submit_org(
    request: Request, session: SessionDep, org_key: str, posted: PostedDep
) -> Response:
    return _submit(request, session, org_key, None, posted)


@router.post("/complain/{org_key}/{location_key}")
def complaint_submit_location(
    request: Request, session: SessionDep, org_key: str, location_key: str, posted: PostedDep
) -> Response:
    return _submit(request, session, org_key, location_key, posted)


def _submit(
    request: Request,
    session: Session,
    org_key: str,
    location_key: str | None,
    posted: _Posted,
) -> Response:
    raw, token, honeypot = posted
    settings = _settings(request)
    place = place_resolve(session=session, org_key=org_key, location_key=location_key)
    if place is None:
        return _not_found(request)
    values = {
        "summary": clean_text(raw["summary"], multiline=True),
        "happened_at": clean_text(raw["happened_at"]),
        "customer_name": clean_text(raw["customer_name"]),
        "customer_contact": clean_text(raw["customer_contact"]),
    }

    # Every post that gets this far counts against its address, whatever becomes of it:
    # the count is committed with the case, or on its own when no case is opened.
    address = client_address(request)
    try:
        public_post_check(session=session, address=address, settings=settings)
    except PostsThrottled as exc:
        session.rollback()
        # The form again, with the customer's words in it (nothing was sent) and when to
        # try again; a refused post is not counted.
        return _form_page(
            request,
            place,
            values=values,
            errors={
                "__all__": exc.message_in(
                    place.org.timezone, exc.retry_at, request_language(request)
                )
            },
            token=token,
            status_code=429,
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )

    def refused(errors: dict[str, str], token: str | None = None) -> Response:
        return _form_page(
            request, place, values=values, errors=errors, token=token, status_code=400
        )

    def refuse(errors: dict[str, str], token: str | None = None) -> Response:
        public_post_record(session=session, address=address, commit=True)
        return refused(errors, token)

    def thanks(url: str) -> Response:
        public_post_record(session=session, address=address, commit=True)
        return Response(status_code=303, headers={"Location": url})

    try:
        form = form_token_read(settings, place, token)
    except DomainError as exc:
        return refuse(domain_errors(exc))
    reference = reference_for(settings, form.nonce)
    done = thanks_url(settings, place, reference)
    if honeypot.strip():
        return thanks(done)  # a bot: it is told "thank you", and nothing is stored
    if _case_exists(session, reference):
        return thanks(done)  # the same form sent again: the case it opened

    errors = _check(values, place.org, request_language(request))
    data, parse_errors = parse_form(
        CaseOpen,
        {
            "summary": _summary_with_time(values, place.org),
            "source": CaseSource.complaint_form,
            "location_id": place.location.id if place.location else None,
            "customer_name": values["customer_name"],
            "customer_contact": values["customer_contact"],
        },
    )
    errors = {**parse_errors, **errors}
    if data is None or errors:
        return refuse(errors, token)
    # Only a complete message is timed: a person who taps Send at once on an empty form
    # should hear what is missing, not that they were quick.
    if utcnow() - form.issued_at < timedelta(seconds=settings.complaint_min_seconds):
        return refuse({"__all__": MSG_TOO_FAST}, token)
    try:
        # The reference comes from the served form, so that a second post of the same form
        # (a double tap, a resend after a lost answer) meets the unique reference.
        complaint_open(
            session=session,
            org_id=ident(place.org),
            data=data,
            reference=reference,
            address=address,
            language=request_language(request),
        )
    except IntegrityError:
        if not _case_exists(session, reference):
            raise
    except DomainError as exc:
        return refused(domain_errors(exc), token)
    return Response(status_code=303, headers={"Location": done})


def _case_exists(session: Session, reference: str) -> bool:
    return queries.case_reference_exists(session, reference)


def _count(n: int, lang: str) -> str:
    return f"{n:,}" if lang == DEFAULT_LANGUAGE else number_text(n, lang)


def _check(values: dict[str, str], org: Organization, lang: str) -> dict[str, str]:
    """The public form's own limits (stricter than the owner's form) and its time field,
    each message in `lang`."""
    errors: dict[str, str] = {}
    if not values["summary"]:
        errors["summary"] = gettext(MSG_SUMMARY_EMPTY, lang)
    elif len(values["summary"]) > SUMMARY_MAX:
        errors["summary"] = gettext(
            MSG_SUMMARY_LONG,
            lang,
            max=_count(SUMMARY_MAX, lang),
            n=_count(len(values["summary"]), lang),
        )
    if len(values["customer_name"]) > NAME_MAX:
        errors["customer_name"] = gettext(MSG_NAME_LONG, lang, max=_count(NAME_MAX, lang))
    if len(values["customer_contact"]) > CONTACT_MAX:
        errors["customer_contact"] = gettext(MSG_CONTACT_LONG, lang, max=_count(CONTACT_MAX, lang))
    try:
        happened_parse(values["happened_at"], org)
    except DomainError as exc:
        errors.update(domain_errors(exc))
    return errors


JUST_NOW = timedelta(minutes=30)


def _summary_with_time(values: dict[str, str], org: Organization) -> str:
    """The customer's words, with when it happened as a last line when they said.

    `reported_at` stays the moment the complaint arrived: the 24-hour window to put it
    right starts when the business hears of a problem, not when the problem happened.
    """
    summary = values["summary"]
    try:
        at = happened_parse(values["happened_at"], org)
    except DomainError:
        return summary
    if not summary or at is None:
        return summary
    # The field comes filled with the time the form was opened; left as it was ("it was
    # just now"), it says nothing the case's reported time does not already say.
    if utcnow() - at < JUST_NOW:
        return summary
    local = at.astimezone(ZoneInfo(org.timezone))
    return f"{summary}\n\nWhen it happened: {local:%d %b %Y, %H:%M}"
