"""The language of what is being drawn right now: a page for a request, an e-mail for its
recipient, a printed report.

A page's language, first found wins: the signed-in user's own choice (`user.language`, set on
the account page or the picker in the menu), the choice this browser made before signing in
(kept in its session cookie, e.g. the switch on the public complaint page), the browser's
Accept-Language, English.

Templates read it from their context (`lang`); a macro imported without context cannot see
that, so rendering also sets `current_language` for the time of the render.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.requests import Request

from app.i18n.languages import DEFAULT_LANGUAGE, negotiate, supported

# Where a browser's choice made before signing in is kept (the signed session cookie).
SESSION_KEY = "lang"

current_language: ContextVar[str] = ContextVar("touchstone_language", default=DEFAULT_LANGUAGE)


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Draw in `lang` (a shipped language, else English) for the time of the block."""
    code = supported(lang) or DEFAULT_LANGUAGE
    token = current_language.set(code)
    try:
        yield code
    finally:
        current_language.reset(token)


def request_language(request: Request) -> str:
    """The language of the page answering `request` (see the module docstring); worked out
    once per request and kept on `request.state.lang`."""
    known = getattr(request.state, "lang", None)
    if known:
        return str(known)
    lang = (
        supported(getattr(request.state, "user_language", None))
        or supported(_session_choice(request))
        or negotiate(request.headers.get("accept-language"))
        or DEFAULT_LANGUAGE
    )
    request.state.lang = lang
    return lang


def _session_choice(request: Request) -> object:
    if "session" not in request.scope:
        return None
    return request.session.get(SESSION_KEY)
