"""Jinja2 environment and rendering of full pages or, for htmx requests, only their fragment."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from app.clock import utcnow
from app.config import PROJECT_ROOT
from app.figures import points_text, score_text
from app.orgs.models import ROLE_LABELS, Role
from app.security import CSRF_FIELD, CSRF_HEADER, csrf_token
from app.status import target_status

HTMX_FILE = "htmx-2.0.11.min.js"

templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
# Templates mark their words with `_()` / `{% trans %}` (Jinja's i18n extension, Babel catalogs).
# Until a request's language is chosen, the words are shown as written (English).
templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


def flash(request: Request, message: str, kind: str = "success") -> None:
    """Queue a one-time message for the next page this browser renders."""
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


def _local_time(value: datetime | None, tz: str = "UTC", fmt: str = "%d %b %Y, %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def local_when(value: datetime | None, tz: str = "UTC", now: datetime | None = None) -> str:
    """A moment in the zone `tz`, short where the year goes without saying: "Sun 29 Nov,
    14:05" in the current year (of that zone), "3 Mar 2025, 14:10" in any other."""
    if value is None:
        return ""
    zone = ZoneInfo(tz)
    local = value.astimezone(zone)
    if local.year == (now or utcnow()).astimezone(zone).year:
        return f"{local:%a} {local.day} {local:%b, %H:%M}"
    return f"{local.day} {local:%b %Y, %H:%M}"


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
}


TEMPLATE_FILTERS: dict[str, object] = {
    "localtime": _local_time,
    "localwhen": local_when,
    # Figures go through app.figures, the one rounding rule (half away from zero).
    "pts": points_text,
    # Scores everywhere: "58.5", whole numbers bare, no "%" and no "/ 100" (definitions.md).
    "score": score_text,
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
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
