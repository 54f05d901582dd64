"""Choosing the interface language: one form, from the account page, the menu's picker, the
login page and the public complaint page (app/i18n/current.py says how a page's language is
found).

Anyone may post it: it changes only this browser's choice (kept in its signed session cookie)
and, when someone is signed in, their own `user.language`, which follows them to other
browsers and later logins.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.routes import safe_next
from app.accounts.services import FOLLOW_BROWSER, MSG_LANGUAGE_UNKNOWN, user_language_set
from app.db import SessionDep
from app.i18n.current import SESSION_KEY
from app.i18n.languages import supported
from app.security import OptionalAuthDep
from app.templating import flash

router = APIRouter(include_in_schema=False)


@router.post("/language")
def language_choose(
    request: Request,
    session: SessionDep,
    auth: OptionalAuthDep,
    language: Annotated[str, Form(max_length=16)] = FOLLOW_BROWSER,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    target = safe_next(next)
    code = supported(language)
    if language != FOLLOW_BROWSER and code is None:
        flash(request, MSG_LANGUAGE_UNKNOWN, "error")
        return RedirectResponse(target, status_code=303)
    if auth is not None and auth.via == "cookie":
        user_language_set(session=session, user=auth.user, language=language)
    if code is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = code
    return RedirectResponse(target, status_code=303)
