"""The answer saves' own lane: `PUT /api/v1/shops/{id}/answers/{uuid}` (bearer token) and
the phone page's `POST /shops/{id}/answers` (login session), past FastAPI's routing and
dependency solving (docs/performance.md, autosave).

A plain ASGI layer, innermost of the middleware (security headers, the session cookie, the
body limit and the request gate have all done their part). For a save that is plainly
fine it authenticates the credential (app.security.caller_for_write: read on every
request, so a revocation is seen at once in every worker), scopes its connection to the
credential's organization (app.tenancy.OrgConnection, bound into every statement by
org_core), saves
(audits.quick_save.answer_save_quick) and answers with the route's own reply. Anything else
(no or another credential, a refusal of any kind, a body that does not parse, the shop's
first answer, the write lock held by another process) goes on to the routes with the body
as it came, untouched: they answer it in their usual words, so every reply keeps its shape.

On SQLite the lane's work runs on the event loop: its transaction takes the write lock
without waiting (app.db.NOWAIT_OPTION) or steps aside to the routes, which wait
for it in the thread pool; once it holds the lock none of its statements waits. On
PostgreSQL, where each statement is a round trip, the work runs in the thread pool, in one
hop.
"""

from __future__ import annotations

import hmac
import json
import re
import uuid
from urllib.parse import urlsplit

from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.db import Database
from app.errors import DomainError
from app.modelbase import MAX_ID
from app.orgs.models import Role
from app.security import CSRF_HEADER, caller_for_write
from app.tenancy import OrgConnection
from audits.api import AnswerBody, answer_reply
from audits.fill.routes import answer_ack, answer_input
from audits.quick_save import answer_save_quick
from audits.services import AnswerInput, SavedAnswer

_API = re.compile(
    r"/api/v1/shops/(\d{1,18})/answers/"
    r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
)
_PAGE = re.compile(r"/shops/(\d{1,18})/answers")
# Their successes stay out of the access log (app/access_log.py): a line a tap.
QUIET_PATHS = (("PUT", _API), ("POST", _PAGE))
# An answer is small (a comment is at most 4,000 characters): a larger body takes the routes.
MAX_BODY = 64 * 1024


class AnswerSaveLane:
    """The layer; its database and settings are the app's of the request (`scope["app"]`):
    the test suite hands one app new ones for each test."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        api = page = None
        if method == "PUT":
            api = _API.fullmatch(path)
        elif method == "POST":
            page = _PAGE.fullmatch(path)
        if api is None and page is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > MAX_BODY or "transfer-encoding" in headers:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        response = None
        if messages[-1]["type"] == "http.request":
            if api is not None:
                response = await self._api(scope, headers, api, body)
            else:
                assert page is not None
                response = await self._page(scope, headers, page, body)
        if response is not None:
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    async def _api(
        self, scope: Scope, headers: Headers, match: re.Match[str], body: bytes
    ) -> Response | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        shop_id = int(match.group(1))
        if scheme.lower() != "bearer" or not token.strip() or shop_id > MAX_ID:
            return None
        kind = headers.get("content-type", "application/json").split(";", 1)[0].strip().lower()
        if kind != "application/json":
            return None  # FastAPI reads other bodies differently: the route judges it
        try:
            sent = AnswerBody.model_validate_json(body)
        except ValidationError:
            return None
        data = AnswerInput(
            id=uuid.UUID(match.group(2)),
            question_id=sent.question_id,
            value=sent.value,
            not_applicable=sent.not_applicable,
            comment=sent.comment,
            given_at=sent.given_at,
        )
        saved = await self._save(scope, shop_id, data, token=token.strip(), api=True)
        return None if saved is None else answer_reply(saved)

    async def _page(
        self, scope: Scope, headers: Headers, match: re.Match[str], body: bytes
    ) -> Response | None:
        shop_id = int(match.group(1))
        session = scope.get("session") or {}
        sid, csrf = session.get("sid"), session.get("csrf")
        if not isinstance(sid, str) or not isinstance(csrf, str) or shop_id > MAX_ID:
            return None
        settings: Settings = scope["app"].state.settings
        if "authorization" in headers or not _same_origin(headers, csrf, settings):
            return None  # the routes judge it (app.security.csrf_protect)
        try:
            data = answer_input(json.loads(body))
        except (ValueError, DomainError):
            return None
        saved = await self._save(scope, shop_id, data, sid=sid, api=False)
        return None if saved is None else JSONResponse(answer_ack(shop_id, data.id, saved))

    async def _save(
        self,
        scope: Scope,
        shop_id: int,
        data: AnswerInput,
        *,
        token: str | None = None,
        sid: str | None = None,
        api: bool,
    ) -> SavedAnswer | None:
        args = (shop_id, data, token, sid, api)
        db: Database = scope["app"].state.db
        if db.is_sqlite:
            return _work(db.nowait_engine, *args)
        return await run_in_threadpool(_work, db.write_engine, *args)


def _work(
    engine: Engine,
    shop_id: int,
    data: AnswerInput,
    token: str | None,
    sid: str | None,
    api: bool,
) -> SavedAnswer | None:
    # A connection rather than an ORM session: nothing here makes ORM objects, and the
    # session's bookkeeping cost a tenth of a save (docs/performance.md, autosave).
    with engine.connect() as connection:
        try:
            caller = caller_for_write(connection, token=token, sid=sid)
        except OperationalError:
            return None  # SQLite's write lock is another process's: the routes wait for it
        if caller is None or caller.role != Role.shopper:
            connection.rollback()
            return None
        return answer_save_quick(
            scoped=OrgConnection(connection, caller.org_id),
            shop_id=shop_id,
            actor_id=caller.user_id,
            data=data,
            with_photos=api,
            with_progress=not api,
        )


def _same_origin(headers: Headers, csrf: str, settings: Settings) -> bool:
    """app.security.csrf_protect's checks, as they pass for a save from our own page."""
    if headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is not None and origin.lower() != _origin(settings.base_url):
        return False
    sent = headers.get(CSRF_HEADER)
    return sent is not None and hmac.compare_digest(sent.encode(), csrf.encode())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
