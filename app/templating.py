"""Jinja2 environment and rendering of full pages or, for htmx requests, only their fragment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from app.clock import utcnow
from app.config import PROJECT_ROOT
from app.figures import points_text, score_text
from app.i18n import formats
from app.i18n import jinja as i18n_jinja
from app.i18n.current import current_language, request_language, using
from app.i18n.formats import local_when
from app.i18n.jinja import context_language
from app.i18n.languages import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES
from app.i18n.message import Message
from app.orgs.models import ROLE_LABELS, Role
from app.security import CSRF_FIELD, CSRF_HEADER, csrf_token
from app.status import target_status

HTMX_FILE = "htmx-2.0.11.min.js"

templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates"))
# Templates mark their words with `_()` / `{% trans %}`; Babel's catalogs translate them into
# the language of the page (app/i18n, docs/development.md "Languages").
i18n_jinja.install(templates.env)


def flash(request: Request, message: str, kind: str = "success") -> None:
    """Queue a one-time message for the next page this browser renders. A message with
    values (`app.i18n.message.Message`) is written in this browser's language now: the
    session keeps text, not the values."""
    if isinstance(message, Message):
        message = message.text(request_language(request))
    messages = list(request.session.get("flash", []))
    messages.append({"kind": kind, "message": message})
    request.session["flash"] = messages


def _take_flashes(request: Request) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = request.session.pop("flash", [])
    return messages


STATIC_PREFIX = "/static/"  # where app.main mounts app/static


@pass_context
def static_url(context: Context, path: str) -> str:
    """The address of a file under app/static, as the page's links need it.

    Not `url_for('static', ...)`: FastAPI resolves a name by trying every route of every
    included router, and that search was a quarter of the time of rendering a page.
    """
    request = context.get("request")
    root = request.scope.get("root_path", "") if request is not None else ""
    return f"{root}{STATIC_PREFIX}{path}"


# Dates and numbers in the page's language (app/i18n/formats.py); English as it always read.


@pass_context
def _local_time(
    context: Context,
    value: datetime | None,
    tz: str = "UTC",
    fmt: str = formats.DEFAULT_TIME_FORMAT,
) -> str:
    return formats.local_time(value, tz, fmt, lang=context_language(context))


@pass_context
def _local_when(
    context: Context, value: datetime | None, tz: str = "UTC", now: datetime | None = None
) -> str:
    return local_when(value, tz, now or utcnow(), lang=context_language(context))


@pass_context
def _day(context: Context, value: date | None, fmt: str = "%d %b %Y") -> str:
    return formats.day_text(value, fmt, lang=context_language(context))


@pass_context
def _number(context: Context, value: Any) -> str:
    return formats.number_text(value, lang=context_language(context))


@pass_context
def _score(context: Context, value: float | None) -> str:
    return formats.number_text(score_text(value), lang=context_language(context))


@pass_context
def _points(context: Context, value: float) -> str:
    return formats.number_text(points_text(value), lang=context_language(context))


@pass_context
def _grouped(context: Context, value: int) -> str:
    """A whole number with the language's thousands separator: "2,000", "2000" in Spanish
    (CLDR groups four-digit numbers only from five digits on there)."""
    lang = context_language(context)
    return f"{value:,}" if lang == DEFAULT_LANGUAGE else formats.number_text(value, lang)


@pass_context
def _money(context: Context, amount: Any, currency: str) -> str:
    return formats.money_text(amount, currency, lang=context_language(context))


# The environment's globals and filters are registered by app.wiring at start-up.
TEMPLATE_GLOBALS: dict[str, object] = {
    "csrf_token": csrf_token,
    "CSRF_FIELD": CSRF_FIELD,
    "CSRF_HEADER": CSRF_HEADER,
    "HTMX_FILE": HTMX_FILE,
    "ROLE_LABELS": ROLE_LABELS,
    "Role": Role,
    "take_flashes": _take_flashes,
    "static_url": static_url,
    # The one status rule (met / near / below), for pages that judge a score themselves.
    "target_status": target_status,
    "LANGUAGES": LANGUAGES,
    # The language of the render under way, for macros imported without context.
    "page_lang": current_language.get,
    "LANGUAGE_NAMES": LANGUAGE_NAMES,
}


TEMPLATE_FILTERS: dict[str, object] = {
    "localtime": _local_time,
    "localwhen": _local_when,
    "day": _day,
    # Figures go through app.figures, the one rounding rule (half away from zero), then get
    # the language's decimal mark.
    "pts": _points,
    # Scores everywhere: "58.5", whole numbers bare, no "%" and no "/ 100" (definitions.md).
    "score": _score,
    "number": _number,
    "grouped": _grouped,
    "money": _money,
}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and not request.headers.get("hx-boosted")


def redirect(request: Request, url: str) -> Response:
    """See-other for plain forms; htmx gets HX-Redirect so it loads the page as a whole."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render `template`, or only `fragment` when htmx asked for a part of the page.

    Pages `{% include %}` their fragments, so both paths draw the same markup. A fragment
    drawn alone sees `fragment_only`, so it can add out-of-band parts (hx-swap-oob) for
    what else on the page its save changed.
    """
    name = fragment if fragment is not None and is_htmx(request) else template
    ctx = dict(context or {})
    ctx["fragment_only"] = name == fragment
    ctx.setdefault("tenant", getattr(request.state, "tenant", None))
    ctx.setdefault("lang", request_language(request))
    # TemplateResponse draws the page here and now, so the language holds for all of it.
    with using(ctx["lang"]):
        return templates.TemplateResponse(
            request, name, ctx, status_code=status_code, headers=headers
        )


def render_text(template: str, context: dict[str, Any], *, lang: str | None = None) -> str:
    """Draw `template` outside a request (an e-mail, a printed report) in `lang`."""
    with using(lang or context.get("lang") or DEFAULT_LANGUAGE) as code:
        return templates.env.get_template(template).render({**context, "lang": code})
