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

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import SAFE_METHODS

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
