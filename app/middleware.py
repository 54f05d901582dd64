"""The layers every request passes through: security headers, and the gate that keeps the
database from being asked for more than it can give at once.

They are plain ASGI middleware rather than Starlette's `BaseHTTPMiddleware` (the
`@app.middleware("http")` form): that one runs each request's inner app in a task of its own
with memory streams between them, which cost more CPU than an answer save's own work
(docs/performance.md, autosave).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import SAFE_METHODS
from app.i18n.catalogs import N_
from app.i18n.message import message
from app.security import MSG_LOGIN_ENDED, MSG_NOT_AUTHENTICATED, asks_json

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "worker-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
    ),
}

# Sent when the site is served over https (BASE_URL): browsers then refuse plain http to it.
HSTS = "max-age=31536000; includeSubDomains"


def security_headers_add(headers: MutableHeaders, path: str, *, https: bool) -> None:
    """The headers every response carries, pages, API, static files and errors alike."""
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if https:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if path.startswith("/api/"):
        # ASVS 14.4.2: an API answer opened in a browser tab is a download, never a page.
        if headers.get("content-type", "").startswith("application/json"):
            headers.setdefault("Content-Disposition", 'attachment; filename="api.json"')
    elif not path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")


class SecurityHeaders:
    """Adds the security headers to every response as it starts."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                security_headers_add(MutableHeaders(scope=message), path, https=self.https)
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Uploads that can take seconds to arrive from a phone on a weak signal: a photo, a measures
# CSV. Their bodies are read before the request waits its turn at the gate, so one slow
# upload does not hold every other writer (SQLite) or a pooled connection (PostgreSQL) while
# it trickles in. Only up to the largest such body the routes accept, with its length
# declared; anything else goes through unread, and the route's own limit refuses it.
UPLOADS = re.compile(r"^(/api/v1)?/shops/\d+/answers/[^/]+/photos$|^(/api/v1)?/measures/import$")
# A 10 MB photo (audits.photos.services.MAX_BYTES) with its form fields; a CSV is at most 2 MB.
UPLOAD_PREREAD_MAX = 10 * 1024 * 1024 + 256 * 1024


async def upload_read_first(scope: Scope, receive: Receive) -> Receive | None:
    """For an upload (see UPLOADS), read its whole body now and return a `receive` that hands
    it on; for anything else the `receive` it came with; None when the client went away."""
    if scope["method"] != "POST" or not UPLOADS.match(scope["path"]):
        return receive
    declared = Headers(scope=scope).get("content-length", "")
    if not declared.isdigit() or int(declared) > UPLOAD_PREREAD_MAX:
        return receive
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body: bytes | None = b"".join(chunks)

    async def replay() -> Message:
        nonlocal body
        if body is not None:
            message: Message = {"type": "http.request", "body": body, "more_body": False}
            body = None
            return message
        return await receive()  # after the body, only the disconnect is left to hear

    return replay


class RequestGate:
    """Lets requests reach the app only as fast as the database can take them.

    SQLite (`writers_only`): one transaction writes at a time. Writers that queue inside
    SQLite each hold a worker thread while they wait, and under load the thread pool runs
    dry: the request holding the lock then cannot get a thread for its next step, and
    everyone waits out the busy timeout. So this process's writers queue here, on the event
    loop, one at a time; reads go straight through.

    PostgreSQL: a request holds its pooled connection from its first query to its end and
    runs its blocking steps on the worker thread pool (40 threads). With more requests in
    flight than connections, every thread ends up waiting for a connection while the
    requests holding the connections wait for a thread: nothing moves until the pool's 30 s
    timeout fails them all (100 phones sending at once, as after an outage: bench/crash.py).
    So as many requests at a time as the pool holds are let in; its overflow stays free for
    background work (meeting packs, alert e-mail). Static files and the health check pass.
    """

    def __init__(self, app: ASGIApp, *, slots: int, writers_only: bool) -> None:
        self.app = app
        self.writers_only = writers_only
        self.gate: asyncio.Lock | asyncio.Semaphore = (
            asyncio.Lock() if slots == 1 else asyncio.Semaphore(slots)
        )

    def _passes(self, scope: Scope) -> bool:
        if self.writers_only:
            return scope["method"] in SAFE_METHODS
        path: str = scope["path"]
        return path.startswith("/static/") or path == "/healthz"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._passes(scope):
            await self.app(scope, receive, send)
            return
        arrived = await upload_read_first(scope, receive)
        if arrived is None:
            await _bad_request(send)  # nobody is listening; answer and be done
            return
        async with self.gate:
            await self.app(scope, arrived, send)


async def _bad_request(send: Send) -> None:
    await send({"type": "http.response.start", "status": 400, "headers": []})
    await send({"type": "http.response.body", "body": b""})


# --- the request-body limit -------------------------------------------------------------

MSG_TOO_LARGE = N_("The request body is larger than this server accepts (%(limit)s bytes).")


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` once a body passes the limit. An HTTPException, so that a route
    reading the body answers the app's own 413 (JSON for the API, a page otherwise)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, message(MSG_TOO_LARGE, limit=limit))


def _needs_auth(dependant: Any, auth: Callable[..., Any]) -> bool:
    return any(d.call is auth or _needs_auth(d, auth) for d in dependant.dependencies)


def _auth_table(
    routes: list[Any], auth: Callable[..., Any]
) -> list[tuple[re.Pattern[str], set[str], bool]]:
    """Every API route's full path pattern, methods, and whether it needs a login (made once,
    at the first request with a body and no credential)."""
    table = []
    for ctx in iter_route_contexts(routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and ctx.path:
            pattern, _, _ = compile_path(ctx.path)
            table.append((pattern, set(ctx.methods or ()), _needs_auth(route.dependant, auth)))
    return table


_AUTH_TABLES: dict[tuple[object, ...], list[tuple[re.Pattern[str], set[str], bool]]] = {}


def _route_key(route: object) -> tuple[object, ...]:
    """What makes a route's entries in the table: an included router by identity and
    prefix, a route of the app itself by kind, path, methods and endpoint."""
    context = getattr(route, "include_context", None)
    if context is not None:
        return (id(getattr(route, "original_router", None)), str(context.prefix))
    return (
        type(route).__name__,
        getattr(route, "path", ""),
        tuple(sorted(getattr(route, "methods", None) or ())),
        # By name, not identity: create_app defines some endpoints (health, schema) afresh.
        getattr(getattr(route, "endpoint", None), "__qualname__", ""),
    )


class BodyLimit:
    """Refuses a request body over `max_bytes` (413) before more of it is read than that, and
    answers a request without any credential to a route that needs one before its body is
    read at all (the app's own "not logged in" answer: 401 from the API, the login page
    otherwise). Without this a 300 MB anonymous POST was read whole into memory and only
    then answered 422.

    A body declared longer than the limit is never read (the first read fails, and the app
    answers 413 in its usual shape); a chunked body (no length) is counted as it arrives.
    It must sit inside the session middleware (it looks for a login in the session) and
    outside everything that reads bodies (the upload early read included).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        routes: Callable[[], list[Any]],
        auth_dependency: Callable[..., Any],
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.routes = routes
        self.auth_dependency = auth_dependency
        self._auth_routes: list[tuple[re.Pattern[str], set[str], bool]] | None = None

    def _route_needs_auth(self, scope: Scope) -> bool:
        if self._auth_routes is None:
            routes = self.routes()
            # Every app made in one process includes the same module-level routers, and
            # building the table makes FastAPI resolve every route (a quarter of a second):
            # one table per set of routers, not per app.
            key = (tuple(_route_key(r) for r in routes), id(self.auth_dependency))
            if key not in _AUTH_TABLES:
                _AUTH_TABLES[key] = _auth_table(routes, self.auth_dependency)
            self._auth_routes = _AUTH_TABLES[key]
        path, method = scope["path"], scope["method"]
        for pattern, methods, needs in self._auth_routes:
            if method in methods and pattern.match(path):
                return needs
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if not chunked and (not declared or declared == "0"):
            await self.app(scope, receive, send)  # no body to guard
            return
        has_credential = "authorization" in headers or "sid" in scope.get("session", {})
        if not has_credential and self._route_needs_auth(scope):
            await _not_authenticated(scope, receive, send)
            return
        limit = self.max_bytes
        # Declared too long: the app still answers (a route may check the length itself and
        # say so in its own words), but its first read of the body fails.
        seen = limit + 1 if declared.isdigit() and int(declared) > limit else 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            if seen > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(scope, receive, send, limit)


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    text = message(MSG_TOO_LARGE, limit=limit)
    response = (
        JSONResponse({"detail": text}, status_code=413)
        if scope["path"].startswith("/api/")
        else PlainTextResponse(text, status_code=413)
    )
    response.headers["Connection"] = "close"  # the rest of the body is never read
    await response(scope, receive, send)


async def _not_authenticated(scope: Scope, receive: Receive, send: Send) -> None:
    path: str = scope["path"]
    response: Response
    if path.startswith("/api/"):
        response = JSONResponse(
            {"detail": MSG_NOT_AUTHENTICATED},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    elif asks_json(Headers(scope=scope)):
        response = JSONResponse({"detail": MSG_LOGIN_ENDED, "login": True}, status_code=401)
    elif "hx-request" in Headers(scope=scope):
        response = Response(status_code=204, headers={"HX-Redirect": "/login?next=" + path})
    else:
        response = RedirectResponse("/login?next=" + path, status_code=303)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
